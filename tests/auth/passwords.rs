//! Choosing passwords (R7, U3, B6): the forced change, set-password and reset links, and
//! asking for a reset.

use axum::http::{Method, StatusCode};
use chrono::Utc;
use roster::auth::links::{self, Holder, Purpose};
use roster::auth::principal::PrincipalKind;
use roster::store::entity::{audit_events, backoffice_accounts, jobs, single_use_tokens};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::PW;
use super::kit::App;

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

#[tokio::test]
async fn u3_b6_api_clients_leave_the_forced_change_through_the_api() {
    let app = App::new(None).await;
    app.backoffice("api-temp", "Temporary-1", true).await;
    let mut b = app.browser();
    let r = b
        .json(
            Method::POST,
            "/api/v1/acme/session",
            Some(json!({"login": "api-temp", "password": "Temporary-1", "kind": "backoffice"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("\"must_change_password\":true"),
        "{}",
        r.body
    );
    let path = "/api/v1/acme/session/password";
    let r = b
        .json(
            Method::PUT,
            path,
            Some(json!({"current": "Temporary-1", "new": "short"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at least 10 characters"), "{}", r.body);
    let r = b
        .json(
            Method::PUT,
            path,
            Some(json!({"current": "nope", "new": "long enough now"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("\"field\":\"current\""), "{}", r.body);
    let r = b
        .json(
            Method::PUT,
            path,
            Some(json!({"current": "Temporary-1", "new": "long enough now"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let (_, me) = b.whoami().await;
    assert_eq!(me["must_change_password"], false);
    let r = app
        .browser()
        .json(Method::PUT, path, Some(json!({"current": "a", "new": "b"})))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
