//! `GET /api/v1/{tenant}/me`: who is signed in, their rights, and the menu they get (B3).

use axum::Json;
use serde_json::{Value, json};

use crate::authz::Permit;

/// The caller, their rights and their menu sections.
#[utoipa::path(get, path = "/api/v1/{tenant}/me", tag = "session", operation_id = "me",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses(
        (status = 200, description = "The caller, their rights and menu", body = serde_json::Value),
    ))]
pub async fn me(access: Permit) -> Result<Json<Value>, crate::error::Error> {
    let me = access.signed_in()?;
    Ok(Json(json!({
        "tenant": access.tenant_slug(),
        "kind": me.kind,
        "id": me.id,
        "login": access.login(),
        "rights": access.rights().iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "menu": crate::web::backoffice::menu(access.rights()),
    })))
}
