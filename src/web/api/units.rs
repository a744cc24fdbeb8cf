//! Organisation units (T3), behind `Right::Organisations`; an administrator scoped to a
//! sub-tree (B5) sees and changes only that sub-tree. Rules: [`crate::domain::units`].

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use uuid::Uuid;

use super::users::body;
use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::units::{self, NewUnit, Unit, UnitPatch};
use crate::error::Error;
use crate::web::openapi::Problem;

/// `GET …/units`: the tree within the caller's scope.
#[utoipa::path(get, path = "/api/v1/{tenant}/units", tag = "units",
    operation_id = "units_tree",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "The units in scope as a tree; the roots are the top units the caller reaches", body = Vec<Unit>)))]
pub async fn tree(State(state): State<AppState>, access: Permit) -> Result<Json<Vec<Unit>>, Error> {
    Ok(Json(units::tree(&state.db, &access).await?))
}

/// `POST …/units`
#[utoipa::path(post, path = "/api/v1/{tenant}/units", tag = "units",
    operation_id = "units_create",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = NewUnit,
    responses(
        (status = 201, description = "Created", body = Unit),
        (status = 422, description = "Invalid fields (parent outside scope, taken code …), one entry per field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    new: Result<Json<NewUnit>, JsonRejection>,
) -> Result<(StatusCode, Json<Unit>), Error> {
    let new = body(new)?;
    let unit = units::create(&state.db, &access, new).await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

/// `GET …/units/{id}`
#[utoipa::path(get, path = "/api/v1/{tenant}/units/{id}", tag = "units",
    operation_id = "units_get",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Unit id")),
    responses(
        (status = 200, description = "The unit with its sub-tree", body = Unit),
        (status = 404, description = "No such unit within the caller's scope", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Unit>, Error> {
    Ok(Json(units::get(&state.db, &access, id).await?))
}

/// `PATCH …/units/{id}`: rename or move.
#[utoipa::path(patch, path = "/api/v1/{tenant}/units/{id}", tag = "units",
    operation_id = "units_update",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Unit id")),
    request_body = UnitPatch,
    responses(
        (status = 200, description = "Updated", body = Unit),
        (status = 404, description = "No such unit within the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (a move that would make a cycle …), one entry per field", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: a tenant descriptor manages it (X9); the detail names the descriptor file", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    patch: Result<Json<UnitPatch>, JsonRejection>,
) -> Result<Json<Unit>, Error> {
    let patch = body(patch)?;
    Ok(Json(units::update(&state.db, &access, id, patch).await?))
}

/// `DELETE …/units/{id}`
#[utoipa::path(delete, path = "/api/v1/{tenant}/units/{id}", tag = "units",
    operation_id = "units_delete",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Unit id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such unit within the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: users, child units or role anchors remain (the reason lists them), or a tenant descriptor manages it (X9: the detail names the file)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<StatusCode, Error> {
    units::delete(&state.db, &access, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
