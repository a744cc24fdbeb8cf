//! Catalogs (U1, B4), behind `Right::Settings`: catalogs are tenant configuration, and the
//! settings section is not itself catalog-scoped (B4). Rules: [`crate::domain::catalogs`].

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use uuid::Uuid;

use super::users::body;
use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::catalogs::{self, Catalog, CatalogRename, NewCatalog};
use crate::error::Error;
use crate::web::openapi::Problem;

/// `GET …/catalogs`
#[utoipa::path(get, path = "/api/v1/{tenant}/catalogs", tag = "catalogs",
    operation_id = "catalogs_list",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "Every catalog, by code", body = Vec<Catalog>)))]
pub async fn list(
    State(state): State<AppState>,
    access: Permit,
) -> Result<Json<Vec<Catalog>>, Error> {
    Ok(Json(catalogs::list(&state.db, &access).await?))
}

/// `POST …/catalogs`
#[utoipa::path(post, path = "/api/v1/{tenant}/catalogs", tag = "catalogs",
    operation_id = "catalogs_create",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = NewCatalog,
    responses(
        (status = 201, description = "Created", body = Catalog),
        (status = 422, description = "Invalid fields, one entry per field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    new: Result<Json<NewCatalog>, JsonRejection>,
) -> Result<(StatusCode, Json<Catalog>), Error> {
    let new = body(new)?;
    let c = catalogs::create(&state.db, &access, new).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// `PATCH …/catalogs/{id}`: rename.
#[utoipa::path(patch, path = "/api/v1/{tenant}/catalogs/{id}", tag = "catalogs",
    operation_id = "catalogs_rename",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Catalog id")),
    request_body = CatalogRename,
    responses(
        (status = 200, description = "Renamed", body = Catalog),
        (status = 404, description = "No such catalog", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: a tenant descriptor manages it (X9); the detail names the descriptor file", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn rename(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    r: Result<Json<CatalogRename>, JsonRejection>,
) -> Result<Json<Catalog>, Error> {
    let r = body(r)?;
    Ok(Json(catalogs::rename(&state.db, &access, id, r).await?))
}
