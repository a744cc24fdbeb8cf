//! Back-office users (B1, B2, B4, B6).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::AppState;
use crate::authz::Access;
use crate::authz::enforcer::announce;
use crate::domain::backoffice::{self, NewAccount, RoleGrant};
use crate::error::Error;
use crate::store::entity::backoffice_accounts;

async fn view(
    state: &AppState,
    access: &Access,
    a: &backoffice_accounts::Model,
) -> Result<Value, Error> {
    let grants = backoffice::grants_of(&state.db, access.tenant, a.id).await?;
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
pub async fn list(State(state): State<AppState>, access: Access) -> Result<Json<Value>, Error> {
    let mut out = Vec::new();
    for a in backoffice::list(&state.db, access.tenant).await? {
        out.push(view(&state, &access, &a).await?);
    }
    Ok(Json(json!({ "items": out })))
}

/// `POST …/backoffice-users` (B1, B2)
pub async fn create(
    State(state): State<AppState>,
    access: Access,
    Json(new): Json<NewAccount>,
) -> Result<(StatusCode, Json<Value>), Error> {
    let a = backoffice::create(&state.db, &access.ctx, new).await?;
    announce(&state, access.tenant).await;
    Ok((StatusCode::CREATED, Json(view(&state, &access, &a).await?)))
}

/// `GET …/backoffice-users/{id}`
pub async fn get(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let a = backoffice::get(&state.db, access.tenant, id).await?;
    Ok(Json(view(&state, &access, &a).await?))
}

/// `POST …/backoffice-users/{id}/activate` (B2)
pub async fn activate(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let a = backoffice::set_active(&state.db, &access.ctx, id, true).await?;
    Ok(Json(view(&state, &access, &a).await?))
}

/// `POST …/backoffice-users/{id}/deactivate`
pub async fn deactivate(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    if id == access.principal.id {
        return Err(Error::Conflict(
            "you cannot deactivate your own account".into(),
        ));
    }
    let a = backoffice::set_active(&state.db, &access.ctx, id, false).await?;
    Ok(Json(view(&state, &access, &a).await?))
}

/// Body of `PUT …/roles`.
#[derive(Debug, Deserialize)]
pub struct RolesBody {
    /// The roles to hold.
    pub roles: Vec<RoleGrant>,
    /// B1 "is administrator".
    #[serde(default)]
    pub is_administrator: bool,
}

/// `PUT …/backoffice-users/{id}/roles`
pub async fn set_roles(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
    Json(body): Json<RolesBody>,
) -> Result<Json<Value>, Error> {
    backoffice::set_roles(
        &state.db,
        &access.ctx,
        id,
        &body.roles,
        body.is_administrator,
    )
    .await?;
    announce(&state, access.tenant).await;
    let a = backoffice::get(&state.db, access.tenant, id).await?;
    Ok(Json(view(&state, &access, &a).await?))
}

/// Body of `PUT …/catalogs`.
#[derive(Debug, Deserialize)]
pub struct CatalogsBody {
    /// B4: access to every catalog.
    #[serde(default)]
    pub all_catalogs: bool,
    /// Catalog codes.
    #[serde(default)]
    pub catalogs: Vec<String>,
}

/// `PUT …/backoffice-users/{id}/catalogs` (B4)
pub async fn set_catalogs(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
    Json(body): Json<CatalogsBody>,
) -> Result<Json<Value>, Error> {
    backoffice::set_catalogs(
        &state.db,
        &access.ctx,
        id,
        body.all_catalogs,
        &body.catalogs,
    )
    .await?;
    let a = backoffice::get(&state.db, access.tenant, id).await?;
    Ok(Json(view(&state, &access, &a).await?))
}

/// `POST …/backoffice-users/{id}/temporary-password` (B6)
pub async fn temporary_password(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<StatusCode, Error> {
    backoffice::send_temporary_password(&state.db, &access.ctx, id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PATCH …/backoffice-users/{id}` (B1)
pub async fn update(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
    Json(patch): Json<backoffice::AccountPatch>,
) -> Result<Json<Value>, Error> {
    let a = backoffice::update(&state.db, &access.ctx, id, patch).await?;
    Ok(Json(view(&state, &access, &a).await?))
}
