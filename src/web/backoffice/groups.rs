//! User groups (G1): list with member counts, create, rename, delete — a delete the domain
//! refuses (the group has members) shows its reason on the page.

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
use crate::domain::groups::{self, GroupRename, NewGroup};
use crate::error::Error;
use crate::web::pages::PageError;

/// `?done=` after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// What the page shows besides the list.
#[derive(Default)]
struct Extra {
    notice: Option<&'static str>,
    /// Entered values of the "new group" form.
    new: Value,
    /// Field errors of the "new group" form.
    new_errors: Map<String, Value>,
    /// The group whose rename failed, with its entered name and message.
    rename: Option<(Uuid, String, String)>,
    /// Why a delete was refused.
    refused: Option<String>,
}

async fn page(
    state: &AppState,
    access: &Permit,
    status: StatusCode,
    extra: Extra,
) -> Result<Response, PageError> {
    let frame = Frame::new(state, access, "user_groups").await?;
    let all = groups::list(&state.db, access).await?;
    let title = frame.text("right.user_groups");
    let rename = extra
        .rename
        .map(|(id, name, message)| json!({"id": id, "name": name, "message": message}));
    Ok(frame
        .set("title", title)
        .set("groups", all)
        .set("notice", extra.notice)
        .set("new", extra.new)
        .set("errors", extra.new_errors)
        .set("rename", rename)
        .set("refused", extra.refused)
        .render_status(status, "backoffice/groups.html")?
        .into_response())
}

/// `GET …/user-groups`
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
        "/t/{}/backoffice/user-groups?done={done}",
        access.tenant_slug()
    ))
}

/// `POST …/user-groups`: a new group.
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    Form(new): Form<NewGroup>,
) -> Result<Response, PageError> {
    let entered = json!({"code": new.code, "name": new.name});
    match groups::create(&state.db, &access, new).await {
        Ok(_) => Ok(back(&access, "created")),
        Err(Error::Validation(v)) => {
            let lang = Frame::new(&state, &access, "user_groups").await?.lang;
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

/// `POST …/user-groups/{id}/rename`
pub async fn rename(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
    Form(r): Form<GroupRename>,
) -> Result<Response, PageError> {
    let entered = r.name.clone();
    match groups::rename(&state.db, &access, id, r).await {
        Ok(_) => Ok(back(&access, "renamed")),
        Err(Error::Validation(v)) => {
            let lang = Frame::new(&state, &access, "user_groups").await?.lang;
            let message = field_errors(lang, &v)
                .values()
                .next()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let extra = Extra {
                rename: Some((id, entered, message)),
                ..Extra::default()
            };
            page(&state, &access, StatusCode::UNPROCESSABLE_ENTITY, extra).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST …/user-groups/{id}/delete`: G1 — refused with the reason while the group has members.
pub async fn delete(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, PageError> {
    match groups::delete(&state.db, &access, id).await {
        Ok(()) => Ok(back(&access, "deleted")),
        Err(Error::Conflict(reason)) => {
            let lang = Frame::new(&state, &access, "user_groups").await?.lang;
            let extra = Extra {
                refused: Some(crate::web::i18n::message(lang, &reason)),
                ..Extra::default()
            };
            page(&state, &access, StatusCode::CONFLICT, extra).await
        }
        Err(e) => Err(e.into()),
    }
}
