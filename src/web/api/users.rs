//! Portal users within the caller's scope (U1–U10, B4, B5): thin handlers over
//! `domain::people` and `domain::user_directory`. Every route needs the `users` right.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::people::{
    self, BudgetInput, EndEmployment, NewEmployment, NewUser, UserDetails, UserPatch,
};
use crate::domain::user_directory;
use crate::error::Error;
use crate::store::entity::users;

/// A JSON body, or the 422 problem on `body` ([`super::body_error`]).
pub fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, Error> {
    b.map(|Json(v)| v).map_err(super::body_error)
}

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
        "personnel_number": u.personnel_number,
        "company_role": u.company_role,
        "organisation_id": u.organisation_id,
        "area": u.area,
        "department": u.department,
        "cost_centre": u.cost_centre,
        "data_field_01": u.data_field_01,
        "data_field_02": u.data_field_02,
        "data_field_03": u.data_field_03,
        "language": u.language,
        "superior_id": u.superior_id,
        "privacy_policy_accepted_at": u.privacy_policy_accepted_at,
        "active": u.active,
        "must_change_password": u.must_change_password,
        "registration_state": u.registration_state,
        "created_at": u.created_at,
        "updated_at": u.updated_at,
    })
}

/// The detailed view: the user plus their links, employments, budget and properties.
pub fn details_view(d: &UserDetails) -> Value {
    let mut v = view(&d.user);
    if let Value::Object(m) = &mut v {
        m.insert("organisation_unit".into(), json!(d.organisation_unit));
        m.insert("organisation".into(), json!(d.organisation));
        m.insert("superior".into(), json!(d.superior));
        m.insert("catalogs".into(), json!(d.catalogs));
        m.insert("roles".into(), json!(d.roles));
        m.insert("user_groups".into(), json!(d.user_groups));
        m.insert("enrollment_profiles".into(), json!(d.enrollment_profiles));
        m.insert("employments".into(), json!(d.employments));
        m.insert("budget".into(), json!(d.budget));
        m.insert("properties".into(), json!(d.properties));
    }
    v
}

/// `GET …/users?q=&group=&active=&page=&per_page=` (U5: search, group filter, paging, total)
#[utoipa::path(get, path = "/api/v1/{tenant}/users", tag = "users", operation_id = "users_list",
    params(("tenant" = String, Path, description = "Tenant slug"), ("q" = Option<String>, Query, description = "Every word begins a word of a name, the e-mail or the login (U5)"), ("group" = Option<String>, Query, description = "Only members of this user group (code)"), ("active" = Option<bool>, Query, description = "Only active (true) or deactivated (false) users"), ("page" = Option<u64>, Query, description = "1-based page"), ("per_page" = Option<u64>, Query, description = "Page size 1-200 (default 50)")),
    responses(
        (status = 200, description = "`{items, total, page, per_page}`: the users in scope (U5)", body = serde_json::Value),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    access: Permit,
    Query(query): Query<user_directory::Query>,
) -> Result<Json<Value>, Error> {
    let page = user_directory::list(&state.db, &access, &query).await?;
    Ok(Json(json!({
        "items": page.items.iter().map(view).collect::<Vec<_>>(),
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
    })))
}

/// `POST …/users` (U1–U3): 201 with the user; a generated password is answered this once.
#[utoipa::path(post, path = "/api/v1/{tenant}/users", tag = "users", operation_id = "users_create",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = NewUser,
    responses(
        (status = 201, description = "Created; `generated_password` is answered this once (U1-U3)", body = serde_json::Value),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    new: Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), Error> {
    let new = body(new)?;
    let created = people::create(&state.db, &access, new).await?;
    let d = people::details(&state.db, &access, created.user.id).await?;
    let mut v = details_view(&d);
    if let (Value::Object(m), Some(pw)) = (&mut v, created.generated_password) {
        m.insert("generated_password".into(), json!(pw));
    }
    Ok((StatusCode::CREATED, Json(v)))
}

/// `GET …/users/{id}`
#[utoipa::path(get, path = "/api/v1/{tenant}/users/{id}", tag = "users", operation_id = "users_get",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "The user with links, employments, budget and properties", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let d = people::details(&state.db, &access, id).await?;
    Ok(Json(details_view(&d)))
}

/// `PATCH …/users/{id}`: absent fields stay, `""` clears, lists replace.
#[utoipa::path(patch, path = "/api/v1/{tenant}/users/{id}", tag = "users", operation_id = "users_update",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "Updated", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    patch: Result<Json<UserPatch>, JsonRejection>,
) -> Result<Json<Value>, Error> {
    let patch = body(patch)?;
    people::update(&state.db, &access, id, patch).await?;
    let d = people::details(&state.db, &access, id).await?;
    Ok(Json(details_view(&d)))
}

/// `DELETE …/users/{id}`
#[utoipa::path(delete, path = "/api/v1/{tenant}/users/{id}", tag = "users", operation_id = "users_delete",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<StatusCode, Error> {
    user_directory::delete(&state.db, &access, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST …/users/{id}/deactivate` (U6)
#[utoipa::path(post, path = "/api/v1/{tenant}/users/{id}/deactivate", tag = "users", operation_id = "users_deactivate",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "Deactivated (U6)", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn deactivate(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let user = user_directory::set_active(&state.db, &access, id, false).await?;
    Ok(Json(view(&user)))
}

/// `POST …/users/{id}/reactivate` (U6)
#[utoipa::path(post, path = "/api/v1/{tenant}/users/{id}/reactivate", tag = "users", operation_id = "users_reactivate",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "Reactivated (U6)", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn reactivate(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let user = user_directory::set_active(&state.db, &access, id, true).await?;
    Ok(Json(view(&user)))
}

/// `POST …/users/{id}/account-mail` (U3): 202 when the set-password mail is queued; 422 on
/// `email` when the user has no e-mail address.
#[utoipa::path(post, path = "/api/v1/{tenant}/users/{id}/account-mail", tag = "users", operation_id = "users_account_mail",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 202, description = "The set-password mail is queued (U3)", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn account_mail(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<(StatusCode, Json<Value>), Error> {
    people::send_account_mail(&state.db, &access, id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"queued": true}))))
}

/// `GET …/users/{id}/employments` (U8)
#[utoipa::path(get, path = "/api/v1/{tenant}/users/{id}/employments", tag = "users", operation_id = "users_employments",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "`{items}`: the user's employments (U8)", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn employments(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let list = people::employments(&state.db, &access, id).await?;
    Ok(Json(json!({ "items": list })))
}

/// `POST …/users/{id}/employments` (U8): 201 with all the user's employments.
#[utoipa::path(post, path = "/api/v1/{tenant}/users/{id}/employments", tag = "users", operation_id = "users_add_employment",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    request_body = NewEmployment,
    responses(
        (status = 201, description = "`{items}`: all the user's employments (U8)", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_employment(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    new: Result<Json<NewEmployment>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), Error> {
    let new = body(new)?;
    let list = people::add_employment(&state.db, &access, id, new).await?;
    Ok((StatusCode::CREATED, Json(json!({ "items": list }))))
}

/// `POST …/users/{id}/employments/{employment}/end` (U8)
#[utoipa::path(post, path = "/api/v1/{tenant}/users/{id}/employments/{employment}/end", tag = "users", operation_id = "users_end_employment",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id"), ("employment" = uuid::Uuid, Path, description = "Id")),
    request_body = EndEmployment,
    responses(
        (status = 200, description = "The ended employment (U8)", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn end_employment(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id, employment)): Path<(String, Uuid, Uuid)>,
    end: Result<Json<EndEmployment>, JsonRejection>,
) -> Result<Json<Value>, Error> {
    // An empty body ends the employment today.
    let end = match end {
        Err(JsonRejection::MissingJsonContentType(_)) => EndEmployment::default(),
        other => body(other)?,
    };
    let e = people::end_employment(&state.db, &access, id, employment, end).await?;
    Ok(Json(json!(e)))
}

/// `PUT …/users/{id}/budget` (U9)
#[utoipa::path(put, path = "/api/v1/{tenant}/users/{id}/budget", tag = "users", operation_id = "users_set_budget",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    request_body = BudgetInput,
    responses(
        (status = 200, description = "The personal budget (U9)", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_budget(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    b: Result<Json<BudgetInput>, JsonRejection>,
) -> Result<Json<Value>, Error> {
    let b = body(b)?;
    let v = people::set_budget(&state.db, &access, id, Some(b)).await?;
    Ok(Json(json!(v)))
}

/// `DELETE …/users/{id}/budget` (U9)
#[utoipa::path(delete, path = "/api/v1/{tenant}/users/{id}/budget", tag = "users", operation_id = "users_delete_budget",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 204, description = "Budget removed (U9)"),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_budget(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<StatusCode, Error> {
    people::set_budget(&state.db, &access, id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT …/users/{id}/properties` (U9): replaces every property with the given name → value map.
#[utoipa::path(put, path = "/api/v1/{tenant}/users/{id}/properties", tag = "users", operation_id = "users_set_properties",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    request_body = BTreeMap<String, String>,
    responses(
        (status = 200, description = "Every extended property (U9)", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_properties(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    props: Result<Json<BTreeMap<String, String>>, JsonRejection>,
) -> Result<Json<Value>, Error> {
    let props = body(props)?;
    let v = people::set_properties(&state.db, &access, id, props).await?;
    Ok(Json(json!(v)))
}

/// Query of the organisation type-ahead.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TypeaheadQuery {
    /// At least three letters of the name or code.
    pub q: String,
    /// At most this many (1–50, default 10).
    pub limit: Option<u64>,
}

/// `GET …/organisations/typeahead?q=` (U10)
#[utoipa::path(get, path = "/api/v1/{tenant}/organisations/typeahead", tag = "users", operation_id = "organisations_typeahead",
    params(("tenant" = String, Path, description = "Tenant slug"), ("q" = String, Query, description = "At least three letters of the name or code"), ("limit" = Option<u64>, Query, description = "At most this many (1-50, default 10)")),
    responses(
        (status = 200, description = "`{items}`: matching organisations (U10)", body = serde_json::Value),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn organisation_typeahead(
    State(state): State<AppState>,
    access: Permit,
    Query(q): Query<TypeaheadQuery>,
) -> Result<Json<Value>, Error> {
    let items =
        people::organisation_typeahead(&state.db, &access, &q.q, q.limit.unwrap_or(10)).await?;
    Ok(Json(json!({ "items": items })))
}

/// `GET …/login-suggestion?login=` (U2): whether a login name is free, and a free one if not.
#[utoipa::path(get, path = "/api/v1/{tenant}/login-suggestion", tag = "users", operation_id = "login_suggestion",
    params(("tenant" = String, Path, description = "Tenant slug"), ("login" = String, Query, description = "The wanted login name")),
    responses(
        (status = 200, description = "`{login, free, suggestion}` (U2)", body = serde_json::Value),
    ))]
pub async fn login_suggestion(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
) -> Result<Json<Value>, Error> {
    let s = people::login_suggestion(&state.db, q.login.trim()).await?;
    Ok(Json(json!({
        "login": q.login.trim(),
        "free": s.is_none(),
        "suggestion": s,
    })))
}

/// Query of the login suggestion.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    /// The wanted login name.
    pub login: String,
}
