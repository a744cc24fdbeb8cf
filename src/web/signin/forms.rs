//! The sign-in pages of portal users and back-office accounts, and sign-out (R1, R5, R7, U6).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

use super::{ClientAddr, current, encode, end, establish, home, login_url, minutes};
use crate::app::AppState;
use crate::auth::principal::PrincipalKind;
use crate::auth::signin::{self, Attempt, Refusal};
use crate::auth::throttle::Throttle;
use crate::domain::return_target::safe_next;
use crate::store::entity::tenants;
use crate::tenancy::Tenant;
use crate::tenancy::descriptor::LoginLayout;
use crate::web::i18n;
use crate::web::pages::{Page, PageError};

/// Query of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    /// Where to go after signing in (R5), if safe.
    next: Option<String>,
    /// A notice to show: `password_set`, `signed_out`.
    done: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
}

/// What the page shows besides the form.
#[derive(Default)]
struct View<'a> {
    next: Option<String>,
    login: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    retry_minutes: u64,
}

fn render(
    status: StatusCode,
    tenant: &tenants::Model,
    kind: PrincipalKind,
    view: View<'_>,
) -> Result<Page, PageError> {
    let settings = Tenant::from_row(tenant)?.settings;
    // R1: the portal offers registration beside (split) or below (standard) the form.
    let (register_url, split) = match (&settings, kind) {
        (s, PrincipalKind::User) if s.registration.enabled => (
            // R5: registration keeps the return target of an invitation.
            Some(match &view.next {
                Some(n) => format!("/t/{}/register?next={}", tenant.slug, encode(n)),
                None => format!("/t/{}/register", tenant.slug),
            }),
            s.login.layout == LoginLayout::Split,
        ),
        _ => (None, false),
    };
    let forgot_url = match kind {
        PrincipalKind::Backoffice => format!("/t/{}/password/forgot?kind=backoffice", tenant.slug),
        PrincipalKind::User => format!("/t/{}/password/forgot", tenant.slug),
    };
    Ok(Page::new(
        status,
        "signin/login.html",
        json!({
            // The visitor is not known yet: the tenant's default language.
            "lang": i18n::choose(None, &tenant.default_language),
            "tenant": crate::web::pages::tenant_view(tenant)?,
            "kind": match kind { PrincipalKind::Backoffice => "backoffice", PrincipalKind::User => "user" },
            "action": login_url(&tenant.slug, kind),
            "next": view.next,
            "login": view.login,
            "notice": view.notice,
            "error": view.error,
            "retry_minutes": view.retry_minutes,
            "forgot_url": forgot_url,
            "register_url": register_url,
            "split": split,
        }),
    )?)
}

async fn form(
    state: AppState,
    slug: String,
    kind: PrincipalKind,
    query: LoginQuery,
) -> Result<Page, PageError> {
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    let notice = match query.done.as_deref() {
        Some(n @ ("password_set" | "signed_out")) => Some(n),
        _ => None,
    };
    let view = View {
        next: safe_next(&tenant.slug, query.next.as_deref()),
        notice,
        ..View::default()
    };
    render(StatusCode::OK, &tenant, kind, view)
}

// The extractors of both sign-in handlers, handed on as they are.
#[allow(clippy::too_many_arguments)]
async fn submit(
    state: AppState,
    throttle: Arc<Throttle>,
    session: Session,
    addr: ClientAddr,
    slug: String,
    kind: PrincipalKind,
    f: LoginForm,
) -> Result<Response, PageError> {
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    let next = safe_next(&tenant.slug, f.next.as_deref());
    let attempt = Attempt {
        kind,
        login: f.login.clone(),
        password: f.password,
        address: addr.0,
    };
    let principal = match signin::sign_in(&state, &throttle, &tenant, attempt).await? {
        Ok(p) => p,
        Err(refusal) => {
            let (status, error, wait) = match refusal {
                Refusal::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials", 0),
                Refusal::Throttled(wait) => {
                    (StatusCode::TOO_MANY_REQUESTS, "throttled", minutes(wait))
                }
            };
            let view = View {
                next,
                login: &f.login,
                error: Some(error),
                retry_minutes: wait,
                ..View::default()
            };
            return Ok(render(status, &tenant, kind, view)?.into_response());
        }
    };
    establish(&state, &session, &principal).await?;
    let target = if principal.must_change_password {
        // U3, B6: nothing else until the temporary password is replaced.
        match &next {
            Some(n) => format!("/t/{}/password/change?next={}", tenant.slug, encode(n)),
            None => format!("/t/{}/password/change", tenant.slug),
        }
    } else {
        next.unwrap_or_else(|| home(&tenant.slug, kind))
    };
    Ok(Redirect::to(&target).into_response())
}

/// `GET /t/{tenant}/login`: the portal sign-in page.
pub async fn user_form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<LoginQuery>,
) -> Result<Page, PageError> {
    form(state, slug, PrincipalKind::User, q).await
}

/// `GET /t/{tenant}/backoffice/login`: the back-office sign-in page.
pub async fn backoffice_form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<LoginQuery>,
) -> Result<Page, PageError> {
    form(state, slug, PrincipalKind::Backoffice, q).await
}

/// `POST /t/{tenant}/login`: signs a portal user in (U6: never a deactivated one).
pub async fn user_submit(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<Throttle>>,
    session: Session,
    addr: ClientAddr,
    Path(slug): Path<String>,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    submit(state, throttle, session, addr, slug, PrincipalKind::User, f).await
}

/// `POST /t/{tenant}/backoffice/login`: signs a back-office account in.
pub async fn backoffice_submit(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<Throttle>>,
    session: Session,
    addr: ClientAddr,
    Path(slug): Path<String>,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    submit(
        state,
        throttle,
        session,
        addr,
        slug,
        PrincipalKind::Backoffice,
        f,
    )
    .await
}

/// `POST /t/{tenant}/logout`: ends the session and returns to the matching sign-in page.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    let kind = current(&session)
        .await?
        .map_or(PrincipalKind::User, |p| p.kind);
    end(&session).await?;
    Ok(Redirect::to(&format!(
        "{}?done=signed_out",
        login_url(&tenant.slug, kind)
    ))
    .into_response())
}
