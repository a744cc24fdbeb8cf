//! The route guard (B3): every route is declared with its gate (open, signed in, or the right it
//! needs) in the route tables of `web::api` and `web::backoffice`; `web::routes` puts [`need`]
//! or [`signed_in`] in front of each guarded one. The guard
//! authenticates the caller (session or bearer token), refuses another tenant's principal
//! with 404 (no existence leak), refuses a pending forced password change, checks the right
//! with the tenant's casbin policy, and hands the handler an [`Access`] permit.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;

use crate::app::AppState;
use crate::auth::principal::{Principal, PrincipalKind, SESSION_KEY};
use crate::authz::{Permit, Right};
use crate::domain::Source;
use crate::error::Error;
use crate::store::TenantId;
use crate::store::entity::{backoffice_accounts, users};

/// Guards `route` with `right`.
pub fn need(
    state: &AppState,
    right: Right,
    route: MethodRouter<AppState>,
) -> MethodRouter<AppState> {
    route.route_layer(from_fn_with_state((state.clone(), Some(right)), guard))
}

/// Guards `route` with sign-in only (any right-holder of the tenant, e.g. `/me`).
pub fn signed_in(state: &AppState, route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.route_layer(from_fn_with_state((state.clone(), None), guard))
}

/// The tenant slug of a path `/api/v1/{slug}/…` or `/t/{slug}/…`.
pub fn tenant_slug(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/api/v1/")
        .or_else(|| path.strip_prefix("/t/"))?;
    rest.split('/').next().filter(|s| !s.is_empty())
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

async fn guard(
    State((state, right)): State<(AppState, Option<Right>)>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let api = is_api(&path);
    let headers = req.headers().clone();
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    match authorize(&state, right, &path, &headers, session, api).await {
        Ok(access) => {
            req.extensions_mut().insert(access);
            next.run(req).await
        }
        Err(e) if !api => page_error(&path, e),
        Err(e) => e.into_response(),
    }
}

async fn authorize(
    state: &AppState,
    right: Option<Right>,
    path: &str,
    headers: &HeaderMap,
    session: Option<tower_sessions::Session>,
    api: bool,
) -> crate::Result<Permit> {
    let slug = tenant_slug(path).ok_or_else(|| Error::NotFound("tenant".into()))?;
    // The row is read on every request (so a request never runs on an older one); its parsed
    // context comes from the cache while the row is unchanged.
    let (tenant, context) = state.tenants.by_slug(&state.db, slug).await?;
    let principal = principal(state, headers, session)
        .await?
        .ok_or(Error::Unauthenticated)?;
    if principal.tenant_id != tenant.id {
        // T4: another tenant's resources do not exist for this caller.
        return Err(Error::NotFound("resource".into()));
    }
    if !still_active(state, &principal).await? {
        return Err(Error::Unauthenticated);
    }
    if principal.must_change_password {
        return Err(Error::Forbidden(
            "your password must be changed before anything else".into(),
        ));
    }
    let rights =
        crate::authz::permit::rights_of(state, &principal, Some(tenant.policy_version)).await?;
    if let Some(right) = right
        && !rights.contains(&right)
    {
        return Err(Error::Forbidden(format!(
            "this needs the right `{right}`, which your roles do not grant"
        )));
    }
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let source = if api { Source::Api } else { Source::Web };
    let announcing = state.clone();
    let announcer = crate::authz::permit::Announcer::new(move |tenant| {
        let state = announcing.clone();
        Box::pin(async move { crate::authz::enforcer::announce(&state, tenant).await })
    });
    Ok(Permit::for_principal(principal, rights, source, request_id)
        .announcing(announcer)
        .with_tenant(context))
}

/// The caller: a bearer token, else the session's principal.
async fn principal(
    state: &AppState,
    headers: &HeaderMap,
    session: Option<tower_sessions::Session>,
) -> crate::Result<Option<Principal>> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let value = auth.to_str().map_err(|_| Error::Unauthenticated)?;
        let secret = value
            .strip_prefix("Bearer ")
            .ok_or(Error::Unauthenticated)?;
        return crate::auth::tokens::resolve(&state.db, secret.trim()).await;
    }
    let Some(session) = session else {
        return Ok(None);
    };
    session
        .get::<Principal>(SESSION_KEY)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("session store: {e}")))
}

/// U6: a deactivated account loses access at once, also with a live session or token.
async fn still_active(state: &AppState, p: &Principal) -> crate::Result<bool> {
    let tenant = TenantId(p.tenant_id);
    Ok(match p.kind {
        PrincipalKind::Backoffice => tenant
            .find_by_id::<backoffice_accounts::Entity>(p.id)
            .one(&state.db)
            .await?
            .is_some_and(|a| a.active),
        PrincipalKind::User => tenant
            .find_by_id::<users::Entity>(p.id)
            .one(&state.db)
            .await?
            .is_some_and(|u| u.active && u.registration_state == "active"),
    })
}

fn page_error(path: &str, e: Error) -> Response {
    let slug = tenant_slug(path).unwrap_or_default();
    match e {
        Error::Unauthenticated => {
            let login = if path.contains("/backoffice") {
                format!("/t/{slug}/backoffice/login?next={path}")
            } else {
                format!("/t/{slug}/login?next={path}")
            };
            Redirect::to(&login).into_response()
        }
        Error::Forbidden(msg) if msg.contains("password must be changed") => {
            Redirect::to(&format!("/t/{slug}/password/change")).into_response()
        }
        other => {
            let status = other.status();
            let text = match status {
                StatusCode::FORBIDDEN => "You do not have the right to open this page.".to_owned(),
                StatusCode::NOT_FOUND => "Not found.".to_owned(),
                _ => "Something went wrong; please try again.".to_owned(),
            };
            if status.is_server_error() {
                tracing::error!(error = %other, "page failed");
            }
            (
                status,
                axum::response::Html(format!(
                    "<!doctype html><title>{status}</title><p>{text}</p>"
                )),
            )
                .into_response()
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Permit {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Permit>()
            .cloned()
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("route is not guarded")))
    }
}
