//! R3: the approval queue in the back office (`/t/{tenant}/backoffice/approvals`, right
//! `approve_registrations`): the registrations in the approver's scope, with approve and reject
//! (a reason is optional and mailed to the registrant).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::view::{Frame, see_other};
use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::registration::approval::{self, Decision};
use crate::web::pages::PageError;
use crate::web::portal::texts::texts;

/// `?done=` after a decision.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET …/approvals`: the waiting registrations in scope, oldest first.
pub async fn list(
    State(state): State<AppState>,
    access: Permit,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let frame = Frame::new(&state, &access, "approve_registrations").await?;
    let tx = texts(frame.lang);
    let pending = approval::pending(&state.db, &access).await?;
    let notice = match q.done.as_deref() {
        Some(n @ ("approved" | "rejected")) => Some(n),
        _ => None,
    };
    let title = tx.get("approvals.title").cloned().unwrap_or_default();
    Ok(frame
        .set("title", title)
        .set("tx", tx)
        .set("pending", pending)
        .set("notice", notice)
        .render_status(StatusCode::OK, "backoffice/approvals.html")?
        .into_response())
}

/// The reject form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RejectForm {
    reason: String,
}

fn back(access: &Permit, done: &str) -> Response {
    see_other(&format!(
        "/t/{}/backoffice/approvals?done={done}",
        access.tenant_slug()
    ))
}

/// `POST …/approvals/{id}/approve`
pub async fn approve(
    State(state): State<AppState>,
    access: Permit,
    Path((_slug, id)): Path<(String, Uuid)>,
) -> Result<Response, PageError> {
    approval::decide(&state.db, &access, id, Decision::Approve).await?;
    Ok(back(&access, "approved"))
}

/// `POST …/approvals/{id}/reject`
pub async fn reject(
    State(state): State<AppState>,
    access: Permit,
    Path((_slug, id)): Path<(String, Uuid)>,
    Form(f): Form<RejectForm>,
) -> Result<Response, PageError> {
    approval::decide(
        &state.db,
        &access,
        id,
        Decision::Reject { reason: f.reason },
    )
    .await?;
    Ok(back(&access, "rejected"))
}
