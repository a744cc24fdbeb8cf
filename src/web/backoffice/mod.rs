//! Back-office pages under `/t/{tenant}/backoffice`.

use axum::Router;

use crate::app::AppState;

/// All back-office page routes.
pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
}
