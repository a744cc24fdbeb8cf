//! Reports (U6, U7): the learners a report covers. A superior sees their assigned learners,
//! administrators the users of their scope; deactivated users are left out (only the raw-data
//! export carries them).

use axum::Json;
use axum::extract::{Query, State};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::user_directory::{self, Query as ListQuery};
use crate::error::Error;

/// `GET …/reports/learners?q=&page=&per_page=`
#[utoipa::path(get, path = "/api/v1/{tenant}/reports/learners", tag = "reports", operation_id = "reports_learners",
    params(("tenant" = String, Path, description = "Tenant slug"), ("q" = Option<String>, Query, description = "Every word begins a word of a name, the e-mail or the login (U5)"), ("page" = Option<u64>, Query, description = "1-based page"), ("per_page" = Option<u64>, Query, description = "Page size 1-200 (default 50)")),
    responses(
        (status = 200, description = "The learners the report covers (U7)", body = serde_json::Value),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn learners(
    State(state): State<AppState>,
    access: Permit,
    Query(mut query): Query<ListQuery>,
) -> Result<Json<Value>, Error> {
    query.active = Some(true);
    let page = user_directory::learners(&state.db, &access, &query).await?;
    Ok(Json(json!({
        "items": page.items.iter().map(|u| json!({
            "id": u.id,
            "login": u.login,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "organisation_unit_id": u.organisation_unit_id,
        })).collect::<Vec<_>>(),
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
    })))
}
