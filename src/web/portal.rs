//! The portal's pages for signed-in users; registration and invitations (R1–R6) join here.

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use sea_orm::EntityTrait;
use serde_json::json;

use crate::app::AppState;
use crate::authz::Access;
use crate::error::Error;
use crate::store::entity::{tenants, users};
use crate::web::guard::signed_in;

/// Portal routes.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new().route("/t/{tenant}/portal", signed_in(state, get(home)))
}

/// `GET /t/{tenant}/portal`: where a user lands after signing in.
async fn home(State(state): State<AppState>, access: Access) -> Result<Html<String>, Error> {
    let tenant = tenants::Entity::find_by_id(access.tenant.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))?;
    let first_name = access
        .tenant
        .find_by_id::<users::Entity>(access.principal.id)
        .one(&state.db)
        .await?
        .map(|u| u.first_name)
        .unwrap_or_else(|| access.principal.login.clone());
    crate::web::pages::render(
        "portal/home.html",
        json!({
            "tenant": {"slug": tenant.slug, "name": tenant.name},
            "lang": tenant.default_language,
            "login": access.principal.login,
            "first_name": first_name,
        }),
    )
}
