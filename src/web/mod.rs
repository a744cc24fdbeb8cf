//! HTTP: the router, request ids and tracing, health endpoints.

pub mod api;
pub mod backoffice;
pub mod csrf;
pub mod error_pages;
pub mod guard;
mod health;
pub mod i18n;
pub mod openapi;
pub mod pages;
pub mod portal;
mod problems;
pub mod routes;
pub mod sessions;
pub mod signin;

use std::sync::Arc;

use axum::http::{HeaderName, Request};
use axum::routing::get;
use axum::{Extension, Router};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::auth::throttle::Throttle;
use crate::error::Error;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Assembles every route with the middleware stack.
pub fn router(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let id = req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", request.id = %id, http.method = %req.method(), http.path = %req.uri().path())
    });
    let routes = Router::new()
        .route("/", get(health::index))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(signin::router())
        .merge(api::router(&state))
        .merge(backoffice::router(&state))
        .merge(portal::router(&state))
        // R7: one in-process throttle, shared by the sign-in pages and their JSON twins (Redis,
        // when configured, is shared by every instance).
        .layer(Extension(Arc::new(Throttle::default())))
        .fallback(|| async { Error::NotFound("resource".into()) })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error_pages::localise,
        ))
        .layer(axum::middleware::from_fn(problems::api_errors_are_problems))
        .with_state(state.clone());
    sessions::apply(routes, &state)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
