//! Organisations (U8, U10) with their "Departments" tab: codes and parent departments.

use axum::extract::{Path, State};
use uuid::Uuid;

use super::view::Frame;
use crate::app::AppState;
use crate::authz::Access;
use crate::domain::organisations;
use crate::web::pages::{Page, PageError};

/// `GET …/organisations`: every organisation with its department and employee counts.
pub async fn list(State(state): State<AppState>, access: Access) -> Result<Page, PageError> {
    let all = organisations::list(&state.db, access.tenant).await?;
    let frame = Frame::new(&state, &access, "organisations").await?;
    let title = frame.text("right.organisations");
    frame
        .set("title", title)
        .set("organisations", all)
        .render("backoffice/organisations.html")
}

/// `GET …/organisations/{id}`: the "Departments" tab — each department's code and parent.
pub async fn departments(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Page, PageError> {
    let organisation = organisations::get(&state.db, access.tenant, id).await?;
    let departments = organisations::departments(&state.db, access.tenant, id).await?;
    let frame = Frame::new(&state, &access, "organisations").await?;
    frame
        .set("title", organisation.name.clone())
        .set("organisation", organisation)
        .set("departments", departments)
        .render("backoffice/organisation.html")
}
