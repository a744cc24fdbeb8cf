//! I6: the tenant's user quota holds for every way a user is created — the API, the back
//! office and self-registration, besides imports — and a refusal says how many seats are left.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::authz::{DESCRIPTOR, world};

/// The refusal once the quota of 3 is reached.
const FULL: &str = "the tenant's user quota of 3 is reached (0 seats left)";

fn with_quota(descriptor: &str, quota: u32) -> String {
    descriptor.replacen(
        "\nlanguages:",
        &format!("\nuser_quota: {quota}\nlanguages:"),
        1,
    )
}

#[tokio::test]
async fn i6_api_and_back_office_creation_stop_at_the_quota() {
    let w = world(&with_quota(DESCRIPTOR, 3)).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    w.user("one", Some("NL"), &["A"]).await;
    w.user("two", Some("NL"), &["A"]).await;
    let person = |login: &str| {
        json!({
            "login": login, "first_name": "Q", "last_name": "Uota",
            "email": format!("{login}@example.org"), "catalogs": ["A"],
        })
    };
    let (status, body) = w
        .call(
            "POST",
            "/api/v1/acme/users",
            Some(&boss),
            Some(person("three")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "the last seat: {body}");
    let (status, problem) = w
        .call(
            "POST",
            "/api/v1/acme/users",
            Some(&boss),
            Some(person("four")),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["detail"], FULL, "{problem}");

    let req = Request::post("/t/acme/backoffice/users/new")
        .header(header::AUTHORIZATION, format!("Bearer {boss}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            "login=five&first_name=F&last_name=Ive&email=five%40example.org&catalogs=A&organisation_unit=NL&roles=learner&active=true&password_mode=link",
        ))
        .expect("request");
    let resp = w.state.router().oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let page = String::from_utf8_lossy(&bytes).replace("&#x27;", "'");
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains(FULL), "{page}");

    let (_, list) = w.call("GET", "/api/v1/acme/users", Some(&boss), None).await;
    assert_eq!(list["total"], 3, "{list}");
}

#[tokio::test]
async fn i6_self_registration_stops_at_the_quota() {
    use crate::portal::kit::{App, DESCRIPTOR, valid_fields};
    let text = DESCRIPTOR
        .replace("FLOW", "immediate")
        .replace("LAYOUT", "split")
        .replace("PASSWORD", "true");
    let app = App::with_descriptor(&with_quota(&text, 3)).await;
    for login in ["anna", "bert", "carl"] {
        let email: &'static str = Box::leak(format!("{login}@acme.example").into_boxed_str());
        let login: &'static str = Box::leak(login.to_owned().into_boxed_str());
        let r = app.browser().register(&valid_fields(login, email)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{login}: {}", r.body);
    }
    let r = app
        .browser()
        .register(&valid_fields("dora", "dora@acme.example"))
        .await;
    let body = r.body.replace("&#x27;", "'");
    assert_eq!(r.status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains(FULL), "{body}");
}
