//! The overview (dashboard) and the placeholder of sections whose pages are not built yet.

use axum::extract::State;
use user_directory::Query;

use super::view::Frame;
use crate::app::AppState;
use crate::authz::{Permit, Right};
use crate::domain::user_directory;
use crate::web::pages::{Page, PageError};

/// `GET /t/{tenant}/backoffice`: the overview — the sections the account's roles open (B3) and,
/// with the users right, how many users it reaches (B4, B5).
pub async fn home(State(state): State<AppState>, access: Permit) -> Result<Page, PageError> {
    let mut frame = Frame::new(&state, &access, "home").await?;
    if access.has(Right::Users) {
        let count = |active: Option<bool>| Query {
            active,
            per_page: Some(1),
            ..Query::default()
        };
        let all = user_directory::list(&state.db, &access, &count(None)).await?;
        let active = user_directory::list(&state.db, &access, &count(Some(true))).await?;
        frame = frame
            .set("users_total", all.total)
            .set("users_active", active.total);
    }
    let title = frame.text("home.title");
    frame.set("title", title).render("backoffice/home.html")
}

/// Any section without pages yet: guarded by its right; says where to manage it meanwhile.
pub async fn section(
    State(state): State<AppState>,
    access: Permit,
    right: Right,
) -> Result<Page, PageError> {
    let frame = Frame::new(&state, &access, right.as_str()).await?;
    let title = frame.text(&format!("right.{}", right.as_str()));
    frame.set("title", title).render("backoffice/page.html")
}
