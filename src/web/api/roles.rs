//! Roles and their rights (B3).

use super::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::roles::{self, NewRole, RoleView};
use crate::error::Error;

/// `GET …/roles`
#[utoipa::path(get, path = "/api/v1/{tenant}/roles", tag = "roles", operation_id = "roles_list",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses(
        (status = 200, description = "`{items: [RoleView + managed_by]}`: `managed_by` is the descriptor file that manages the role (its rights are then edited there, X9), `null` for a role made at run time", body = serde_json::Value),
    ))]
pub async fn list(State(state): State<AppState>, access: Permit) -> Result<Json<Value>, Error> {
    Ok(Json(
        json!({ "items": roles::list(&state.db, &access).await? }),
    ))
}

/// `POST …/roles`
#[utoipa::path(post, path = "/api/v1/{tenant}/roles", tag = "roles", operation_id = "roles_create",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = NewRole,
    responses(
        (status = 201, description = "Created (B3)", body = RoleView),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    Json(new): Json<NewRole>,
) -> Result<(StatusCode, Json<RoleView>), Error> {
    let role = roles::create(&state.db, &access, new).await?;
    Ok((StatusCode::CREATED, Json(role)))
}

/// Body of `PUT …/rights`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RightsBody {
    /// The rights the role carries from now on.
    pub rights: Vec<String>,
}

/// `PUT …/roles/{code}/rights`: applies at once here, within a second elsewhere.
#[utoipa::path(put, path = "/api/v1/{tenant}/roles/{code}/rights", tag = "roles", operation_id = "roles_set_rights",
    params(("tenant" = String, Path, description = "Tenant slug"), ("code" = String, Path, description = "Code")),
    request_body = RightsBody,
    responses(
        (status = 200, description = "Rights replaced; other instances follow within a second", body = RoleView),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: a tenant descriptor manages it (X9); the detail names the descriptor file", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_rights(
    State(state): State<AppState>,
    access: Permit,
    Path((_, code)): Path<(String, String)>,
    Json(body): Json<RightsBody>,
) -> Result<Json<RoleView>, Error> {
    let role = roles::set_rights(&state.db, &access, &code, &body.rights).await?;
    Ok(Json(role))
}
