//! Authentication (R7, U3, U6, B6, X4) through the front door: sign-in pages and their JSON
//! twin, sessions and their cookie, throttling, set-password and reset links. Session and
//! throttle tests run in-process and, when `ROSTER_TEST_REDIS_URL` is set, on Redis too.

mod kit;

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use chrono::Utc;
use roster::auth::links::{self, Holder, Purpose};
use roster::auth::principal::PrincipalKind;
use roster::store::entity::{audit_events, backoffice_accounts, jobs, single_use_tokens, users};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use kit::{App, redis_url};

const PW: &str = "correct horse battery staple";

/// Runs `$body(redis)` in-process, and on Redis when `ROSTER_TEST_REDIS_URL` is set.
macro_rules! on_both_stores {
    ($memory:ident, $redis:ident, $body:ident) => {
        #[tokio::test]
        async fn $memory() {
            $body(None).await;
        }

        #[tokio::test]
        async fn $redis() {
            match redis_url() {
                Some(url) => $body(Some(url)).await,
                None => eprintln!("ROSTER_TEST_REDIS_URL not set: Redis half skipped"),
            }
        }
    };
}

async fn session_fixation(redis: Option<String>) {
    let app = App::new(redis).await;
    app.backoffice("boss", PW, false).await;

    // A session that existed before signing in (here: an earlier sign-in) ...
    let mut b = app.browser();
    let r = b.sign_in(PrincipalKind::Backoffice, "boss", PW, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let before = b.cookie.clone().expect("session cookie");
    // ... and a planted id nobody issued.
    let mut planted = app.browser();
    planted.cookie = Some("AAAAAAAAAAAAAAAAAAAAAA".into());

    for browser in [&mut b, &mut planted] {
        let old = browser.cookie.clone();
        let r = browser
            .sign_in(PrincipalKind::Backoffice, "boss", PW, None)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_ne!(browser.cookie, old, "the session id changes at sign-in");
        assert_eq!(browser.whoami().await.0, StatusCode::OK);
    }
    // The id from before the sign-in is dead.
    let mut stale = app.browser();
    stale.cookie = Some(before);
    assert_eq!(stale.whoami().await.0, StatusCode::UNAUTHORIZED);
}
on_both_stores!(
    r7_sign_in_cycles_the_session_id,
    r7_sign_in_cycles_the_session_id_on_redis,
    session_fixation
);

async fn sign_out(redis: Option<String>) {
    let app = App::new(redis).await;
    app.user("jdoe", PW, |_| {}).await;
    let mut b = app.browser();
    b.sign_in(PrincipalKind::User, "jdoe", PW, None).await;
    let signed_in = b.cookie.clone().expect("cookie");
    let (status, me) = b.whoami().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (me["login"].as_str(), me["kind"].as_str()),
        (Some("jdoe"), Some("user"))
    );

    let r = b.post_form("/t/acme/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/t/acme/login?done=signed_out"));
    assert_eq!(b.cookie, None, "the cookie is removed");
    let mut stale = app.browser();
    stale.cookie = Some(signed_in);
    assert_eq!(
        stale.whoami().await.0,
        StatusCode::UNAUTHORIZED,
        "the session is gone"
    );

    let page = b.get("/t/acme/login?done=signed_out").await;
    assert!(
        page.body.contains("You have been signed out."),
        "{}",
        page.body
    );

    // The JSON twin.
    let r = b
        .json(
            Method::POST,
            "/api/v1/acme/session",
            Some(json!({"login": "jdoe", "password": PW})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        b.json(Method::DELETE, "/api/v1/acme/session", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(b.whoami().await.0, StatusCode::UNAUTHORIZED);
}
on_both_stores!(
    r7_sign_out_ends_the_session,
    r7_sign_out_ends_the_session_on_redis,
    sign_out
);

#[tokio::test]
async fn r7_session_cookie_is_http_only_lax_and_secure_behind_https() {
    let app = App::with(None, |s| s.auth.secure_cookies = false).await;
    app.user("jdoe", PW, |_| {}).await;
    let mut b = app.browser();
    let r = b.sign_in(PrincipalKind::User, "jdoe", PW, None).await;
    let cookie = r.set_cookie.expect("set-cookie");
    assert!(cookie.starts_with("roster_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");

    let https = App::with(None, |s| s.auth.secure_cookies = true).await;
    https.user("jdoe2", PW, |_| {}).await;
    let r = https
        .browser()
        .sign_in(PrincipalKind::User, "jdoe2", PW, None)
        .await;
    assert!(r.set_cookie.expect("set-cookie").contains("Secure"));

    // Anonymous pages set no cookie at all.
    let r = app.browser().get("/t/acme/login").await;
    assert_eq!((r.status, r.set_cookie), (StatusCode::OK, None));
}

#[tokio::test]
async fn u6_deactivated_and_unfinished_users_cannot_sign_in() {
    let app = App::new(None).await;
    app.user("gone", PW, |u| u.active = Set(false)).await;
    app.user("pending", PW, |u| {
        u.registration_state = Set("pending_approval".into())
    })
    .await;
    app.user("fine", PW, |_| {}).await;
    let wrong = app
        .browser()
        .sign_in(PrincipalKind::User, "fine", "nope", None)
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    for login in ["gone", "pending", "nobody"] {
        let mut b = app.browser();
        let r = b.sign_in(PrincipalKind::User, login, PW, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{login}");
        assert_eq!(
            r.body.replace(login, "fine"),
            wrong.body,
            "one message for every refusal"
        );
        assert_eq!(b.cookie, None);
        let r = b
            .json(
                Method::POST,
                "/api/v1/acme/session",
                Some(json!({"login": login, "password": PW})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.content_type, "application/problem+json");
    }
}

#[tokio::test]
async fn u3_b6_must_change_forces_the_change_page() {
    let app = App::new(None).await;
    let id = app.backoffice("temp", "Temporary-1", true).await;
    let mut b = app.browser();
    let r = b
        .sign_in(
            PrincipalKind::Backoffice,
            "temp",
            "Temporary-1",
            Some("/t/acme/backoffice/users"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/password/change?next=/t/acme/backoffice/users")
    );
    let (_, me) = b.whoami().await;
    assert_eq!(me["must_change_password"], true);
    let page = b
        .get("/t/acme/password/change?next=/t/acme/backoffice/users")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("temporary password"), "{}", page.body);
    assert!(
        page.body.contains("At least 10 characters"),
        "tenant policy shown"
    );

    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        vec![
            ("current", current),
            ("new", new),
            ("repeat", repeat),
            ("next", "/t/acme/backoffice/users"),
        ]
    };
    let r = b
        .post_form(
            "/t/acme/password/change",
            &change("wrong", "a long new one", "a long new one"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("current password is not correct"),
        "{}",
        r.body
    );
    let r = b
        .post_form(
            "/t/acme/password/change",
            &change("Temporary-1", "short", "short"),
        )
        .await;
    assert!(r.body.contains("at least 10 characters"), "{}", r.body);
    let r = b
        .post_form(
            "/t/acme/password/change",
            &change("Temporary-1", "a long new one", "another one!"),
        )
        .await;
    assert!(r.body.contains("not the same"), "{}", r.body);
    let r = b
        .post_form(
            "/t/acme/password/change",
            &change("Temporary-1", "Temporary-1", "Temporary-1"),
        )
        .await;
    assert!(r.body.contains("must differ"), "{}", r.body);

    let before = b.cookie.clone();
    let r = b
        .post_form(
            "/t/acme/password/change",
            &change("Temporary-1", "my own passphrase", "my own passphrase"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/t/acme/backoffice/users"));
    assert_ne!(b.cookie, before, "new session id after the change");
    let (_, me) = b.whoami().await;
    assert_eq!(me["must_change_password"], false);
    let row = backoffice_accounts::Entity::find_by_id(id)
        .one(&app.t.db)
        .await
        .expect("db")
        .expect("row");
    assert!(!row.must_change_password);
    let audit = audit_events::Entity::find()
        .filter(audit_events::Column::EntityId.eq(id))
        .filter(audit_events::Column::Action.eq("password_change"))
        .one(&app.t.db)
        .await
        .expect("db")
        .expect("audited");
    assert_eq!(
        (audit.source.as_str(), audit.actor_label.as_deref()),
        ("web", Some("temp"))
    );
    assert!(
        !audit
            .after
            .expect("after")
            .to_string()
            .contains("passphrase")
    );

    let mut fresh = app.browser();
    let r = fresh
        .sign_in(PrincipalKind::Backoffice, "temp", "Temporary-1", None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the temporary password is gone"
    );
    let r = fresh
        .sign_in(PrincipalKind::Backoffice, "temp", "my own passphrase", None)
        .await;
    assert_eq!(r.location.as_deref(), Some("/t/acme/backoffice"));
}

#[tokio::test]
async fn r7_set_password_link_works_once_then_says_used() {
    let app = App::new(None).await;
    let id = app
        .user("newbie", PW, |u| u.password_hash = Set(None))
        .await;
    let issued = links::issue(
        &app.t.db,
        app.tenant,
        Purpose::SetPassword,
        Holder::User(id),
        chrono::Duration::hours(1),
        None,
    )
    .await
    .expect("issue");
    let url = format!("/t/acme/password/set?token={}", issued.token);
    let mut b = app.browser();
    let page = b.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("newbie") && page.body.contains("Choose your password"),
        "{}",
        page.body
    );
    assert_eq!(
        page.headers
            .get("referrer-policy")
            .map(|v| v.to_str().unwrap_or("")),
        Some("no-referrer")
    );

    let form = [
        ("token", issued.token.as_str()),
        ("new", "sixty-four and more: ünïcode  spaces kept"),
        ("repeat", "mismatch"),
    ];
    let r = b.post_form("/t/acme/password/set", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("not the same"));
    let chosen = "sixty-four and more: ünïcode  spaces kept".repeat(2);
    let form = [
        ("token", issued.token.as_str()),
        ("new", chosen.as_str()),
        ("repeat", chosen.as_str()),
    ];
    let r = b.post_form("/t/acme/password/set", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/login?done=password_set")
    );
    let page = b.get("/t/acme/login?done=password_set").await;
    assert!(page.body.contains("Your password has been saved"));

    let r = app
        .browser()
        .sign_in(PrincipalKind::User, "newbie", &chosen, None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the chosen password works, exactly as typed"
    );
    let r = app
        .browser()
        .sign_in(
            PrincipalKind::User,
            "newbie",
            &chosen.replace("  ", " "),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "no normalisation");

    let again = b.get(&url).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("already been used"), "{}", again.body);
    let r = b.post_form("/t/acme/password/set", &form).await;
    assert_eq!(r.status, StatusCode::GONE);
}

#[tokio::test]
async fn r7_expired_and_unknown_links_are_refused() {
    let app = App::new(None).await;
    let id = app.user("late", PW, |_| {}).await;
    let now = Utc::now();
    single_use_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(app.tenant.0),
        purpose: Set("password_reset".into()),
        token_hash: Set(links::token_hash("expired-token")),
        user_id: Set(Some(id)),
        backoffice_account_id: Set(None),
        data: Set(None),
        expires_at: Set(now - chrono::Duration::minutes(1)),
        used_at: Set(None),
        created_at: Set(now - chrono::Duration::hours(2)),
    }
    .insert(&app.t.db)
    .await
    .expect("insert");
    let mut b = app.browser();
    let r = b.get("/t/acme/password/set?token=expired-token").await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.body.contains("This link has expired"), "{}", r.body);
    let form = [
        ("token", "expired-token"),
        ("new", "a brand new one"),
        ("repeat", "a brand new one"),
    ];
    assert_eq!(
        b.post_form("/t/acme/password/set", &form).await.status,
        StatusCode::GONE
    );
    let r = b.get("/t/acme/password/set?token=made-up").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("This link is not valid"), "{}", r.body);
    // Another tenant's link does not work here.
    let other = app.second_tenant().await;
    let r = b
        .get(&format!("/t/{other}/password/set?token=expired-token"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn r7_reset_request_answers_alike_and_queues_only_for_existing_accounts() {
    let app = App::new(None).await;
    let id = app
        .user("forgetful", PW, |u| {
            u.email = Set(Some("Forget.Ful@acme.example".into()))
        })
        .await;
    app.user("no-mail", PW, |_| {}).await;
    let mut b = app.browser();
    let form_page = b.get("/t/acme/password/forgot").await;
    assert_eq!(form_page.status, StatusCode::OK);
    let existing = b
        .post_form(
            "/t/acme/password/forgot",
            &[("login", "forgetful"), ("kind", "user")],
        )
        .await;
    let unknown = b
        .post_form(
            "/t/acme/password/forgot",
            &[("login", "nobody"), ("kind", "user")],
        )
        .await;
    let no_mail = b
        .post_form(
            "/t/acme/password/forgot",
            &[("login", "no-mail"), ("kind", "user")],
        )
        .await;
    assert_eq!(existing.status, StatusCode::OK);
    assert_eq!(
        (unknown.status, &unknown.body),
        (existing.status, &existing.body)
    );
    assert_eq!(no_mail.body, existing.body);
    // By e-mail address, in any case: the same account, folded into the queued job.
    b.post_form(
        "/t/acme/password/forgot",
        &[("login", "forget.ful@ACME.example"), ("kind", "user")],
    )
    .await;

    let queued = jobs::Entity::find().all(&app.t.db).await.expect("jobs");
    assert_eq!(queued.len(), 1, "{queued:?}");
    let job = &queued[0];
    assert_eq!(
        (job.kind.as_str(), job.tenant_id),
        ("mail.password_reset", Some(app.tenant.0))
    );
    assert_eq!(job.payload, json!({ "user_id": id }));

    // The worker mails the link; it leads to the set page and works.
    roster::jobs::handlers::run(&app.state, job)
        .await
        .expect("job runs");
    let mail = app.mails.lock().expect("mails").pop().expect("a mail");
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.contains("/password/set?token="))
        .expect("link in mail");
    let path = &link[link.find("/t/").expect("path")..];
    let page = b.get(path).await;
    assert!(page.body.contains("Choose a new password"), "{}", page.body);
}

async fn throttling(redis: Option<String>) {
    let app = App::with(redis, |s| {
        s.auth.max_failures_per_account = 3;
        s.auth.max_failures_per_address = 100;
        s.auth.failure_window = Duration::from_secs(2);
    })
    .await;
    app.user("target", PW, |_| {}).await;
    let mut b = app.browser();
    // A success clears the account's counter.
    for _ in 0..2 {
        assert_eq!(
            b.sign_in(PrincipalKind::User, "target", "guess", None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        b.sign_in(PrincipalKind::User, "target", PW, None)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    for _ in 0..3 {
        assert_eq!(
            b.sign_in(PrincipalKind::User, "target", "guess", None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = b.sign_in(PrincipalKind::User, "target", PW, None).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password is refused too"
    );
    assert!(r.body.contains("try again in 1 minute."), "{}", r.body);
    let r = b
        .json(
            Method::POST,
            "/api/v1/acme/session",
            Some(json!({"login": "target", "password": PW})),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.content_type, "application/problem+json");
    let retry: u64 = r.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=2).contains(&retry), "{retry}");

    tokio::time::sleep(Duration::from_millis(2200)).await;
    let r = b.sign_in(PrincipalKind::User, "target", PW, None).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the window passed: the owner gets in"
    );
}
on_both_stores!(
    r7_throttling_refuses_after_n_failures_until_the_window_passes,
    r7_throttling_refuses_after_n_failures_until_the_window_passes_on_redis,
    throttling
);

async fn address_throttling(redis: Option<String>) {
    let app = App::with(redis, |s| {
        s.auth.max_failures_per_account = 100;
        s.auth.max_failures_per_address = 3;
    })
    .await;
    app.user("victim", PW, |_| {}).await;
    // A random address so parallel runs on one Redis do not meet.
    let n = Uuid::new_v4().as_u128();
    let attacker: SocketAddr =
        format!("10.{}.{}.{}:5000", n % 250, (n >> 8) % 250, (n >> 16) % 250)
            .parse()
            .expect("addr");
    let honest: SocketAddr = format!("172.16.{}.{}:5000", (n >> 24) % 250, (n >> 32) % 250)
        .parse()
        .expect("addr");
    let mut a = app.browser();
    a.peer = Some(attacker);
    for login in ["x1", "x2", "x3"] {
        assert_eq!(
            a.sign_in(PrincipalKind::User, login, "guess", None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        a.sign_in(PrincipalKind::User, "victim", PW, None)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut h = app.browser();
    h.peer = Some(honest);
    assert_eq!(
        h.sign_in(PrincipalKind::User, "victim", PW, None)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}
on_both_stores!(
    r7_address_throttling_spans_accounts,
    r7_address_throttling_spans_accounts_on_redis,
    address_throttling
);

#[tokio::test]
async fn r7_forwarded_for_counts_only_when_trusted() {
    let app = App::with(None, |s| {
        s.auth.max_failures_per_account = 100;
        s.auth.max_failures_per_address = 2;
        s.auth.trust_forwarded_for = true;
    })
    .await;
    app.user("someone", PW, |_| {}).await;
    let mut a = app.browser();
    a.forwarded_for = Some("203.0.113.9, 198.51.100.7".into());
    for login in ["x1", "x2"] {
        a.sign_in(PrincipalKind::User, login, "guess", None).await;
    }
    assert_eq!(
        a.sign_in(PrincipalKind::User, "someone", PW, None)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut other = app.browser();
    other.forwarded_for = Some("203.0.113.9, 198.51.100.8".into());
    assert_eq!(
        other
            .sign_in(PrincipalKind::User, "someone", PW, None)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn r5_next_outside_the_tenant_is_refused() {
    let app = App::new(None).await;
    app.user("traveller", PW, |_| {}).await;
    app.second_tenant().await;
    for (next, landing) in [
        (
            "/t/acme/portal/courses/7?tab=dates",
            "/t/acme/portal/courses/7?tab=dates",
        ),
        ("https://evil.example/", "/t/acme/portal"),
        ("//evil.example/t/acme/", "/t/acme/portal"),
        ("/t/beta/portal", "/t/acme/portal"),
        ("/t/acme/../beta/portal", "/t/acme/portal"),
    ] {
        let r = app
            .browser()
            .sign_in(PrincipalKind::User, "traveller", PW, Some(next))
            .await;
        assert_eq!(r.location.as_deref(), Some(landing), "{next}");
    }
    let page = app
        .browser()
        .get("/t/acme/login?next=https://evil.example/")
        .await;
    assert!(
        !page.body.contains("evil.example"),
        "an unsafe next is not even carried"
    );
}

#[tokio::test]
async fn r7_api_session_answers_the_principal_of_its_tenant_only() {
    let app = App::new(None).await;
    app.backoffice("api-admin", PW, false).await;
    let mut b = app.browser();
    let r = b
        .json(
            Method::POST,
            "/api/v1/acme/session",
            Some(json!({"login": "api-admin", "password": PW, "kind": "backoffice"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let me: Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(
        (me["kind"].as_str(), me["tenant_slug"].as_str()),
        (Some("backoffice"), Some("acme"))
    );
    assert!(!r.body.contains("password_hash"));
    let other = app.second_tenant().await;
    let r = b
        .json(Method::GET, &format!("/api/v1/{other}/session"), None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "T4: another tenant's session does not count"
    );
    let r = b.json(Method::GET, "/api/v1/nope/session", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.browser().get("/t/nope/login").await.status,
        StatusCode::NOT_FOUND
    );
    let r = b
        .json(
            Method::POST,
            "/api/v1/acme/session",
            Some(json!({"login": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn r1_portal_login_page_is_accessible_and_offers_registration() {
    let app = App::new(None).await;
    let page = app.browser().get("/t/acme/login").await;
    assert_eq!(page.status, StatusCode::OK);
    for needle in [
        "<html lang=\"en\">",
        "<label for=\"login\">",
        "<label for=\"password\">",
        "autocomplete=\"current-password\"",
        "/t/acme/password/forgot",
        "/t/acme/register",
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    assert!(page.headers.contains_key("content-security-policy"));
    let page = app.browser().get("/t/acme/backoffice/login").await;
    assert!(page.body.contains("Sign in to administration"));
    assert!(!page.body.contains("/t/acme/register"));
    let r = app.browser().cross_site_post("/t/acme/login").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no login CSRF");
}

#[tokio::test]
async fn x4_redis_session_store_round_trips() {
    let Some(url) = redis_url() else {
        eprintln!("ROSTER_TEST_REDIS_URL not set: skipped");
        return;
    };
    use roster::auth::redis_store::{RedisSessionStore, session_key};
    use tower_sessions::SessionStore;
    use tower_sessions::session::{Id, Record};

    let client = redis::Client::open(url.as_str()).expect("client");
    let store = RedisSessionStore::new(client.clone());
    let mut record = Record {
        id: Id::default(),
        data: [("roster.principal".to_owned(), json!({"login": "x"}))]
            .into_iter()
            .collect(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
    };
    store.create(&mut record).await.expect("create");
    assert_eq!(
        store.load(&record.id).await.expect("load"),
        Some(record.clone())
    );
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("conn");
    let ttl: i64 = redis::cmd("TTL")
        .arg(session_key(&record.id))
        .query_async(&mut conn)
        .await
        .expect("ttl");
    assert!((590..=600).contains(&ttl), "{ttl}");
    record.data.insert("more".into(), json!(1));
    store.save(&record).await.expect("save");
    assert_eq!(
        store.load(&record.id).await.expect("load"),
        Some(record.clone())
    );
    store.delete(&record.id).await.expect("delete");
    assert_eq!(store.load(&record.id).await.expect("load"), None);
}

#[tokio::test]
async fn r7_users_and_backoffice_accounts_sign_in_separately() {
    let app = App::new(None).await;
    app.user("both", PW, |_| {}).await;
    let r = app
        .browser()
        .sign_in(PrincipalKind::Backoffice, "both", PW, None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a portal user is no back-office account"
    );
    let r = app
        .browser()
        .sign_in(PrincipalKind::User, "both", PW, None)
        .await;
    assert_eq!(r.location.as_deref(), Some("/t/acme/portal"));
    let last = users::Entity::find()
        .filter(users::Column::Login.eq("both"))
        .one(&app.t.db)
        .await
        .expect("db")
        .expect("row");
    assert!(last.last_login_at.is_some(), "last_login_at is kept");
}
