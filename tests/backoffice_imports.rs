//! The back-office imports page (I8, I9): "Stage for import" as a multipart form, the
//! dashboard, "run now", the report page and its CSV download, and the refusals.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::authz::{DESCRIPTOR, world};

const BOUNDARY: &str = "roster-test-boundary";

fn multipart(file: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{BOUNDARY}--\r\n"
    ));
    body.into_bytes()
}

async fn send(
    state: &roster::app::AppState,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Vec<u8>>,
    site: &str,
) -> (StatusCode, Option<String>, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("sec-fetch-site", site);
    if body.is_some() {
        req = req.header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
    }
    let req = req
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .expect("request");
    let resp = state.router().oneshot(req).await.expect("response");
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

const FILE: &str = "Uid;FirstName;LastName;Email\r\nann;Ann;Archer;ann@example.org\r\nbob;Bob;;bob@example.org\r\n";

#[tokio::test]
async fn i9_staging_from_the_page_runs_in_the_worker_and_shows_the_report() {
    let w = world(DESCRIPTOR).await;
    let (_, token) = w.admin("boss", "customer_admin", None, None).await;
    let base = "/t/acme/backoffice/imports";

    let (status, location, body) = send(
        &w.state,
        "POST",
        base,
        &token,
        Some(multipart(FILE, &[("format", "csv"), ("catalog", "A")])),
        "same-origin",
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(
        location.as_deref(),
        Some("/t/acme/backoffice/imports?done=staged")
    );

    let (status, _, page) = send(
        &w.state,
        "GET",
        &format!("{base}?done=staged"),
        &token,
        None,
        "none",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("The file is staged for import."), "{page}");
    assert!(page.contains("people.csv"), "{page}");
    assert!(
        page.contains("Waiting"),
        "the dashboard shows the state: {page}"
    );

    let (_, v) = w
        .call("GET", "/api/v1/acme/imports", Some(&token), None)
        .await;
    let id = v["items"][0]["id"].as_str().expect("one import").to_owned();
    assert_eq!(v["items"][0]["state"], "staged");

    let (status, location, _) = send(
        &w.state,
        "POST",
        &format!("{base}/{id}/run-now"),
        &token,
        None,
        "same-origin",
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/t/acme/backoffice/imports?done=queued")
    );
    roster::jobs::worker::drain(&w.state).await.expect("drain");

    let (_, _, page) = send(&w.state, "GET", base, &token, None, "none").await;
    assert!(page.contains("Done"), "{page}");
    assert!(
        page.contains(&format!("{id}/report.csv")),
        "a done import links its report"
    );

    let (status, _, page) = send(
        &w.state,
        "GET",
        &format!("{base}/{id}"),
        &token,
        None,
        "none",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<td>created</td>"), "{page}");
    assert!(
        page.contains("LastName is required"),
        "the failed row says why: {page}"
    );

    let (status, _, csv) = send(
        &w.state,
        "GET",
        &format!("{base}/{id}/report.csv"),
        &token,
        None,
        "none",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with("Line;Outcome;MatchedBy;Message;"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "header and one line per row: {csv}");

    // Run now on an import that already ran changes nothing and says so.
    let (_, location, _) = send(
        &w.state,
        "POST",
        &format!("{base}/{id}/run-now"),
        &token,
        None,
        "same-origin",
    )
    .await;
    assert_eq!(
        location.as_deref(),
        Some("/t/acme/backoffice/imports?done=not_waiting")
    );
}

#[tokio::test]
async fn i9_an_empty_file_or_unknown_configuration_is_a_field_error_and_stages_nothing() {
    let w = world(DESCRIPTOR).await;
    let (_, token) = w.admin("boss", "customer_admin", None, None).await;
    let base = "/t/acme/backoffice/imports";

    let (status, _, page) = send(
        &w.state,
        "POST",
        base,
        &token,
        Some(multipart("", &[("format", "csv")])),
        "same-origin",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("choose a file to import; this one is empty"),
        "{page}"
    );
    assert!(
        page.contains("aria-invalid=\"true\" aria-describedby=\"import-file-error\""),
        "{page}"
    );

    let (status, _, page) = send(
        &w.state,
        "POST",
        base,
        &token,
        Some(multipart(FILE, &[("config", "NOPE"), ("mail_report", "1")])),
        "same-origin",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("this import configuration does not exist"),
        "{page}"
    );
    assert!(
        page.contains("name=\"mail_report\" value=\"1\" checked"),
        "entered values are kept: {page}"
    );

    let (_, v) = w
        .call("GET", "/api/v1/acme/imports", Some(&token), None)
        .await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{v}");
}

#[tokio::test]
async fn i9_a_cross_site_post_or_an_account_without_the_right_stages_nothing() {
    let w = world(DESCRIPTOR).await;
    let (_, boss) = w.admin("boss", "customer_admin", None, None).await;
    let (_, hr) = w.admin("hr", "hr", None, None).await;
    let base = "/t/acme/backoffice/imports";

    let (status, _, _) = send(
        &w.state,
        "POST",
        base,
        &boss,
        Some(multipart(FILE, &[])),
        "cross-site",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(
        &w.state,
        "POST",
        base,
        &hr,
        Some(multipart(FILE, &[])),
        "same-origin",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(&w.state, "GET", base, &hr, None, "none").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, home) = send(&w.state, "GET", "/t/acme/backoffice", &hr, None, "none").await;
    assert!(
        !home.contains("/backoffice/imports"),
        "no Imports entry without the right: {home}"
    );

    let (_, v) = w
        .call("GET", "/api/v1/acme/imports", Some(&boss), None)
        .await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{v}");
}
