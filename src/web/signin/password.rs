//! Password pages (R7, U3, B6): the forced change after a temporary password, set-password and
//! reset links, and asking for a reset link.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_sessions::Session;

use super::{current, encode, establish, home, login_url, minutes, request_id};
use crate::app::AppState;
use crate::auth::principal::{Principal, PrincipalKind};
use crate::auth::recovery::{
    self, ChangeRefusal, LinkPassword, LinkProblem, NewPassword, PasswordProblem, SetRefusal,
};
use crate::auth::signin::{self, principal_for};
use crate::auth::throttle::Throttle;
use crate::domain::ctx::Source;
use crate::domain::return_target::safe_next;
use crate::error::Error;
use crate::store::TenantId;
use crate::store::entity::{backoffice_accounts, tenants, users};
use crate::web::i18n;
use crate::web::pages::{Page, PageError};

/// The context every password page shares, in `lang`.
fn base(tenant: &tenants::Model, lang: &str) -> crate::Result<Value> {
    Ok(json!({
        "lang": lang,
        "tenant": crate::web::pages::tenant_view(tenant)?,
        "policy": recovery::policy_of(tenant)?,
    }))
}

/// The language of a page for a visitor not yet known: the tenant's default language.
fn tenant_lang(tenant: &tenants::Model) -> &'static str {
    i18n::choose(None, &tenant.default_language)
}

/// The language of a page for a signed-in account: its own language if set, else the
/// tenant's default language (as the back-office frame chooses it).
pub(crate) async fn account_lang(
    state: &AppState,
    tenant: &tenants::Model,
    principal: &Principal,
) -> Result<&'static str, Error> {
    let tenant_id = TenantId(tenant.id);
    let own = match principal.kind {
        PrincipalKind::Backoffice => tenant_id
            .find_by_id::<backoffice_accounts::Entity>(principal.id)
            .one(&state.db)
            .await?
            .and_then(|a| a.language),
        PrincipalKind::User => tenant_id
            .find_by_id::<users::Entity>(principal.id)
            .one(&state.db)
            .await?
            .and_then(|u| u.language),
    };
    Ok(i18n::choose(own.as_deref(), &tenant.default_language))
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

/// Query of the change page.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The change form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChangeForm {
    current: String,
    new: String,
    repeat: String,
    next: Option<String>,
}

// The page's parts, handed on as the handlers have them.
#[allow(clippy::too_many_arguments)]
fn change_page(
    status: StatusCode,
    tenant: &tenants::Model,
    lang: &str,
    principal: &Principal,
    next: Option<String>,
    error: Option<&str>,
    retry_minutes: u64,
    problems: &[PasswordProblem],
) -> Result<Page, PageError> {
    Ok(Page::new(
        status,
        "signin/change.html",
        with(
            base(tenant, lang)?,
            json!({
                "action": format!("/t/{}/password/change", tenant.slug),
                "logout_url": format!("/t/{}/logout", tenant.slug),
                "forced": principal.must_change_password,
                "login": principal.login,
                "next": next,
                "error": error,
                "retry_minutes": retry_minutes,
                "problems": problems,
            }),
        ),
    )?)
}

/// Sends a caller without a session of this tenant to the sign-in page.
fn sign_in_first(tenant: &tenants::Model) -> Response {
    let back = format!("/t/{}/password/change", tenant.slug);
    Redirect::to(&format!(
        "{}?next={}",
        login_url(&tenant.slug, PrincipalKind::User),
        encode(&back)
    ))
    .into_response()
}

/// `GET /t/{tenant}/password/change`: the change form (U3, B6: forced after a temporary
/// password; the route guard sends every other page here while the flag is set).
pub async fn change_form(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    let Some(principal) = principal_for(current(&session).await?, &tenant) else {
        return Ok(sign_in_first(&tenant));
    };
    let next = safe_next(&tenant.slug, q.next.as_deref());
    let lang = account_lang(&state, &tenant, &principal).await?;
    Ok(change_page(
        StatusCode::OK,
        &tenant,
        lang,
        &principal,
        next,
        None,
        0,
        &[],
    )?
    .into_response())
}

/// `POST /t/{tenant}/password/change`: checks the current password and the tenant's policy,
/// stores the new one and clears the forced change in the database and the session.
pub async fn change_submit(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<Throttle>>,
    session: Session,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Result<Response, PageError> {
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    let Some(mut principal) = principal_for(current(&session).await?, &tenant) else {
        return Ok(sign_in_first(&tenant));
    };
    let next = safe_next(&tenant.slug, f.next.as_deref());
    let change = NewPassword {
        current: f.current,
        new: f.new,
        repeat: f.repeat,
    };
    let outcome = recovery::change_password(
        &state,
        &throttle,
        &tenant,
        &principal,
        change,
        Source::Web,
        request_id(&headers),
    )
    .await?;
    let (status, error, wait, problems) = match outcome {
        Ok(()) => {
            principal.must_change_password = false;
            // A change of privilege: the session gets a new id too.
            establish(&state, &session, &principal).await?;
            let target = next.unwrap_or_else(|| home(&tenant.slug, principal.kind));
            return Ok(Redirect::to(&target).into_response());
        }
        Err(ChangeRefusal::WrongCurrent) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("wrong_current"),
            0,
            vec![],
        ),
        Err(ChangeRefusal::Throttled(w)) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some("throttled"),
            minutes(w),
            vec![],
        ),
        Err(ChangeRefusal::Invalid(p)) => (StatusCode::UNPROCESSABLE_ENTITY, None, 0, p),
    };
    let lang = account_lang(&state, &tenant, &principal).await?;
    Ok(change_page(
        status, &tenant, lang, &principal, next, error, wait, &problems,
    )?
    .into_response())
}

/// Query of the set-password page.
#[derive(Debug, Default, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The set-password form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetForm {
    token: String,
    new: String,
    repeat: String,
}

fn link_problem_page(tenant: &tenants::Model, problem: LinkProblem) -> Result<Page, PageError> {
    let status = match problem {
        LinkProblem::Invalid => StatusCode::NOT_FOUND,
        LinkProblem::Used | LinkProblem::Expired => StatusCode::GONE,
    };
    Ok(Page::new(
        status,
        "signin/set.html",
        with(
            base(tenant, tenant_lang(tenant))?,
            json!({
                "link_problem": problem,
                "forgot_url": format!("/t/{}/password/forgot", tenant.slug),
                "login_url": login_url(&tenant.slug, PrincipalKind::User),
            }),
        ),
    )?)
}

fn set_page(
    status: StatusCode,
    tenant: &tenants::Model,
    token: &str,
    target: &recovery::LinkTarget,
    problems: &[PasswordProblem],
) -> Result<Page, PageError> {
    Ok(Page::new(
        status,
        "signin/set.html",
        with(
            base(tenant, tenant_lang(tenant))?,
            json!({
                "action": format!("/t/{}/password/set", tenant.slug),
                "token": token,
                "purpose": target.purpose.as_str(),
                "login": target.account.login,
                "problems": problems,
            }),
        ),
    )?)
}

/// `GET /t/{tenant}/password/set?token=…`: the form a set-password or reset link opens, or
/// why the link cannot be used (invalid, used, expired).
pub async fn set_form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Result<Page, PageError> {
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    match recovery::inspect_link(&state, TenantId(tenant.id), &q.token).await? {
        Ok(target) => set_page(StatusCode::OK, &tenant, &q.token, &target, &[]),
        Err(problem) => link_problem_page(&tenant, problem),
    }
}

/// `POST /t/{tenant}/password/set`: uses the link (once) and returns to the sign-in page with
/// a confirmation.
pub async fn set_submit(
    State(state): State<AppState>,
    Extension(throttle): Extension<Arc<Throttle>>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<SetForm>,
) -> Result<Response, PageError> {
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    let outcome = recovery::set_password_by_link(
        &state,
        &throttle,
        &tenant,
        LinkPassword {
            token: &f.token,
            new: &f.new,
            repeat: &f.repeat,
        },
        Source::Web,
        request_id(&headers),
    )
    .await?;
    match outcome {
        Ok(account) => Ok(Redirect::to(&format!(
            "{}?done=password_set",
            login_url(&tenant.slug, account.kind)
        ))
        .into_response()),
        Err(SetRefusal::Link(problem)) => Ok(link_problem_page(&tenant, problem)?.into_response()),
        Err(SetRefusal::Invalid(problems)) => {
            match recovery::inspect_link(&state, TenantId(tenant.id), &f.token).await? {
                Ok(target) => Ok(set_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &tenant,
                    &f.token,
                    &target,
                    &problems,
                )?
                .into_response()),
                Err(problem) => Ok(link_problem_page(&tenant, problem)?.into_response()),
            }
        }
    }
}

/// Query and form of the forgot page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    kind: Option<String>,
    login: String,
}

fn kind_of(kind: Option<&str>) -> PrincipalKind {
    match kind {
        Some("backoffice") => PrincipalKind::Backoffice,
        _ => PrincipalKind::User,
    }
}

fn forgot_page(
    tenant: &tenants::Model,
    kind: PrincipalKind,
    sent: bool,
) -> Result<Page, PageError> {
    Ok(Page::ok(
        "signin/forgot.html",
        with(
            base(tenant, tenant_lang(tenant))?,
            json!({
                "action": format!("/t/{}/password/forgot", tenant.slug),
                "kind": match kind { PrincipalKind::Backoffice => "backoffice", PrincipalKind::User => "user" },
                "login_url": login_url(&tenant.slug, kind),
                "sent": sent,
            }),
        ),
    )?)
}

/// `GET /t/{tenant}/password/forgot`: asks for a login name or e-mail address.
pub async fn forgot_form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<ForgotForm>,
) -> Result<Page, PageError> {
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    forgot_page(&tenant, kind_of(q.kind.as_deref()), false)
}

/// `POST /t/{tenant}/password/forgot`: queues a reset mail when the account exists, may sign in
/// and has an address — and answers exactly the same page when it does not.
pub async fn forgot_submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Form(f): Form<ForgotForm>,
) -> Result<Page, PageError> {
    let tenant = signin::tenant_by_slug(&state.db, &slug).await?;
    let kind = kind_of(f.kind.as_deref());
    recovery::request_reset(&state, TenantId(tenant.id), kind, &f.login).await?;
    forgot_page(&tenant, kind, true)
}
