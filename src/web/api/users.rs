//! Portal users within the caller's scope (U5, U6, B4, B5).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::AppState;
use crate::authz::{Access, Right};
use crate::domain::user_directory::{self, Patch};
use crate::error::Error;
use crate::store::entity::users;

/// The API view of a user (no password hash).
pub fn view(u: &users::Model) -> Value {
    json!({
        "id": u.id,
        "login": u.login,
        "user_number": u.user_number,
        "external_id": u.external_id,
        "first_name": u.first_name,
        "middle_name": u.middle_name,
        "last_name": u.last_name,
        "title": u.title,
        "email": u.email,
        "organisation_unit_id": u.organisation_unit_id,
        "language": u.language,
        "superior_id": u.superior_id,
        "active": u.active,
        "registration_state": u.registration_state,
    })
}

/// `GET …/users?q=&group=&page=&per_page=`
pub async fn list(
    State(state): State<AppState>,
    access: Access,
    Query(query): Query<user_directory::Query>,
) -> Result<Json<Value>, Error> {
    let scope = access.scope(&state.db, Right::Users).await?;
    let page = user_directory::list(&state.db, access.tenant, &scope, &query).await?;
    Ok(Json(json!({
        "items": page.items.iter().map(view).collect::<Vec<_>>(),
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
    })))
}

/// `GET …/users/{id}`
pub async fn get(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let scope = access.scope(&state.db, Right::Users).await?;
    let user = user_directory::get(&state.db, access.tenant, &scope, id).await?;
    Ok(Json(view(&user)))
}

/// `PATCH …/users/{id}`
pub async fn update(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
    Json(patch): Json<Patch>,
) -> Result<Json<Value>, Error> {
    let scope = access.scope(&state.db, Right::Users).await?;
    let user = user_directory::update(&state.db, &access.ctx, &scope, id, patch).await?;
    Ok(Json(view(&user)))
}

/// `DELETE …/users/{id}`
pub async fn delete(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<StatusCode, Error> {
    let scope = access.scope(&state.db, Right::Users).await?;
    user_directory::delete(&state.db, &access.ctx, &scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST …/users/{id}/deactivate` (U6)
pub async fn deactivate(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let scope = access.scope(&state.db, Right::Users).await?;
    let user = user_directory::set_active(&state.db, &access.ctx, &scope, id, false).await?;
    Ok(Json(view(&user)))
}

/// `POST …/users/{id}/reactivate` (U6)
pub async fn reactivate(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let scope = access.scope(&state.db, Right::Users).await?;
    let user = user_directory::set_active(&state.db, &access.ctx, &scope, id, true).await?;
    Ok(Json(view(&user)))
}
