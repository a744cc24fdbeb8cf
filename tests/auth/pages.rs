//! The sign-in pages themselves (R1, R5): accessibility, registration, safe `next`.

use axum::http::StatusCode;
use roster::auth::principal::PrincipalKind;

use super::PW;
use super::kit::App;

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
