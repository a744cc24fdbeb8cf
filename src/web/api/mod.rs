//! The JSON API under `/api/v1/{tenant}/…` (X2). Every route names the right it needs.

use axum::Router;

use crate::app::AppState;

/// All API routes.
pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
}
