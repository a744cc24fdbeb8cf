//! Staged imports (I9) and the user export (I10) over HTTP. The file is the request body;
//! the pipeline runs in the background worker, never inside the request.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::AppState;
use crate::authz::Permit;
use crate::error::Error;
use crate::import::staged::{self, StageRequest};
use crate::tenancy::descriptor::ImportFormat;

/// Query of `POST …/imports`.
#[derive(Debug, Deserialize)]
pub struct StageQuery {
    /// File name shown on the dashboard.
    #[serde(default)]
    pub file_name: Option<String>,
    /// Import configuration code; absent for the standard format.
    #[serde(default)]
    pub config: Option<String>,
    /// `csv` or `xml`.
    #[serde(default)]
    pub format: Option<String>,
    /// Catalog code for new users.
    #[serde(default)]
    pub catalog: Option<String>,
    /// Mail the report to the importer when done (I8).
    #[serde(default)]
    pub mail_report: bool,
}

/// `POST …/imports`: stage the request body for import (I9).
#[utoipa::path(post, path = "/api/v1/{tenant}/imports", tag = "imports", operation_id = "imports_stage",
    params(("tenant" = String, Path, description = "Tenant slug"), ("file_name" = Option<String>, Query, description = "File name shown on the dashboard"), ("config" = Option<String>, Query, description = "Import configuration code; absent for the standard format"), ("format" = Option<String>, Query, description = "`csv` or `xml`"), ("catalog" = Option<String>, Query, description = "Catalog code for new users"), ("mail_report" = Option<bool>, Query, description = "Mail the report when done (I8)")),
    request_body(content = String, description = "The import file (CSV or XML)", content_type = "text/csv"),
    responses(
        (status = 201, description = "Staged (I9)", body = serde_json::Value),
        (status = 400, description = "Malformed request", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, one entry per field", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn stage(
    State(state): State<AppState>,
    access: Permit,
    Query(q): Query<StageQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Error> {
    if body.is_empty() {
        return Err(Error::Validation(vec![crate::error::FieldError {
            field: "body".into(),
            message: "the import file is empty".into(),
        }]));
    }
    let format = match q.format.as_deref() {
        None => None,
        Some("csv") => Some(ImportFormat::Csv),
        Some("xml") => Some(ImportFormat::Xml),
        Some(other) => {
            return Err(Error::Validation(vec![crate::error::FieldError {
                field: "format".into(),
                message: format!("`{other}` is not `csv` or `xml`"),
            }]));
        }
    };
    let staged = staged::stage(
        &state.db,
        &access,
        StageRequest {
            file_name: q.file_name.unwrap_or_else(|| "upload".into()),
            content: body.to_vec(),
            config: q.config,
            format,
            catalog: q.catalog,
            mail_report: q.mail_report,
            interval: state.settings.import_interval,
        },
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(json!(staged))))
}

/// `GET …/imports`: the dashboard (I9).
#[utoipa::path(get, path = "/api/v1/{tenant}/imports", tag = "imports", operation_id = "imports_list",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses(
        (status = 200, description = "The import dashboard (I9)", body = serde_json::Value),
    ))]
pub async fn list(State(state): State<AppState>, access: Permit) -> Result<Json<Value>, Error> {
    let items = staged::list(&state.db, &access, 200).await?;
    Ok(Json(json!({ "items": items })))
}

/// `GET …/imports/{id}`
#[utoipa::path(get, path = "/api/v1/{tenant}/imports/{id}", tag = "imports", operation_id = "imports_get",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "One import", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    Ok(Json(json!(staged::get(&state.db, &access, id).await?)))
}

/// `POST …/imports/{id}/run-now`
#[utoipa::path(post, path = "/api/v1/{tenant}/imports/{id}/run-now", tag = "imports", operation_id = "imports_run_now",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "Queued now", body = serde_json::Value),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused; the detail says why", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn run_now(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Error> {
    let moved = staged::run_now(&state.db, &access, id).await?;
    if !moved {
        return Err(Error::Conflict(
            "this import is not waiting to run any more".into(),
        ));
    }
    Ok(Json(json!({ "id": id, "queued": true })))
}

/// `GET …/imports/{id}/report`: the report as CSV (I8).
#[utoipa::path(get, path = "/api/v1/{tenant}/imports/{id}/report", tag = "imports", operation_id = "imports_report",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = uuid::Uuid, Path, description = "Id")),
    responses(
        (status = 200, description = "The report as CSV (I8)", body = String, content_type = "text/csv"),
        (status = 404, description = "Not found (or outside the caller's scope)", body = crate::web::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn report(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, Error> {
    let csv = staged::report_csv(&state.db, &access, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-report.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

/// `GET …/users-export`: every user the caller's export right reaches, in the standard import
/// format, streamed page by page (I10).
#[utoipa::path(get, path = "/api/v1/{tenant}/users-export", tag = "imports", operation_id = "users_export",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses(
        (status = 200, description = "Every user in scope in the standard import format, streamed (I10)", body = String, content_type = "text/csv"),
    ))]
pub async fn export(State(state): State<AppState>, access: Permit) -> Result<Response, Error> {
    let exporter = crate::export::Exporter::for_permit(&state.db, &access).await?;
    let db = state.db.clone();
    let stream = futures_util::stream::unfold(Some(exporter), move |exporter| {
        let db = db.clone();
        async move {
            let mut exporter = exporter?;
            match exporter.next_chunk(&db).await {
                Ok(Some(chunk)) => {
                    Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), Some(exporter)))
                }
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, "export failed mid-stream");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"users.csv\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
