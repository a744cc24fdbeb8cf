//! Organisations (U8, U10): the list with a "new organisation" form and a rename form per row,
//! and the "Departments" tab with codes and parent departments. A form the domain refuses
//! comes back with the entered values and one message per field (422).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::view::{Frame, field_errors, notice, see_other};
use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::organisations::{self, NewOrganisation, OrganisationPatch};
use crate::error::Error;
use crate::web::pages::{Page, PageError};

/// `?done=` after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The "new organisation" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewForm {
    code: String,
    name: String,
}

/// The rename form of one organisation.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RenameForm {
    name: String,
}

/// What the list shows besides the organisations.
#[derive(Default)]
struct Extra {
    notice: Option<&'static str>,
    /// Entered values of the "new organisation" form.
    new: Value,
    /// Field errors of the "new organisation" form.
    new_errors: Map<String, Value>,
    /// The organisation whose rename failed, with its entered name and message.
    rename: Option<(Uuid, String, String)>,
}

async fn page(
    state: &AppState,
    access: &Permit,
    status: StatusCode,
    extra: Extra,
) -> Result<Response, PageError> {
    let all = organisations::list(&state.db, access).await?;
    let frame = Frame::new(state, access, "organisations").await?;
    let title = frame.text("right.organisations");
    let rename = extra
        .rename
        .map(|(id, name, message)| json!({"id": id, "name": name, "message": message}));
    Ok(frame
        .set("title", title)
        .set("organisations", all)
        .set("notice", extra.notice)
        .set("new", extra.new)
        .set("errors", extra.new_errors)
        .set("rename", rename)
        .render_status(status, "backoffice/organisations.html")?
        .into_response())
}

/// `GET …/organisations`: every organisation with its department and employee counts.
pub async fn list(
    State(state): State<AppState>,
    access: Permit,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let extra = Extra {
        notice: notice(q.done.as_deref()),
        ..Extra::default()
    };
    page(&state, &access, StatusCode::OK, extra).await
}

fn back(access: &Permit, done: &str) -> Response {
    see_other(&format!(
        "/t/{}/backoffice/organisations?done={done}",
        access.tenant_slug()
    ))
}

/// `POST …/organisations`: a new organisation (U8).
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    Form(form): Form<NewForm>,
) -> Result<Response, PageError> {
    let entered = json!({"code": form.code, "name": form.name});
    let new = NewOrganisation {
        code: form.code.trim().to_owned(),
        name: form.name.trim().to_owned(),
        active: None,
    };
    match organisations::create(&state.db, &access, new).await {
        Ok(_) => Ok(back(&access, "created")),
        Err(Error::Validation(v)) => {
            let lang = Frame::new(&state, &access, "organisations").await?.lang;
            let extra = Extra {
                new: entered,
                new_errors: field_errors(lang, &v),
                ..Extra::default()
            };
            page(&state, &access, StatusCode::UNPROCESSABLE_ENTITY, extra).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST …/organisations/{id}/rename`
pub async fn rename(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<RenameForm>,
) -> Result<Response, PageError> {
    let patch = OrganisationPatch {
        name: Some(form.name.trim().to_owned()),
        ..OrganisationPatch::default()
    };
    match organisations::update(&state.db, &access, id, patch).await {
        Ok(_) => Ok(back(&access, "renamed")),
        Err(Error::Validation(v)) => {
            let lang = Frame::new(&state, &access, "organisations").await?.lang;
            let message = field_errors(lang, &v)
                .values()
                .next()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let extra = Extra {
                rename: Some((id, form.name, message)),
                ..Extra::default()
            };
            page(&state, &access, StatusCode::UNPROCESSABLE_ENTITY, extra).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET …/organisations/{id}`: the "Departments" tab — each department's code and parent.
pub async fn departments(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Page, PageError> {
    let organisation = organisations::get(&state.db, &access, id).await?;
    let departments = organisations::departments(&state.db, &access, id).await?;
    let frame = Frame::new(&state, &access, "organisations").await?;
    frame
        .set("title", organisation.name.clone())
        .set("organisation", organisation)
        .set("departments", departments)
        .render("backoffice/organisation.html")
}
