//! Sign-in, sign-out and password pages and their JSON twins (R7, U3, B6).

use axum::Router;

use crate::app::AppState;

/// Routes of the sign-in flows.
pub fn router() -> Router<AppState> {
    Router::new()
}
