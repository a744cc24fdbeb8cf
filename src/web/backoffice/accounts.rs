//! Back-office users (B1, B4): the list, and one account's details — its roles with the unit
//! each is anchored at, and its catalog access as authorization applies it.

use axum::extract::{Path, State};
use serde_json::{Value, json};
use uuid::Uuid;

use super::view::Frame;
use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::backoffice;
use crate::store::entity::backoffice_accounts;
use crate::web::pages::{Page, PageError};

async fn roles_of(
    state: &AppState,
    access: &Permit,
    a: &backoffice_accounts::Model,
) -> Result<Vec<Value>, PageError> {
    let names: std::collections::HashMap<String, String> =
        crate::domain::roles::list(&state.db, access)
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
    Ok(backoffice::grants_of(&state.db, access, a.id)
        .await?
        .into_iter()
        .map(|g| {
            json!({
                "code": g.role,
                "name": names.get(&g.role).cloned().unwrap_or_else(|| g.role.clone()),
                "unit": g.unit,
            })
        })
        .collect())
}

/// B4: the catalogs the account sees users of, exactly as the authorization computes them
/// (`None`: every catalog).
async fn catalogs_of(
    state: &AppState,
    access: &Permit,
    a: &backoffice_accounts::Model,
) -> Result<Option<Vec<Value>>, PageError> {
    if a.all_catalogs {
        return Ok(None);
    }
    let ids = crate::authz::grant::account_catalogs(&state.db, access.tenant(), a.id).await?;
    Ok(Some(
        crate::domain::catalogs::list(&state.db, access)
            .await?
            .into_iter()
            .filter(|c| ids.contains(&c.id))
            .map(|c| json!({"code": c.code, "name": c.name}))
            .collect(),
    ))
}

/// `GET …/backoffice-users`
pub async fn list(State(state): State<AppState>, access: Permit) -> Result<Page, PageError> {
    let mut accounts = Vec::new();
    for a in backoffice::list(&state.db, &access).await? {
        accounts.push(json!({
            "id": a.id,
            "login": a.login,
            "name": format!("{} {}", a.first_name, a.last_name),
            "email": a.email,
            "roles": roles_of(&state, &access, &a).await?,
            "all_catalogs": a.all_catalogs,
            "is_administrator": a.is_administrator,
            "active": a.active,
        }));
    }
    let frame = Frame::new(&state, &access, "backoffice_users").await?;
    let title = frame.text("right.backoffice_users");
    frame
        .set("title", title)
        .set("accounts", accounts)
        .render("backoffice/accounts.html")
}

/// `GET …/backoffice-users/{id}`: the account's details.
pub async fn show(
    State(state): State<AppState>,
    access: Permit,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Page, PageError> {
    let a = backoffice::get(&state.db, &access, id).await?;
    let account = json!({
        "id": a.id,
        "login": a.login,
        "first_name": a.first_name,
        "last_name": a.last_name,
        "email": a.email,
        "language": a.language,
        "is_administrator": a.is_administrator,
        "course_system_role": a.course_system_role,
        "active": a.active,
        "last_login_at": a.last_login_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        "linked_user": a.user_id.is_some(),
    });
    let roles = roles_of(&state, &access, &a).await?;
    let catalogs = catalogs_of(&state, &access, &a).await?;
    let frame = Frame::new(&state, &access, "backoffice_users").await?;
    frame
        .set("title", format!("{} {}", a.first_name, a.last_name))
        .set("account", account)
        .set("roles", roles)
        .set("catalogs", catalogs)
        .render("backoffice/account.html")
}
