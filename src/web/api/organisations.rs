//! Organisations and their departments (U8, U10, I2), behind `Right::Organisations`. Thin:
//! every rule lives in [`crate::domain::organisations`].

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use uuid::Uuid;

use super::users::body;
use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::organisations::{
    self, Department, DepartmentPatch, NewDepartment, NewOrganisation, Organisation,
    OrganisationPatch,
};
use crate::error::Error;
use crate::web::openapi::Problem;

/// `GET …/organisations`
#[utoipa::path(get, path = "/api/v1/{tenant}/organisations", tag = "organisations",
    operation_id = "organisations_list",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "Every organisation, by name", body = Vec<Organisation>)))]
pub async fn list(
    State(state): State<AppState>,
    access: Permit,
) -> Result<Json<Vec<Organisation>>, Error> {
    Ok(Json(organisations::list(&state.db, &access).await?))
}

/// `POST …/organisations`
#[utoipa::path(post, path = "/api/v1/{tenant}/organisations", tag = "organisations",
    operation_id = "organisations_create",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = NewOrganisation,
    responses(
        (status = 201, description = "Created", body = Organisation),
        (status = 422, description = "Invalid fields, one entry per field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    new: Result<Json<NewOrganisation>, JsonRejection>,
) -> Result<(StatusCode, Json<Organisation>), Error> {
    let new = body(new)?;
    let o = organisations::create(&state.db, &access, new).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

/// `GET …/organisations/{id}`
#[utoipa::path(get, path = "/api/v1/{tenant}/organisations/{id}", tag = "organisations",
    operation_id = "organisations_get",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The organisation", body = Organisation),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Organisation>, Error> {
    Ok(Json(organisations::get(&state.db, &access, id).await?))
}

/// `PATCH …/organisations/{id}`
#[utoipa::path(patch, path = "/api/v1/{tenant}/organisations/{id}", tag = "organisations",
    operation_id = "organisations_update",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Organisation id")),
    request_body = OrganisationPatch,
    responses(
        (status = 200, description = "Updated", body = Organisation),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: a tenant descriptor manages it (X9); the detail names the descriptor file", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    patch: Result<Json<OrganisationPatch>, JsonRejection>,
) -> Result<Json<Organisation>, Error> {
    let patch = body(patch)?;
    Ok(Json(
        organisations::update(&state.db, &access, id, patch).await?,
    ))
}

/// `DELETE …/organisations/{id}`
#[utoipa::path(delete, path = "/api/v1/{tenant}/organisations/{id}", tag = "organisations",
    operation_id = "organisations_delete",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 204, description = "Deleted with its departments"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: users are employed there (the reason says how many), or a tenant descriptor manages it (X9: the detail names the file)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<StatusCode, Error> {
    organisations::delete(&state.db, &access, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/organisations/{id}/departments`
#[utoipa::path(get, path = "/api/v1/{tenant}/organisations/{id}/departments", tag = "organisations",
    operation_id = "departments_list",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "Its departments, by code", body = Vec<Department>),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn departments(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Vec<Department>>, Error> {
    Ok(Json(
        organisations::departments(&state.db, &access, id).await?,
    ))
}

/// `POST …/organisations/{id}/departments`
#[utoipa::path(post, path = "/api/v1/{tenant}/organisations/{id}/departments", tag = "organisations",
    operation_id = "departments_create",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Organisation id")),
    request_body = NewDepartment,
    responses(
        (status = 201, description = "Created", body = Department),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_department(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    new: Result<Json<NewDepartment>, JsonRejection>,
) -> Result<(StatusCode, Json<Department>), Error> {
    let new = body(new)?;
    let d = organisations::create_department(&state.db, &access, id, new).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// `GET …/departments/{id}`
#[utoipa::path(get, path = "/api/v1/{tenant}/departments/{id}", tag = "organisations",
    operation_id = "departments_get",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Department id")),
    responses(
        (status = 200, description = "The department", body = Department),
        (status = 404, description = "No such department", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_department(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Department>, Error> {
    Ok(Json(
        organisations::get_department(&state.db, &access, id).await?,
    ))
}

/// `PATCH …/departments/{id}`: code, name or parent (a loop of parents is refused).
#[utoipa::path(patch, path = "/api/v1/{tenant}/departments/{id}", tag = "organisations",
    operation_id = "departments_update",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Department id")),
    request_body = DepartmentPatch,
    responses(
        (status = 200, description = "Updated", body = Department),
        (status = 404, description = "No such department", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (a parent that would make a cycle, a taken code …), one entry per field", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: a tenant descriptor manages it (X9); the detail names the descriptor file", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_department(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    patch: Result<Json<DepartmentPatch>, JsonRejection>,
) -> Result<Json<Department>, Error> {
    let patch = body(patch)?;
    Ok(Json(
        organisations::update_department(&state.db, &access, id, patch).await?,
    ))
}

/// `DELETE …/departments/{id}`
#[utoipa::path(delete, path = "/api/v1/{tenant}/departments/{id}", tag = "organisations",
    operation_id = "departments_delete",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = Uuid, Path, description = "Department id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such department", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: users are employed there or it has sub-departments, or a tenant descriptor manages it (X9: the detail names the file)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_department(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<StatusCode, Error> {
    organisations::delete_department(&state.db, &access, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
