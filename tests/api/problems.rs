//! Every error answer of `/api` is RFC 9457 problem+json (issue 17 #10): walks every guarded
//! route with a method it does not serve, a malformed id and a malformed JSON body.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::people;
use crate::authz::World;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Sends a request with `body` as JSON (unparsed) and answers status, content type and body.
async fn send(
    w: &World,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (StatusCode, String, String) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_owned())),
        None => req.body(Body::empty()),
    }
    .expect("request");
    let resp = w.state.router().oneshot(req).await.expect("response");
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Collects a complaint when an error answer is not a complete problem.
fn check(
    what: &str,
    (status, content_type, body): &(StatusCode, String, String),
    wrong: &mut Vec<String>,
) {
    if !status.is_client_error() && !status.is_server_error() {
        return;
    }
    let problem: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let complete = content_type == "application/problem+json"
        && problem["status"] == status.as_u16()
        && problem["title"].as_str().is_some_and(|t| !t.is_empty())
        && problem["detail"].as_str().is_some_and(|d| !d.is_empty());
    if !complete {
        wrong.push(format!("{what}: {status} {content_type:?} {body:?}"));
    }
}

/// Collects a complaint when the operation does not document the status it answered.
fn documented(
    op: &Value,
    (status, ..): &(StatusCode, String, String),
    what: &str,
    out: &mut Vec<String>,
) {
    if status.is_client_error() && !op["responses"][status.as_str()].is_object() {
        out.push(format!("{what}: {status}"));
    }
}

fn concrete(path: &str, id: &str) -> String {
    path.replace("{tenant}", "acme")
        .replace("{id}", id)
        .replace("{employment}", id)
        .replace("{code}", "helpdesk")
}

#[tokio::test]
async fn every_api_error_is_problem_json() {
    let (w, token) = people("{}").await;
    let mut served: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (method, path, _) in roster::web::api::guarded() {
        served.entry(path).or_default().insert(method);
    }
    let mut wrong = Vec::new();
    let mut undocumented = Vec::new();
    let doc = serde_json::to_value(roster::web::openapi::document()).expect("document");
    let some_id = uuid::Uuid::now_v7().to_string();
    for (path, methods) in &served {
        // A method the path does not serve: 405.
        let other = METHODS
            .iter()
            .find(|m| !methods.contains(*m))
            .expect("a method the path does not serve");
        let answer = send(&w, &token, other, &concrete(path, &some_id), None).await;
        assert_eq!(answer.0, StatusCode::METHOD_NOT_ALLOWED, "{other} {path}");
        check(&format!("{other} {path}"), &answer, &mut wrong);

        for method in methods {
            let op = &doc["paths"][path.as_str()][method.to_lowercase()];
            // A malformed id.
            if path.contains("{id}") || path.contains("{employment}") {
                let target = concrete(path, "not-a-uuid");
                let answer = send(&w, &token, method, &target, Some("{}")).await;
                assert!(answer.0.is_client_error(), "{method} {target}: {answer:?}");
                check(&format!("{method} {target}"), &answer, &mut wrong);
                documented(op, &answer, &format!("{method} {path}"), &mut undocumented);
            }
            // A malformed body.
            if ["POST", "PUT", "PATCH"].contains(method) {
                let target = concrete(path, &some_id);
                let answer = send(&w, &token, method, &target, Some("{\"not json")).await;
                check(&format!("{method} {target} (body)"), &answer, &mut wrong);
                if answer.0 != StatusCode::NOT_FOUND {
                    documented(
                        op,
                        &answer,
                        &format!("{method} {path} (body)"),
                        &mut undocumented,
                    );
                }
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "error answers /api/openapi.json does not document:\n{}",
        undocumented.join("\n")
    );
    assert!(
        wrong.is_empty(),
        "{} error answers are not problem+json:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The documented 422 on `body` for a malformed body, on the routes that answered 400
/// text/plain.
#[tokio::test]
async fn a_malformed_body_is_a_422_on_body() {
    let (w, token) = people("{}").await;
    let (status, u) = w
        .call("GET", "/api/v1/acme/backoffice-users", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    let boss = u["items"][0]["id"].as_str().expect("an account").to_owned();
    for (method, path) in [
        ("POST", "/api/v1/acme/backoffice-users".to_owned()),
        ("PUT", format!("/api/v1/acme/backoffice-users/{boss}/roles")),
        ("POST", "/api/v1/acme/roles".to_owned()),
        ("POST", "/api/v1/acme/users".to_owned()),
        // The sign-in API reads its body the same way (it answered 400).
        ("POST", "/api/v1/acme/session".to_owned()),
        ("PUT", "/api/v1/acme/session/password".to_owned()),
    ] {
        for body in ["{\"not json", "[1, 2]"] {
            let (status, content_type, text) = send(&w, &token, method, &path, Some(body)).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {path} {body}: {text}"
            );
            assert_eq!(content_type, "application/problem+json");
            let problem: Value = serde_json::from_str(&text).expect("json");
            assert_eq!(super::fields(&problem), ["body"], "{text}");
        }
    }
}
