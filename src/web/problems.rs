//! X2: every error answer under `/api` is RFC 9457 `application/problem+json`. Handlers and
//! the guard answer with [`Error`](crate::error::Error), which already is one; this
//! middleware catches what axum itself answers before any handler runs — 405 for a method a
//! path does not serve (empty body), 400 for a malformed path parameter, 413 for a body over
//! the limit, 415/400 from other extractors (plain text) — and rewrites it as a problem with
//! the same status and headers (`Allow`, `Retry-After`), its text as the detail.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{PROBLEM_JSON, problem};

/// The most of a non-problem error body kept as the detail.
const MAX_DETAIL: usize = 16 * 1024;

/// Middleware: an `/api` error answer that is not problem+json becomes one.
pub async fn api_errors_are_problems(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let plain = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    let text = match to_bytes(body, MAX_DETAIL).await {
        Ok(bytes) if plain => String::from_utf8_lossy(&bytes).trim().to_owned(),
        _ => String::new(),
    };
    let detail = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allow = parts
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        format!("this path does not serve {method}; it serves {allow}")
    } else if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
    } else {
        text
    };
    let mut answer = problem(status, detail);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name, value.clone());
        }
    }
    answer
}
