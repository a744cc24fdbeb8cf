//! Roles and their rights (B3).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::authz::Access;
use crate::authz::enforcer::announce;
use crate::domain::roles::{self, NewRole, RoleView};
use crate::error::Error;

/// `GET …/roles`
pub async fn list(State(state): State<AppState>, access: Access) -> Result<Json<Value>, Error> {
    Ok(Json(
        json!({ "items": roles::list(&state.db, access.tenant).await? }),
    ))
}

/// `POST …/roles`
pub async fn create(
    State(state): State<AppState>,
    access: Access,
    Json(new): Json<NewRole>,
) -> Result<(StatusCode, Json<RoleView>), Error> {
    let role = roles::create(&state.db, &access.ctx, new).await?;
    announce(&state, access.tenant).await;
    Ok((StatusCode::CREATED, Json(role)))
}

/// Body of `PUT …/rights`.
#[derive(Debug, Deserialize)]
pub struct RightsBody {
    /// The rights the role carries from now on.
    pub rights: Vec<String>,
}

/// `PUT …/roles/{code}/rights`: applies at once here, within a second elsewhere.
pub async fn set_rights(
    State(state): State<AppState>,
    access: Access,
    Path((_, code)): Path<(String, String)>,
    Json(body): Json<RightsBody>,
) -> Result<Json<RoleView>, Error> {
    let role = roles::set_rights(&state.db, &access.ctx, &code, &body.rights).await?;
    announce(&state, access.tenant).await;
    Ok(Json(role))
}
