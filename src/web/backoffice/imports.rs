//! Imports (I8, I9): "Stage for import" (file, format, catalog, configuration, mail the
//! report), the dashboard of the tenant's imports with state, counts and duration, "run now",
//! and each import's report on a page and as CSV. The pipeline runs in the background worker
//! (src/import/staged.rs), never inside the request.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::QueryOrder;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::view::{Frame, field_errors, see_other};
use crate::app::AppState;
use crate::authz::Permit;
use crate::error::{Error, FieldError};
use crate::import::staged::{self, StageRequest};
use crate::store::entity::{catalogs, import_configurations};
use crate::tenancy::descriptor::ImportFormat;
use crate::web::pages::PageError;

/// Report rows shown on an import's page; the CSV download holds all of them.
const REPORT_ROWS_SHOWN: usize = 500;

/// `?done=` after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// Notices of this section (only known codes are shown, never free text).
fn notice(done: Option<&str>) -> Option<&'static str> {
    ["staged", "queued", "not_waiting"]
        .into_iter()
        .find(|n| Some(*n) == done)
}

/// What the upload form was sent with, shown again when it is refused.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct Entered {
    format: String,
    catalog: String,
    config: String,
    mail_report: bool,
}

async fn dashboard(
    state: &AppState,
    access: &Permit,
    status: StatusCode,
    notice: Option<&'static str>,
    entered: Entered,
    errors: Map<String, Value>,
) -> Result<Response, PageError> {
    let frame = Frame::new(state, access, "imports").await?;
    let title = frame.text("right.imports");
    let items = staged::list(&state.db, access, 200).await?;
    let catalogs: Vec<Value> = access
        .tenant()
        .find::<catalogs::Entity>()
        .order_by_asc(catalogs::Column::Code)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| json!({"code": c.code, "name": c.name}))
        .collect();
    let configs: Vec<Value> = access
        .tenant()
        .find::<import_configurations::Entity>()
        .order_by_asc(import_configurations::Column::Code)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| json!({"code": c.code, "name": c.name, "kind": c.kind, "format": c.format}))
        .collect();
    Ok(frame
        .set("title", title)
        .set("items", items)
        .set("catalogs", catalogs)
        .set("configs", configs)
        .set("import_notice", notice)
        .set("entered", entered)
        .set("errors", errors)
        .render_status(status, "backoffice/imports.html")?
        .into_response())
}

/// `GET …/imports`: the upload form and the dashboard (I9).
pub async fn list(
    State(state): State<AppState>,
    access: Permit,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let entered = Entered {
        format: "csv".into(),
        ..Entered::default()
    };
    dashboard(
        &state,
        &access,
        StatusCode::OK,
        notice(q.done.as_deref()),
        entered,
        Map::new(),
    )
    .await
}

fn problem(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// `POST …/imports` (multipart form): "Stage for import". The file is stored and a job queued
/// for the next tick of the import interval; nothing is imported inside the request.
pub async fn stage(
    State(state): State<AppState>,
    access: Permit,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let mut entered = Entered::default();
    let mut file_name = String::new();
    let mut content = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| Error::BadRequest(format!("the upload could not be read: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            file_name = field.file_name().unwrap_or_default().to_owned();
            content = field
                .bytes()
                .await
                .map_err(|e| Error::BadRequest(format!("the upload could not be read: {e}")))?
                .to_vec();
            continue;
        }
        let value = field
            .text()
            .await
            .map_err(|e| Error::BadRequest(format!("the upload could not be read: {e}")))?;
        match name.as_str() {
            "format" => entered.format = value,
            "catalog" => entered.catalog = value,
            "config" => entered.config = value,
            "mail_report" => entered.mail_report = !value.is_empty(),
            _ => {}
        }
    }
    let mut problems = Vec::new();
    if content.is_empty() {
        problems.push(problem(
            "file",
            "choose a file to import; this one is empty",
        ));
    }
    let format = match entered.format.as_str() {
        "" => None,
        "csv" => Some(ImportFormat::Csv),
        "xml" => Some(ImportFormat::Xml),
        _ => {
            problems.push(problem("format", "choose CSV or XML"));
            None
        }
    };
    let lang = if problems.is_empty() {
        None
    } else {
        Some(Frame::new(&state, &access, "imports").await?.lang)
    };
    if let Some(lang) = lang {
        let errors = field_errors(lang, &problems);
        return dashboard(
            &state,
            &access,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            entered,
            errors,
        )
        .await;
    }
    let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let request = StageRequest {
        file_name: if file_name.is_empty() {
            "upload".into()
        } else {
            file_name
        },
        content,
        config: optional(&entered.config),
        format,
        catalog: optional(&entered.catalog),
        mail_report: entered.mail_report,
        interval: state.settings.import_interval,
    };
    match staged::stage(&state.db, &access, request).await {
        Ok(_) => Ok(see_other(&format!(
            "/t/{}/backoffice/imports?done=staged",
            access.tenant_slug()
        ))),
        Err(Error::Validation(v)) => {
            let lang = Frame::new(&state, &access, "imports").await?.lang;
            let errors = field_errors(lang, &v);
            dashboard(
                &state,
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                entered,
                errors,
            )
            .await
        }
        Err(Error::NotFound(what)) if what.contains("configuration") => {
            let lang = Frame::new(&state, &access, "imports").await?.lang;
            let errors = field_errors(
                lang,
                &[problem(
                    "config",
                    "this import configuration does not exist",
                )],
            );
            dashboard(
                &state,
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                entered,
                errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST …/imports/{id}/run-now`: the staged import runs at the worker's next poll.
pub async fn run_now(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, PageError> {
    let moved = staged::run_now(&state.db, &access, id).await?;
    let done = if moved { "queued" } else { "not_waiting" };
    Ok(see_other(&format!(
        "/t/{}/backoffice/imports?done={done}",
        access.tenant_slug()
    )))
}

/// `GET …/imports/{id}`: one import with its report (I8): the first rows on the page.
pub async fn show(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, PageError> {
    let info = staged::get(&state.db, &access, id).await?;
    let mut rows = Vec::new();
    let mut more = false;
    if info.state == "done" {
        let csv = staged::report_csv(&state.db, &access, id).await?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .flexible(true)
            .from_reader(csv.as_slice());
        for (n, record) in reader.records().enumerate() {
            if n == REPORT_ROWS_SHOWN {
                more = true;
                break;
            }
            let record = record.map_err(|e| Error::Internal(e.into()))?;
            rows.push(json!({
                "line": record.get(0).unwrap_or_default(),
                "outcome": record.get(1).unwrap_or_default(),
                "matched_by": record.get(2).unwrap_or_default(),
                "message": record.get(3).unwrap_or_default(),
            }));
        }
    }
    let frame = Frame::new(&state, &access, "imports").await?;
    let title = format!("{}: {}", frame.text("right.imports"), info.file_name);
    Ok(frame
        .set("title", title)
        .set("import", info)
        .set("rows", rows)
        .set("more", more)
        .set("shown", REPORT_ROWS_SHOWN)
        .render("backoffice/import.html")?
        .into_response())
}

/// `GET …/imports/{id}/report.csv`: the whole report, the original rows with outcome and
/// message (I8).
pub async fn report(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, PageError> {
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
