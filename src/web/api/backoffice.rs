//! Back-office users (B1, B2, B4, B6).

use super::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::backoffice::{self, NewAccount, RoleGrant};
use crate::error::Error;
use crate::store::entity::backoffice_accounts;

async fn view(
    state: &AppState,
    access: &Permit,
    a: &backoffice_accounts::Model,
) -> Result<Value, Error> {
    let grants = backoffice::grants_of(&state.db, access, a.id).await?;
    Ok(json!({
        "id": a.id,
        "login": a.login,
        "first_name": a.first_name,
        "last_name": a.last_name,
        "email": a.email,
        "active": a.active,
        "is_administrator": a.is_administrator,
        "all_catalogs": a.all_catalogs,
        "course_system_role": a.course_system_role,
        "roles": grants,
        "last_login_at": a.last_login_at,
    }))
}

/// `GET …/backoffice-users`
#[utoipa::path(get, path = "/api/v1/{tenant}/backoffice-users", tag = "backoffice-users", operation_id = "backoffice_users_list",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses(
        (status = 200, description = "`{items: [...]}`: every back-office account with roles", body = serde_json::Value),
    ))]
pub async fn list(State(state): State<AppState>, access: Permit) -> Result<Json<Value>, Error> {
    let mut out = Vec::new();
    for a in backoffice::list(&state.db, &access).await? {
        out.push(view(&state, &access, &a).await?);
    }
    Ok(Json(json!({ "items": out })))
}

/// `POST …/backoffice-users` (B1, B2)
#[utoipa::path(post, path = "/api/v1/{tenant}/backoffice-users", tag = "backoffice-users", operation_id = "backoffice_users_create",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = crate::domain::backoffice::NewAccount,
    responses(
        (status = 201, description = "Created", body = serde_json::Value),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    Json(new): Json<NewAccount>,
) -> Result<(StatusCode, Json<Value>), Error> {
    let a = backoffice::create(&state.db, &access, new).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &access, &a).await?)))
}

/// `GET …/backoffice-users/{id}`
#[utoipa::path(get, path = "/api/v1/{tenant}/backoffice-users/{id}", tag = "backoffice-users", operation_id = "backoffice_users_get",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "The account", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let a = backoffice::get(&state.db, &access, id).await?;
    Ok(Json(view(&state, &access, &a).await?))
}

/// `POST …/backoffice-users/{id}/activate` (B2)
#[utoipa::path(post, path = "/api/v1/{tenant}/backoffice-users/{id}/activate", tag = "backoffice-users", operation_id = "backoffice_users_activate",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "Activated (B2)", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn activate(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let a = backoffice::set_active(&state.db, &access, id, true).await?;
    Ok(Json(view(&state, &access, &a).await?))
}

/// `POST …/backoffice-users/{id}/deactivate`
#[utoipa::path(post, path = "/api/v1/{tenant}/backoffice-users/{id}/deactivate", tag = "backoffice-users", operation_id = "backoffice_users_deactivate",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "Deactivated", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused; the detail says why", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn deactivate(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let a = backoffice::set_active(&state.db, &access, id, false).await?;
    Ok(Json(view(&state, &access, &a).await?))
}

/// Body of `PUT …/roles`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RolesBody {
    /// The roles to hold.
    pub roles: Vec<RoleGrant>,
    /// B1 "is administrator".
    #[serde(default)]
    pub is_administrator: bool,
}

/// `PUT …/backoffice-users/{id}/roles`
#[utoipa::path(put, path = "/api/v1/{tenant}/backoffice-users/{id}/roles", tag = "backoffice-users", operation_id = "backoffice_users_set_roles",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    request_body = RolesBody,
    responses(
        (status = 200, description = "Roles replaced", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: the account is the tenant's last active administrator", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_roles(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    Json(body): Json<RolesBody>,
) -> Result<Json<Value>, Error> {
    backoffice::set_roles(&state.db, &access, id, &body.roles, body.is_administrator).await?;
    let a = backoffice::get(&state.db, &access, id).await?;
    Ok(Json(view(&state, &access, &a).await?))
}

/// Body of `PUT …/catalogs`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CatalogsBody {
    /// B4: access to every catalog.
    #[serde(default)]
    pub all_catalogs: bool,
    /// Catalog codes.
    #[serde(default)]
    pub catalogs: Vec<String>,
}

/// `PUT …/backoffice-users/{id}/catalogs` (B4)
#[utoipa::path(put, path = "/api/v1/{tenant}/backoffice-users/{id}/catalogs", tag = "backoffice-users", operation_id = "backoffice_users_set_catalogs",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    request_body = CatalogsBody,
    responses(
        (status = 200, description = "Catalog access replaced (B4)", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_catalogs(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    Json(body): Json<CatalogsBody>,
) -> Result<Json<Value>, Error> {
    backoffice::set_catalogs(&state.db, &access, id, body.all_catalogs, &body.catalogs).await?;
    let a = backoffice::get(&state.db, &access, id).await?;
    Ok(Json(view(&state, &access, &a).await?))
}

/// `POST …/backoffice-users/{id}/temporary-password` (B6)
#[utoipa::path(post, path = "/api/v1/{tenant}/backoffice-users/{id}/temporary-password", tag = "backoffice-users", operation_id = "backoffice_users_temporary_password",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 202, description = "A temporary password mail is queued (B6)"),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn temporary_password(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<StatusCode, Error> {
    backoffice::send_temporary_password(&state.db, &access, id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PATCH …/backoffice-users/{id}` (B1)
#[utoipa::path(patch, path = "/api/v1/{tenant}/backoffice-users/{id}", tag = "backoffice-users", operation_id = "backoffice_users_update",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    request_body = crate::domain::backoffice::AccountPatch,
    responses(
        (status = 200, description = "Updated", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    Json(patch): Json<backoffice::AccountPatch>,
) -> Result<Json<Value>, Error> {
    let a = backoffice::update(&state.db, &access, id, patch).await?;
    Ok(Json(view(&state, &access, &a).await?))
}
