//! Concurrent writes never fail (issue 17 #9): on SQLite every write transaction takes the
//! writer lock up front (`BEGIN IMMEDIATE`) and waits for it, so user creation, edits and
//! group changes racing the mail worker answer without a single "database is locked" 500.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::people;

/// Requests in the mix, and how many are in flight at once.
const REQUESTS: usize = 2_000;
const IN_FLIGHT: usize = 16;
const SEEDED: usize = 20;

fn person(login: &str) -> Value {
    json!({
        "login": login,
        "first_name": "Con",
        "last_name": "Current",
        "email": format!("{login}@example.org"),
        "catalogs": ["A"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_api_writes_with_the_mail_worker_running_never_answer_5xx() {
    let (w, token) = people("{}").await;
    let mut users = Vec::new();
    for i in 0..SEEDED {
        let (status, u) = w
            .call(
                "POST",
                "/api/v1/acme/users",
                Some(&token),
                Some(person(&format!("seed{i}"))),
            )
            .await;
        assert!(status.is_success(), "{status}: {u}");
        users.push(u["id"].as_str().expect("id").to_owned());
    }
    let mut groups = Vec::new();
    for i in 0..4 {
        let (status, g) = w
            .call(
                "POST",
                "/api/v1/acme/user-groups",
                Some(&token),
                Some(json!({"code": format!("seed-group-{i}"), "name": format!("Seed {i}")})),
            )
            .await;
        assert!(status.is_success(), "{status}: {g}");
        groups.push(g["id"].as_str().expect("id").to_owned());
    }

    // The mail worker (two of them, as two instances would run) sends the set-password
    // mails every creation queues while the requests run.
    let workers = [
        roster::jobs::worker::spawn(w.state.clone()),
        roster::jobs::worker::spawn(w.state.clone()),
    ];

    let router = w.state.router();
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut set = JoinSet::new();
    for i in 0..REQUESTS {
        let (method, path, body) = match i % 6 {
            0 | 3 => (
                "POST",
                "/api/v1/acme/users".to_owned(),
                Some(person(&format!("c{i}"))),
            ),
            1 => (
                "PATCH",
                format!("/api/v1/acme/users/{}", users[i % SEEDED]),
                Some(json!({"first_name": format!("F{i}")})),
            ),
            2 => (
                "POST",
                "/api/v1/acme/user-groups".to_owned(),
                Some(json!({"code": format!("g{i}"), "name": format!("Group {i}")})),
            ),
            4 => (
                "PATCH",
                format!("/api/v1/acme/user-groups/{}", groups[i % groups.len()]),
                Some(json!({"name": format!("Renamed {i}")})),
            ),
            _ => (
                "POST",
                format!("/api/v1/acme/users/{}/account-mail", users[i % SEEDED]),
                None,
            ),
        };
        let mut req = Request::builder()
            .method(method)
            .uri(&path)
            .header("authorization", format!("Bearer {token}"));
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => {
                req = req.header("content-length", "0");
                req.body(Body::empty())
            }
        }
        .expect("request");
        let router = router.clone();
        let permit = gate.clone().acquire_owned().await.expect("semaphore");
        set.spawn(async move {
            let resp = router.oneshot(req).await.expect("response");
            let status = resp.status();
            let bytes = resp.into_body().collect().await.expect("body").to_bytes();
            drop(permit);
            (
                method,
                path,
                status,
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        });
    }
    let mut failures = Vec::new();
    let mut answered = 0;
    while let Some(done) = set.join_next().await {
        let (method, path, status, body) = done.expect("request task");
        answered += 1;
        if status.is_server_error() {
            failures.push(format!("{method} {path}: {status} {body}"));
        }
    }
    for worker in workers {
        worker.abort();
    }
    assert_eq!(answered, REQUESTS);
    assert!(
        failures.is_empty(),
        "{} of {REQUESTS} answers were 5xx, first: {:?}",
        failures.len(),
        failures.first()
    );
}
