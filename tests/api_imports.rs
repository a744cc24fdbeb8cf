//! I9/I10 over HTTP: stage an upload, run it in the worker, read the dashboard and report,
//! export the scope, and re-import the export with every row unchanged.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::authz::{DESCRIPTOR, world};

async fn raw(
    state: &roster::app::AppState,
    method: &str,
    path: &str,
    token: &str,
    body: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/csv")
        .body(Body::from(body))
        .expect("request");
    let resp = state.router().oneshot(req).await.expect("response");
    let status = resp.status();
    (
        status,
        resp.into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec(),
    )
}

#[tokio::test]
async fn i9_staged_upload_runs_in_the_worker_and_i10_export_round_trips() {
    let w = world(DESCRIPTOR).await;
    let (_, token) = w.admin("boss", "customer_admin", None, None).await;
    let csv = "Uid;FirstName;LastName;Email\r\nann;Ann;Archer;ann@example.org\r\nbob;Bob;Baker;bob@example.org\r\n";
    let (status, body) = raw(
        &w.state,
        "POST",
        "/api/v1/acme/imports?file_name=people.csv&catalog=A",
        &token,
        csv.into(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let staged: Value = serde_json::from_slice(&body).expect("json");
    let id = staged["id"].as_str().expect("id").to_owned();

    let (_, v) = w
        .call(
            "GET",
            &format!("/api/v1/acme/imports/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(v["state"], "staged", "{v}");
    assert_eq!(
        roster::jobs::worker::drain(&w.state).await.expect("drain"),
        0,
        "not due before its tick"
    );
    let (status, _) = w
        .call(
            "POST",
            &format!("/api/v1/acme/imports/{id}/run-now"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(roster::jobs::worker::drain(&w.state).await.expect("drain") >= 1);

    let (_, v) = w
        .call(
            "GET",
            &format!("/api/v1/acme/imports/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        (v["state"].as_str(), v["created"].as_i64()),
        (Some("done"), Some(2)),
        "{v}"
    );
    let (_, list) = w
        .call("GET", "/api/v1/acme/imports", Some(&token), None)
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let (status, report) = raw(
        &w.state,
        "GET",
        &format!("/api/v1/acme/imports/{id}/report"),
        &token,
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let report = String::from_utf8_lossy(&report);
    assert_eq!(report.matches("created").count(), 2, "{report}");

    let (status, export) = raw(&w.state, "GET", "/api/v1/acme/users-export", &token, vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&export);
    assert!(
        text.starts_with("Uid;ExternalId;FirstName;LastName;Email;"),
        "{text}"
    );
    assert!(text.contains("ann;") && text.contains("bob;"), "{text}");

    let (status, body) = raw(
        &w.state,
        "POST",
        "/api/v1/acme/imports?file_name=export.csv&catalog=A",
        &token,
        export,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let again: Value = serde_json::from_slice(&body).expect("json");
    let again = again["id"].as_str().expect("id").to_owned();
    w.call(
        "POST",
        &format!("/api/v1/acme/imports/{again}/run-now"),
        Some(&token),
        None,
    )
    .await;
    roster::jobs::worker::drain(&w.state).await.expect("drain");
    let (_, v) = w
        .call(
            "GET",
            &format!("/api/v1/acme/imports/{again}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        (
            v["unchanged"].as_i64(),
            v["updated"].as_i64(),
            v["errors"].as_i64()
        ),
        (Some(2), Some(0), Some(0)),
        "{v}"
    );
}

#[tokio::test]
async fn i10_export_is_scoped_like_every_other_read() {
    let w = world(DESCRIPTOR).await;
    w.user("in-nl", Some("NL"), &[]).await;
    w.user("in-us", Some("US"), &[]).await;
    let (_, ou) = w.admin("ou", "ou_admin", Some("NL"), None).await;
    let (status, export) = raw(&w.state, "GET", "/api/v1/acme/users-export", &ou, vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&export);
    assert!(text.contains("in-nl") && !text.contains("in-us"), "{text}");
}
