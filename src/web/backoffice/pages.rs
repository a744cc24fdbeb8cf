//! Back-office pages: the overview with the menu (B3), and the sections whose pages exist.
//! Each section route is guarded by its right in [`super::router`].

use axum::extract::{Query, State};
use axum::response::Html;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::authz::{Access, Right};
use crate::domain::user_directory;
use crate::error::Error;
use crate::store::entity::tenants;
use sea_orm::EntityTrait;

async fn base(
    state: &AppState,
    access: &Access,
    section: &str,
    title: &str,
) -> Result<Value, Error> {
    let tenant = tenants::Entity::find_by_id(access.tenant.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))?;
    Ok(json!({
        "tenant": {"slug": tenant.slug, "name": tenant.name},
        "lang": tenant.default_language,
        "login": access.principal.login,
        "menu": super::menu(&access.rights),
        "section": section,
        "title": title,
    }))
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// `GET /t/{tenant}/backoffice`: the overview.
pub async fn home(State(state): State<AppState>, access: Access) -> Result<Html<String>, Error> {
    let ctx = base(&state, &access, "home", "Administration").await?;
    crate::web::pages::render("backoffice/page.html", ctx)
}

/// `GET /t/{tenant}/backoffice/users`: users in scope, searched and paged in SQL (U5, B4, B5).
pub async fn users(
    State(state): State<AppState>,
    access: Access,
    Query(query): Query<user_directory::Query>,
) -> Result<Html<String>, Error> {
    let scope = access.scope(&state.db, Right::Users).await?;
    let page = user_directory::list(&state.db, access.tenant, &scope, &query).await?;
    let pages = page.total.div_ceil(page.per_page).max(1);
    let ctx = merge(
        base(&state, &access, "users", "Users").await?,
        json!({"items": page.items, "total": page.total, "page": page.page, "pages": pages, "q": query.q}),
    );
    crate::web::pages::render("backoffice/page.html", ctx)
}

/// `GET /t/{tenant}/backoffice/backoffice-users` (B1, B4).
pub async fn backoffice_users(
    State(state): State<AppState>,
    access: Access,
) -> Result<Html<String>, Error> {
    let mut accounts = Vec::new();
    for a in crate::domain::backoffice::list(&state.db, access.tenant).await? {
        let grants = crate::domain::backoffice::grants_of(&state.db, access.tenant, a.id).await?;
        let roles: Vec<String> = grants
            .iter()
            .map(|g| match &g.unit {
                Some(u) => format!("{} @ {u}", g.role),
                None => g.role.clone(),
            })
            .collect();
        accounts.push(json!({
            "login": a.login,
            "name": format!("{} {}", a.first_name, a.last_name),
            "roles": roles.join(", "),
            "all_catalogs": a.all_catalogs,
            "catalogs": "",
            "active": a.active,
        }));
    }
    let ctx = merge(
        base(&state, &access, "backoffice_users", "Back-office users").await?,
        json!({"accounts": accounts}),
    );
    crate::web::pages::render("backoffice/page.html", ctx)
}

/// `GET /t/{tenant}/backoffice/roles` (B3).
pub async fn roles(State(state): State<AppState>, access: Access) -> Result<Html<String>, Error> {
    let roles = crate::domain::roles::list(&state.db, access.tenant).await?;
    let ctx = merge(
        base(&state, &access, "roles", "Roles and rights").await?,
        json!({"roles": roles}),
    );
    crate::web::pages::render("backoffice/page.html", ctx)
}

/// Any other section: guarded by its right; its pages arrive with later work.
pub async fn section(
    State(state): State<AppState>,
    access: Access,
    right: Right,
) -> Result<Html<String>, Error> {
    let item = super::menu(&[right]).into_iter().next();
    let title = item.map(|i| i.label).unwrap_or("Section");
    let ctx = merge(
        base(&state, &access, right.as_str(), title).await?,
        json!({"description": format!("{title}: managed through the API for now.")}),
    );
    crate::web::pages::render("backoffice/page.html", ctx)
}
