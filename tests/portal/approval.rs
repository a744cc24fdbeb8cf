//! R3: the approval flow. The registrant waits; only approvers whose scope reaches the
//! registrant's organisation unit are mailed, see it in their queue and may decide; the
//! registrant hears the outcome by mail.

use axum::http::StatusCode;
use roster::store::entity::audit_events;
use sea_orm::{ColumnTrait, QueryFilter};

use super::kit::{App, PW, link_in, valid_fields};

async fn registered(app: &App) -> uuid::Uuid {
    // Registers in unit NORTH, without a password (a set-password link follows approval).
    let mut fields = valid_fields("anna", "anna@acme.example");
    fields.retain(|(k, _)| !k.starts_with("password"));
    let r = app.browser().register(&fields).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/register/thanks?step=await_approval"),
        "{}",
        r.body
    );
    app.user("anna").await.id
}

#[tokio::test]
async fn r3_only_approvers_of_the_registrants_unit_are_mailed_and_see_it() {
    let app = App::new("approval", false).await;
    app.account("north_admin", "ou_admin", Some("NORTH")).await;
    app.account("south_admin", "ou_admin", Some("SOUTH")).await;
    let id = registered(&app).await;
    assert_eq!(
        app.user("anna").await.registration_state,
        "pending_approval"
    );
    app.drain().await;
    // (Each account also got its own set-password mail when it was created.)
    let asks = |to: &str| -> Vec<_> {
        app.mails_to(to)
            .into_iter()
            .filter(|m| m.subject.contains("waits for your approval"))
            .collect()
    };
    let north = asks("north_admin@acme.example");
    assert_eq!(north.len(), 1);
    assert!(north[0].text.contains("anna"));
    assert!(north[0].text.contains("/t/acme/backoffice/approvals"));
    assert!(
        asks("south_admin@acme.example").is_empty(),
        "another unit's approver"
    );

    // The other unit's approver: an empty queue, and deciding by URL finds nothing.
    let mut south = app.browser();
    let r = south
        .post_form(
            "/t/acme/backoffice/login",
            &[("login", "south_admin"), ("password", PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let queue = south.get("/t/acme/backoffice/approvals").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.body.contains("id=\"no-registrations\""));
    assert!(!queue.body.contains("anna"));
    let r = south
        .post_form(&format!("/t/acme/backoffice/approvals/{id}/approve"), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.user("anna").await.registration_state,
        "pending_approval"
    );

    // The registrant's approver approves.
    let mut north = app.browser();
    north
        .post_form(
            "/t/acme/backoffice/login",
            &[("login", "north_admin"), ("password", PW)],
        )
        .await;
    let queue = north.get("/t/acme/backoffice/approvals").await;
    assert!(
        queue.body.contains("id=\"registration-anna\""),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("North"));
    let r = north
        .post_form(&format!("/t/acme/backoffice/approvals/{id}/approve"), &[])
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/backoffice/approvals?done=approved")
    );
    let user = app.user("anna").await;
    assert_eq!(user.registration_state, "active");
    assert!(user.active);
    // A second decision finds nothing to decide.
    let r = north
        .post_form(&format!("/t/acme/backoffice/approvals/{id}/reject"), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let audit = app
        .tenant
        .find::<audit_events::Entity>()
        .filter(audit_events::Column::Action.eq("registration_approved"))
        .one(&app.t.db)
        .await
        .expect("ok")
        .expect("ok");
    assert_eq!(audit.actor_label.as_deref(), Some("north_admin"));

    // The registrant is told, and gets a link to choose a password; then signs in.
    app.drain().await;
    let mails = app.mails_to("anna@acme.example");
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(
        mails.iter().any(|m| m.subject.contains("goedgekeurd")),
        "in Dutch, the registrant's language"
    );
    let set = mails
        .iter()
        .find(|m| m.text.contains("password/set"))
        .expect("set-password mail");
    let link = link_in(&set.text, "password/set");
    let token = link.split("token=").nth(1).expect("ok").to_owned();
    let mut b = app.browser();
    let r = b
        .post_form(
            "/t/acme/password/set",
            &[("token", &token), ("new", PW), ("repeat", PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b
        .post_form("/t/acme/login", &[("login", "anna"), ("password", PW)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/t/acme/portal"));
}

#[tokio::test]
async fn r3_a_rejected_registrant_is_told_why_and_cannot_sign_in() {
    let app = App::new("approval", true).await;
    app.account("north_admin", "ou_admin", Some("NORTH")).await;
    let r = app
        .browser()
        .register(&valid_fields("anna", "anna@acme.example"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = app.user("anna").await.id;
    let mut north = app.browser();
    north
        .post_form(
            "/t/acme/backoffice/login",
            &[("login", "north_admin"), ("password", PW)],
        )
        .await;
    let r = north
        .post_form(
            &format!("/t/acme/backoffice/approvals/{id}/reject"),
            &[("reason", "Not one of our partners")],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/t/acme/backoffice/approvals?done=rejected")
    );
    let user = app.user("anna").await;
    assert_eq!(user.registration_state, "rejected");
    assert!(!user.active);
    app.drain().await;
    let mail = app
        .mails_to("anna@acme.example")
        .into_iter()
        .find(|m| m.subject.contains("niet goedgekeurd"))
        .expect("outcome mail");
    assert!(mail.text.contains("Not one of our partners"));
    let r = app
        .browser()
        .post_form("/t/acme/login", &[("login", "anna"), ("password", PW)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn r3_a_tenant_wide_approver_sees_every_unit_and_others_are_refused() {
    let app = App::new("approval", true).await;
    app.account("boss", "admin", None).await;
    app.account("clerk", "ou_admin", Some("SOUTH")).await;
    app.browser()
        .register(&valid_fields("anna", "anna@acme.example"))
        .await;
    let mut boss = app.browser();
    boss.post_form(
        "/t/acme/backoffice/login",
        &[("login", "boss"), ("password", PW)],
    )
    .await;
    assert!(
        boss.get("/t/acme/backoffice/approvals")
            .await
            .body
            .contains("registration-anna")
    );
    // A portal user has no back-office right: the queue is closed to them.
    let mut anon = app.browser();
    let r = anon.get("/t/acme/backoffice/approvals").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "sent to sign in");
}
