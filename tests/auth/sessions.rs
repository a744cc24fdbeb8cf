//! Sessions (R7, X4, U6): fixation, sign-out, the cookie, refusals, the JSON twin and the
//! Redis store.

use axum::http::{Method, StatusCode};
use roster::auth::principal::PrincipalKind;
use roster::store::entity::users;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::PW;
use super::kit::{App, redis_get, redis_url};

async fn session_fixation(redis: Option<String>) {
    let app = App::new(redis.clone()).await;
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
    if let Some(url) = &redis {
        let id = b.cookie.clone().expect("cookie");
        let raw: Option<String> = redis_get(url, &format!("roster:session:{id}")).await;
        assert!(raw.expect("session in Redis").contains("\"boss\""));
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
    let app = App::new(redis.clone()).await;
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
    // A body that is not the operation's JSON: the documented 422 on `body` (issue 17 #10).
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
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

#[tokio::test]
async fn x4_sign_in_with_redis_down_answers_unavailable() {
    let app = App::new(Some("redis://127.0.0.1:1/".into())).await;
    app.user("jdoe", PW, |_| {}).await;
    let started = std::time::Instant::now();
    let mut b = app.browser();
    let r = b.sign_in(PrincipalKind::User, "jdoe", PW, None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.body.contains("Temporarily unavailable"), "{}", r.body);
    assert_eq!(b.cookie, None);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "fails fast"
    );
}

/// Signs `login` in on a new browser and checks the session answers.
async fn signed_in(app: &App, login: &str, password: &str) -> super::kit::Browser {
    let mut b = app.browser();
    let r = b.sign_in(PrincipalKind::User, login, password, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(b.whoami().await.0, StatusCode::OK);
    b
}

async fn password_change_ends_other_sessions(redis: Option<String>) {
    let app = App::new(redis).await;
    let id = app.user("jdoe", PW, |_| {}).await;
    let mut here = signed_in(&app, "jdoe", PW).await;
    let mut elsewhere = signed_in(&app, "jdoe", PW).await;

    // A change through the API: this session continues, the other one ends.
    let second = "a second password, long enough";
    let r = here
        .json(
            Method::PUT,
            "/api/v1/acme/session/password",
            Some(json!({"current": PW, "new": second})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        here.whoami().await.0,
        StatusCode::OK,
        "the changing session"
    );
    assert_eq!(
        elsewhere.whoami().await.0,
        StatusCode::UNAUTHORIZED,
        "a session from before the change"
    );
    let page = elsewhere.get("/t/acme/portal").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(
        page.location.as_deref().unwrap_or("").contains("/login"),
        "{:?}",
        page.location
    );

    // A change through the form: the same.
    let mut elsewhere = signed_in(&app, "jdoe", second).await;
    let third = "a third password, long enough";
    let r = here
        .post_form(
            "/t/acme/password/change",
            &[("current", second), ("new", third), ("repeat", third)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        here.whoami().await.0,
        StatusCode::OK,
        "the changing session"
    );
    assert_eq!(elsewhere.whoami().await.0, StatusCode::UNAUTHORIZED);

    // A reset (set-password link) ends every session of the account.
    let mut elsewhere = signed_in(&app, "jdoe", third).await;
    let issued = roster::auth::links::issue(
        &app.t.db,
        app.tenant,
        roster::auth::links::Purpose::PasswordReset,
        roster::auth::links::Holder::User(id),
        chrono::Duration::hours(1),
        None,
    )
    .await
    .expect("issue");
    let fourth = "a fourth password, long enough";
    let r = app
        .browser()
        .post_form(
            "/t/acme/password/set",
            &[
                ("token", issued.token.as_str()),
                ("new", fourth),
                ("repeat", fourth),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(here.whoami().await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(elsewhere.whoami().await.0, StatusCode::UNAUTHORIZED);
    signed_in(&app, "jdoe", fourth).await;
}
on_both_stores!(
    r7_a_password_change_ends_the_other_sessions,
    r7_a_password_change_ends_the_other_sessions_on_redis,
    password_change_ends_other_sessions
);
