//! HTTP skeleton: health and readiness, request ids, problem+json errors.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use roster::app::AppState;
use roster::config::{Settings, SettingsArgs};
use tower::ServiceExt;

use crate::util::TestDb;

async fn app(redis_url: Option<String>) -> (TestDb, AppState) {
    let t = TestDb::new().await;
    let mut settings = Settings::resolve(&SettingsArgs::default()).expect("settings");
    settings.database_url = t.url.clone();
    settings.redis_url = redis_url;
    let state = AppState::new(settings, t.db.clone()).expect("state");
    (t, state)
}

async fn get(state: &AppState, path: &str) -> (StatusCode, String, String, bool) {
    let response = state
        .router()
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let has_request_id = response.headers().contains_key("x-request-id");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
        has_request_id,
    )
}

#[tokio::test]
async fn healthz_answers_with_a_request_id() {
    let (_t, state) = app(None).await;
    let (status, _, body, has_id) = get(&state, "/healthz").await;
    assert_eq!(
        (status, body.as_str(), has_id),
        (StatusCode::OK, "ok", true)
    );
}

#[tokio::test]
async fn readyz_checks_the_database_without_redis() {
    let (_t, state) = app(None).await;
    let (status, _, body, _) = get(&state, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["database"], "ok");
    assert_eq!(v["redis"], "not configured");
}

#[tokio::test]
async fn readyz_checks_redis_when_configured() {
    let Ok(url) = std::env::var("ROSTER_TEST_REDIS_URL") else {
        eprintln!("ROSTER_TEST_REDIS_URL not set: the Redis half of this test runs in .ci/run");
        return;
    };
    let (_t, state) = app(Some(url)).await;
    let (status, _, body, _) = get(&state, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["redis"], "ok");
}

#[tokio::test]
async fn readyz_fails_when_redis_is_unreachable() {
    let (_t, state) = app(Some("redis://127.0.0.1:1/".into())).await;
    let (status, content_type, body, _) = get(&state, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(content_type, "application/problem+json");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["status"], 503);
    assert_eq!(v["detail"], "redis unavailable");
}

#[tokio::test]
async fn unknown_paths_answer_problem_json() {
    let (_t, state) = app(None).await;
    let (status, content_type, body, _) = get(&state, "/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type, "application/problem+json");
    assert!(body.contains("\"status\":404"), "{body}");
}
