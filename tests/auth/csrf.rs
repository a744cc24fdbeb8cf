//! Cross-site form posts (issue 17 #8): one check for every form — sign-in, portal and back
//! office — refuses a post the browser announces as cross-site (`Sec-Fetch-Site`) and a post
//! whose `Origin` is not this site's, also without any `Sec-Fetch-*` header (login CSRF).

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use roster::auth::principal::PrincipalKind;
use tower::ServiceExt;

use super::PW;
use super::kit::App;

const FOREIGN: &[(&str, &str)] = &[("origin", "https://evil.example")];

/// An `Origin` naming this site by its `Host`.
const OWN_HOST: &[(&str, &str)] = &[
    ("origin", "https://roster.example"),
    ("host", "roster.example"),
];

#[tokio::test]
async fn csrf_a_foreign_origin_cannot_sign_anyone_in() {
    let app = App::new(None).await;
    app.user("jdoe", PW, |_| {}).await;
    app.backoffice("boss", PW, false).await;
    let login = [("login", "jdoe"), ("password", PW)];
    for headers in [FOREIGN, &[("origin", "null")]] {
        let mut b = app.browser();
        let r = b.post_form_with("/t/acme/login", &login, headers).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}: {}", r.body);
        assert_eq!(
            b.whoami().await.0,
            StatusCode::UNAUTHORIZED,
            "not signed in"
        );
    }
    let mut b = app.browser();
    let r = b
        .post_form_with(
            "/t/acme/backoffice/login",
            &[("login", "boss"), ("password", PW)],
            FOREIGN,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(b.whoami().await.0, StatusCode::UNAUTHORIZED);

    // This site's own origin, by Host or by the configured public URL, signs in.
    let public = app.state.settings.public_url.clone();
    for headers in [OWN_HOST, &[("origin", public.as_str())]] {
        let mut b = app.browser();
        let r = b.post_form_with("/t/acme/login", &login, headers).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{headers:?}: {}", r.body);
        assert_eq!(b.whoami().await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn csrf_a_foreign_origin_cannot_post_portal_forms() {
    let app = App::new(None).await;
    app.user("jdoe", PW, |_| {}).await;
    let mut b = app.browser();
    let r = b
        .post_form_with(
            "/t/acme/register",
            &[("login", "anna"), ("email", "anna@acme.example")],
            FOREIGN,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    let r = b.sign_in(PrincipalKind::User, "jdoe", PW, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b
        .post_form_with("/t/acme/activities/some-course/enroll", &[], FOREIGN)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = b.post_form_with("/t/acme/logout", &[], FOREIGN).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(b.whoami().await.0, StatusCode::OK, "still signed in");
    let r = b.post_form_with("/t/acme/logout", &[], OWN_HOST).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// Posts a back-office form as `token`'s account with extra headers; answers the status.
async fn back_office_post(
    w: &crate::authz::World,
    token: &str,
    path: &str,
    form: &str,
    headers: &[(&str, &str)],
) -> StatusCode {
    let mut req = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Body::from(form.to_owned())).expect("request");
    w.state
        .router()
        .oneshot(req)
        .await
        .expect("response")
        .status()
}

#[tokio::test]
async fn csrf_a_foreign_origin_cannot_post_back_office_forms() {
    let w = crate::authz::world(crate::authz::DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let path = "/t/acme/backoffice/user-groups";
    for headers in [FOREIGN, &[("origin", "null")]] {
        let status = back_office_post(&w, &boss, path, "code=evil&name=Evil", headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
    }
    let public = w.state.settings.public_url.clone();
    for (code, headers) in [
        ("own", OWN_HOST),
        ("public", &[("origin", public.as_str())]),
    ] {
        let form = format!("code={code}&name={code}");
        let status = back_office_post(&w, &boss, path, &form, headers).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    }
}
