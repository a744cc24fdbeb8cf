//! Error pages in the visitor's language: a page under `/t/{tenant}/…` that fails is shown in
//! the signed-in account's own language, else the tenant's default language (as every other
//! page of the tenant), with the tenant's name and colours.
//!
//! [`PageError`](super::pages::PageError) knows no tenant, so it renders in English and leaves
//! an [`ErrorPage`] on the response; the middleware [`localise`], which sees the path and the
//! session, renders that page again for the tenant. Only failed requests pay for the lookup.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tower_sessions::Session;

use super::pages::{Page, tenant_view};
use crate::app::AppState;
use crate::auth::principal::{Principal, SESSION_KEY};
use crate::auth::signin::tenant_by_slug;

/// What an error page shows, kept on its response so that [`localise`] can render it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorPage {
    /// `not_found`, `forbidden`, `unauthenticated`, `unavailable`, `bad_request` or `internal`.
    pub kind: &'static str,
    /// A message safe to show, for the kinds that carry one.
    pub detail: Option<String>,
}

/// Renders `page` with `status` in `lang`, inside `tenant`'s frame when known.
pub fn render(status: StatusCode, page: ErrorPage, lang: &str, tenant: Option<Value>) -> Response {
    let ctx = json!({
        "status": status.as_u16(),
        "kind": page.kind,
        "detail": page.detail,
        "lang": lang,
        "tenant": tenant,
    });
    let mut response = match Page::new(status, "error.html", ctx) {
        Ok(p) => p.into_response(),
        Err(_) => (status, status.canonical_reason().unwrap_or("Error")).into_response(),
    };
    response.extensions_mut().insert(page);
    response
}

/// The tenant slug of a path `/t/{slug}/…`.
fn tenant_slug(path: &str) -> Option<&str> {
    let slug = path.strip_prefix("/t/")?.split('/').next()?;
    (!slug.is_empty()).then_some(slug)
}

/// Middleware: an error page under `/t/{tenant}/…` in the tenant's (or the signed-in
/// account's) language. Anything else passes untouched; so does an error page of a tenant that
/// does not exist.
pub async fn localise(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let slug = tenant_slug(request.uri().path()).map(str::to_owned);
    let session = request.extensions().get::<Session>().cloned();
    let response = next.run(request).await;
    let (Some(slug), Some(page)) = (slug, response.extensions().get::<ErrorPage>().cloned()) else {
        return response;
    };
    let Ok(tenant) = tenant_by_slug(&state.db, &slug).await else {
        return response;
    };
    let principal: Option<Principal> = match &session {
        Some(s) => s.get(SESSION_KEY).await.ok().flatten(),
        None => None,
    };
    let lang = match principal.filter(|p| p.tenant_id == tenant.id) {
        Some(p) => match super::signin::account_lang(&state, &tenant, &p).await {
            Ok(lang) => lang,
            Err(_) => return response,
        },
        None => super::i18n::choose(None, &tenant.default_language),
    };
    let view = match tenant_view(&tenant) {
        Ok(view) => view,
        Err(e) => {
            // The tenant's settings are unreadable: answer the plain error page, and say why.
            tracing::error!(tenant.slug = %slug, error = %e, "tenant error page");
            return response;
        }
    };
    render(response.status(), page, lang, Some(view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tenant_paths_name_a_tenant() {
        assert_eq!(tenant_slug("/t/acme/login"), Some("acme"));
        assert_eq!(tenant_slug("/t/acme"), Some("acme"));
        assert_eq!(tenant_slug("/t//login"), None);
        assert_eq!(tenant_slug("/api/v1/acme/users"), None);
        assert_eq!(tenant_slug("/healthz"), None);
    }
}
