#![allow(clippy::unwrap_used)] // tests may unwrap
//! U8 on the back-office organisations page: the "new organisation" and rename forms, with a
//! refused form re-rendered (422) with the entered values and a message per field.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use roster::domain::organisations;
use tower::ServiceExt;

use crate::authz::{DESCRIPTOR, World, world};

async fn send(w: &World, path: &str, token: &str, form: Option<&str>) -> (StatusCode, String) {
    let req = Request::builder()
        .method(if form.is_some() { "POST" } else { "GET" })
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let req = match form {
        Some(f) => req
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(f.to_owned())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let resp = w.state.router().oneshot(req).await.unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&bytes).replace("&#x2f;", "/");
    (status, location.unwrap_or(body))
}

const PAGE: &str = "/t/acme/backoffice/organisations";

#[tokio::test]
async fn u8_a_new_organisation_is_created_and_a_refused_one_names_the_field() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let (status, location) = send(&w, PAGE, &boss, Some("code=ACME-NL&name=Acme+Nederland")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert_eq!(location, format!("{PAGE}?done=created"));
    let all = organisations::list(&w.t.db, &roster::authz::Permit::operator(w.tenant, "test"))
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].code.as_str(), all[0].name.as_str()),
        ("ACME-NL", "Acme Nederland")
    );
    let (_, body) = send(&w, &location, &boss, None).await;
    assert!(body.contains("Acme Nederland"), "{body}");

    // A taken code: 422, the code field marked, the entered name kept.
    let (status, body) = send(&w, PAGE, &boss, Some("code=ACME-NL&name=Second")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("aria-invalid=\"true\" aria-describedby=\"organisation-code-error\""),
        "{body}"
    );
    assert!(body.contains("id=\"organisation-code-error\""));
    assert!(!body.contains("id=\"organisation-name-error\""));
    assert!(body.contains("value=\"Second\""), "{body}");

    // An empty name and a code with a space: both named.
    let (status, body) = send(&w, PAGE, &boss, Some("code=A+B&name=")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("id=\"organisation-code-error\""), "{body}");
    assert!(body.contains("id=\"organisation-name-error\""), "{body}");
    assert_eq!(
        organisations::list(&w.t.db, &roster::authz::Permit::operator(w.tenant, "test"))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn u8_an_organisation_is_renamed_and_an_empty_name_is_refused() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let (_, ou) = w.admin("ou", "ou_admin", Some("NL"), None).await;
    send(&w, PAGE, &boss, Some("code=ORG&name=Old+name")).await;
    let id = organisations::list(&w.t.db, &roster::authz::Permit::operator(w.tenant, "test"))
        .await
        .unwrap()[0]
        .id;
    let rename = format!("{PAGE}/{id}/rename");

    let (status, location) = send(&w, &rename, &boss, Some("name=New+name")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert_eq!(location, format!("{PAGE}?done=renamed"));
    let org = organisations::get(
        &w.t.db,
        &roster::authz::Permit::operator(w.tenant, "test"),
        id,
    )
    .await
    .unwrap();
    assert_eq!((org.code.as_str(), org.name.as_str()), ("ORG", "New name"));

    let (status, body) = send(&w, &rename, &boss, Some("name=")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains(&format!("aria-describedby=\"rename-{id}-error\"")),
        "{body}"
    );
    assert!(body.contains(&format!("id=\"rename-{id}-error\"")));
    assert_eq!(
        organisations::get(
            &w.t.db,
            &roster::authz::Permit::operator(w.tenant, "test"),
            id
        )
        .await
        .unwrap()
        .name,
        "New name"
    );

    // B3: both forms need the organisations right.
    let (status, _) = send(&w, &rename, &ou, Some("name=X")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&w, PAGE, &ou, Some("code=X&name=X")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
