//! Roles and their rights (B3): the overview, a new role, and the rights tab of a role with
//! its active checkboxes and "Save" / "Save and back to overview".

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::view::{Frame, field_errors, notice, see_other};
use crate::app::AppState;
use crate::authz::{Permit, Right};
use crate::domain::roles::{self, NewRole};
use crate::error::Error;
use crate::web::pages::{Page, PageError};

/// `?done=` after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn overview(
    state: &AppState,
    access: &Permit,
    done: Option<&str>,
) -> Result<Frame, PageError> {
    let frame = Frame::new(state, access, "roles").await?;
    let all = roles::list(&state.db, access).await?;
    // X9: the roles a descriptor manages, by code, with its file.
    let managed: std::collections::HashMap<String, String> = all
        .iter()
        .filter_map(|r| Some((r.code.clone(), r.managed_by.clone()?)))
        .collect();
    let title = frame.text("right.roles");
    Ok(frame
        .set("title", title)
        .set("roles", all)
        .set("managed", managed)
        .set("notice", notice(done)))
}

/// `GET …/roles`: every role with its reach and rights.
pub async fn list(
    State(state): State<AppState>,
    access: Permit,
    Query(q): Query<Done>,
) -> Result<Page, PageError> {
    overview(&state, &access, q.done.as_deref())
        .await?
        .set("new", json!({"scope": "tenant"}))
        .render("backoffice/roles.html")
}

/// Fields of the "new role" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewRoleForm {
    code: String,
    name: String,
    scope: String,
}

/// `POST …/roles`: makes a new back-office role, then opens its rights tab.
pub async fn create(
    State(state): State<AppState>,
    access: Permit,
    Form(f): Form<NewRoleForm>,
) -> Result<Response, PageError> {
    let new = NewRole {
        code: f.code.trim().to_owned(),
        name: f.name.trim().to_owned(),
        scope: f.scope.clone(),
        rights: Vec::new(),
    };
    match roles::create(&state.db, &access, new).await {
        Ok(role) => {
            let frame = Frame::new(&state, &access, "roles").await?;
            Ok(see_other(&format!(
                "{}/roles/{}?done=created",
                frame.base(),
                role.code
            )))
        }
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let frame = overview(&state, &access, None).await?;
            let errors = match &e {
                Error::Validation(v) => field_errors(frame.lang, v),
                // A taken code is a problem of the code field.
                Error::Conflict(m) => field_errors(
                    frame.lang,
                    &[crate::error::FieldError {
                        field: "code".into(),
                        message: m.clone(),
                    }],
                ),
                _ => Default::default(),
            };
            Ok(frame
                .set(
                    "new",
                    json!({"code": f.code, "name": f.name, "scope": f.scope}),
                )
                .set("errors", errors)
                .render_status(StatusCode::UNPROCESSABLE_ENTITY, "backoffice/roles.html")?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn tab(
    state: &AppState,
    access: &Permit,
    code: &str,
    done: Option<&str>,
) -> Result<Frame, PageError> {
    let role = roles::list(&state.db, access)
        .await?
        .into_iter()
        .find(|r| r.code == code)
        .ok_or_else(|| Error::NotFound("role".into()))?;
    let frame = Frame::new(state, access, "roles").await?;
    // B3: only the rights the actor holds over the whole tenant can be moved.
    let changeable = roles::changeable_rights(&state.db, access).await?;
    let rights: Vec<_> = Right::ALL
        .iter()
        .map(|r| {
            json!({
                "code": r.as_str(),
                "held": role.is_administrator || role.rights.iter().any(|h| h == r.as_str()),
                "changeable": changeable.contains(r),
            })
        })
        .collect();
    let title = role.name.clone();
    // X9: a descriptor's role shows its file and no Save.
    let managed_by = role.managed_by.clone();
    Ok(frame
        .set("title", title)
        .set("managed_by", managed_by)
        .set("role", role)
        .set("rights", rights)
        .set("notice", notice(done)))
}

/// `GET …/roles/{code}`: the rights tab.
pub async fn rights_tab(
    State(state): State<AppState>,
    access: Permit,
    Path((_, code)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> Result<Page, PageError> {
    tab(&state, &access, &code, q.done.as_deref())
        .await?
        .render("backoffice/role.html")
}

/// `POST …/roles/{code}`: saves the checked rights; `then=back` returns to the overview.
pub async fn save_rights(
    State(state): State<AppState>,
    access: Permit,
    Path((_, code)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let rights: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "rights")
        .map(|(_, v)| v.clone())
        .collect();
    let back = fields.iter().any(|(k, v)| k == "then" && v == "back");
    match roles::save_checked_rights(&state.db, &access, &code, &rights).await {
        Ok(role) => {
            let base = format!("/t/{}/backoffice", access.tenant_slug());
            Ok(if back {
                see_other(&format!("{base}/roles?done=saved"))
            } else {
                see_other(&format!("{base}/roles/{}?done=saved", role.code))
            })
        }
        Err(Error::Validation(v)) => {
            let frame = tab(&state, &access, &code, None).await?;
            let errors = field_errors(frame.lang, &v);
            Ok(frame
                .set("errors", errors)
                .render_status(StatusCode::UNPROCESSABLE_ENTITY, "backoffice/role.html")?
                .into_response())
        }
        // The grant rule refused: the tab again, saying why, nothing saved.
        Err(Error::Forbidden(why)) => {
            let frame = tab(&state, &access, &code, None).await?;
            let refusal = crate::web::i18n::message(frame.lang, &why);
            Ok(frame
                .set("refusal", refusal)
                .render_status(StatusCode::FORBIDDEN, "backoffice/role.html")?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
