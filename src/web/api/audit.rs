//! The audit trail of a user (X3). Needs the `audit` right; the user must lie within the
//! scope that right gives the caller, else 404 (as for reading the user).

use axum::Json;
use axum::extract::{Path, Query, State};
use uuid::Uuid;

use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::audit_trail::{self, TrailPage, TrailQuery};
use crate::error::Error;

/// `GET …/users/{id}/audit?page=&per_page=`: newest first.
#[utoipa::path(get, path = "/api/v1/{tenant}/users/{id}/audit", tag = "audit", operation_id = "users_audit",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id"), ("page" = Option<u64>, Query, description = "1-based page"), ("per_page" = Option<u64>, Query, description = "Page size")),
    responses(
        (status = 200, description = "The user's audit trail, newest first (X3)", body = TrailPage),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn user_trail(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    Query(q): Query<TrailQuery>,
) -> Result<Json<TrailPage>, Error> {
    Ok(Json(
        audit_trail::of_user(&state.db, &access, id, &q).await?,
    ))
}
