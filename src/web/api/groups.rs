//! User groups (G1): list, create, rename, delete (refused while the group has members).
//! Every route needs the `user_groups` right.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::users::body;
use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::groups::{self, GroupRename, GroupView, NewGroup};
use crate::error::Error;

/// `GET …/user-groups`
#[utoipa::path(get, path = "/api/v1/{tenant}/user-groups", tag = "user-groups", operation_id = "user_groups_list",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses(
        (status = 200, description = "`{items: [GroupView]}`", body = serde_json::Value),
    ))]
pub async fn list(State(state): State<AppState>, access: Permit) -> Result<Json<Value>, Error> {
    let items = groups::list(&state.db, &access).await?;
    Ok(Json(json!({ "items": items })))
}

/// `POST …/user-groups`
#[utoipa::path(post, path = "/api/v1/{tenant}/user-groups", tag = "user-groups", operation_id = "user_groups_create",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = NewGroup,
    responses(
        (status = 201, description = "Created (G1)", body = GroupView),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    new: Result<Json<NewGroup>, JsonRejection>,
) -> Result<(StatusCode, Json<GroupView>), Error> {
    let g = groups::create(&state.db, &access, body(new)?).await?;
    Ok((StatusCode::CREATED, Json(g)))
}

/// `GET …/user-groups/{id}`
#[utoipa::path(get, path = "/api/v1/{tenant}/user-groups/{id}", tag = "user-groups", operation_id = "user_groups_get",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "The group", body = GroupView),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<GroupView>, Error> {
    Ok(Json(groups::get(&state.db, &access, id).await?))
}

/// `PATCH …/user-groups/{id}`: rename.
#[utoipa::path(patch, path = "/api/v1/{tenant}/user-groups/{id}", tag = "user-groups", operation_id = "user_groups_rename",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    request_body = GroupRename,
    responses(
        (status = 200, description = "Renamed", body = GroupView),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: a tenant descriptor manages it (X9); the detail names the descriptor file", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn rename(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    r: Result<Json<GroupRename>, JsonRejection>,
) -> Result<Json<GroupView>, Error> {
    Ok(Json(
        groups::rename(&state.db, &access, id, body(r)?).await?,
    ))
}

/// `DELETE …/user-groups/{id}`: 204, or 409 with the reason while the group has members.
#[utoipa::path(delete, path = "/api/v1/{tenant}/user-groups/{id}", tag = "user-groups", operation_id = "user_groups_delete",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 204, description = "Deleted; refused with 409 while it has members (G1)"),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused; the detail says why, or a tenant descriptor manages it (X9: the detail names the file)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<StatusCode, Error> {
    groups::delete(&state.db, &access, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
