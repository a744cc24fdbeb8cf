//! Roles and their rights (B3): the overview, a new role, and the rights tab of a role with
//! its active checkboxes and "Save" / "Save and back to overview".

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::view::{Frame, field_errors, notice, same_site, see_other};
use crate::app::AppState;
use crate::authz::enforcer::announce;
use crate::authz::{Access, Right};
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
    access: &Access,
    done: Option<&str>,
) -> Result<Frame, PageError> {
    let frame = Frame::new(state, access, "roles").await?;
    let all = roles::list(&state.db, access.tenant).await?;
    let managed = crate::tenancy::ownership::managed_roles(&state.db, access.tenant).await?;
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
    access: Access,
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
    access: Access,
    headers: HeaderMap,
    Form(f): Form<NewRoleForm>,
) -> Result<Response, PageError> {
    same_site(&headers)?;
    let new = NewRole {
        code: f.code.trim().to_owned(),
        name: f.name.trim().to_owned(),
        scope: f.scope.clone(),
        rights: Vec::new(),
    };
    match roles::create(&state.db, &access.ctx, new).await {
        Ok(role) => {
            announce(&state, access.tenant).await;
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
    access: &Access,
    code: &str,
    done: Option<&str>,
) -> Result<Frame, PageError> {
    let role = roles::list(&state.db, access.tenant)
        .await?
        .into_iter()
        .find(|r| r.code == code)
        .ok_or_else(|| Error::NotFound("role".into()))?;
    let frame = Frame::new(state, access, "roles").await?;
    let rights: Vec<_> = Right::ALL
        .iter()
        .map(|r| {
            json!({
                "code": r.as_str(),
                "held": role.is_administrator || role.rights.iter().any(|h| h == r.as_str()),
            })
        })
        .collect();
    let title = role.name.clone();
    // X9: a descriptor's role shows its file and no Save.
    let managed_by = crate::tenancy::ownership::managed_roles(&state.db, access.tenant)
        .await?
        .remove(&role.code);
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
    access: Access,
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
    access: Access,
    headers: HeaderMap,
    Path((_, code)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    same_site(&headers)?;
    let rights: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "rights")
        .map(|(_, v)| v.clone())
        .collect();
    let back = fields.iter().any(|(k, v)| k == "then" && v == "back");
    match roles::set_rights(&state.db, &access.ctx, &code, &rights).await {
        Ok(role) => {
            announce(&state, access.tenant).await;
            let base = format!("/t/{}/backoffice", access.principal.tenant_slug);
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
        Err(e) => Err(e.into()),
    }
}
