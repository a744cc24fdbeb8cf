//! The one tenant context (issue 18): a tenant's stored settings are parsed in one place, a bad
//! stored setting is an error naming it (never a silent default), and the context a request
//! runs on follows the tenant row.

use axum::http::StatusCode;
use roster::store::entity::tenants;
use roster::tenancy::Tenant;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::authz::{DESCRIPTOR, World, world};

/// The tenant row of `w`.
async fn tenant_row(w: &World) -> tenants::Model {
    tenants::Entity::find_by_id(w.tenant.0)
        .one(&w.t.db)
        .await
        .expect("read tenant")
        .expect("tenant")
}

/// Stores `value` at `pointer` in the tenant row's settings, as a hand-edited row would.
async fn set_setting(w: &World, pointer: &str, value: Value) {
    let row = tenant_row(w).await;
    let mut settings = row.settings.clone();
    *settings.pointer_mut(pointer).expect("setting exists") = value;
    let mut am: tenants::ActiveModel = row.into();
    am.settings = Set(settings);
    am.update(&w.t.db).await.expect("write tenant");
}

#[tokio::test]
async fn tenant_bad_setting_is_an_error_naming_the_setting() {
    let w = world(DESCRIPTOR).await;
    set_setting(&w, "/registration/enabled", json!("maybe")).await;
    let e = Tenant::load(&w.t.db, w.tenant)
        .await
        .expect_err("a malformed setting is an error");
    let text = e.to_string();
    assert!(text.contains("`acme`"), "{text}");
    assert!(text.contains("`registration.enabled`"), "{text}");
}

#[tokio::test]
async fn tenant_bad_setting_is_not_silently_defaulted_on_the_sign_in_page() {
    let w = world(DESCRIPTOR).await;
    let (status, _) = w.call_text("GET", "/t/acme/login", None).await;
    assert_eq!(status, StatusCode::OK);
    // Before: the sign-in page dropped unreadable settings (`.ok()`) and showed no registration.
    set_setting(&w, "/registration/enabled", json!("maybe")).await;
    let (status, _) = w.call_text("GET", "/t/acme/login", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn tenant_bad_password_policy_is_not_the_default_policy() {
    let w = world(DESCRIPTOR).await;
    // Before: `policy_of` answered the default policy for an unreadable one.
    set_setting(&w, "/password_policy/min_length", json!("long")).await;
    let (status, _) = w.call_text("GET", "/t/acme/password/forgot", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn tenant_bad_setting_fails_a_guarded_request() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let (status, _) = w.call("GET", "/api/v1/acme/users", Some(&boss), None).await;
    assert_eq!(status, StatusCode::OK);
    set_setting(&w, "/features/superiors", json!(3)).await;
    let (status, _) = w.call("GET", "/api/v1/acme/users", Some(&boss), None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

/// POSTs a user with language `nl` as `token`; the status.
async fn create_dutch_user(w: &World, token: &str, login: &str) -> StatusCode {
    let person = json!({
        "login": login, "first_name": "Lang", "last_name": "Uage", "language": "nl",
        "email": format!("{login}@example.org"), "catalogs": ["A"],
    });
    let (status, body) = w
        .call("POST", "/api/v1/acme/users", Some(token), Some(person))
        .await;
    assert!(status.is_client_error() || status.is_success(), "{body}");
    status
}

#[tokio::test]
async fn tenant_context_follows_the_tenant_row() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    assert_eq!(
        create_dutch_user(&w, &boss, "one").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The row changes (languages only: same policy version); the next request sees it.
    let mut am: tenants::ActiveModel = tenant_row(&w).await.into();
    am.languages = Set(json!(["en", "nl"]));
    am.update(&w.t.db).await.expect("write tenant");
    assert_eq!(
        create_dutch_user(&w, &boss, "two").await,
        StatusCode::CREATED
    );
}
