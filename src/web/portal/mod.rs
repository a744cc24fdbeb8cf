//! The portal (R1–R6): the start page of signed-in users, self-registration with its
//! thank-you and confirmation pages, learning activities with their "enroll" buttons (the
//! target of invitation links), and the back-office invitation page. Handlers are thin: they
//! resolve the tenant and visitor, call `domain::registration` / `domain::invitations` and
//! render `templates/portal/*` with the texts of [`texts`].
//!
//! | route | what |
//! |---|---|
//! | `GET /t/{tenant}/portal` | start page; the first visit after registering goes on to the invitation's target (R5) |
//! | `GET/POST /t/{tenant}/register` | registration form (R2, R4, R6) |
//! | `GET /t/{tenant}/register/thanks` | what happens next (R3, R5) |
//! | `GET/POST /t/{tenant}/register/confirm?token=…` | e-mail confirmation (R3) |
//! | `GET /t/{tenant}/activities/{code}` | detail page of a learning activity; invitation links point here (R5) |
//! | `POST /t/{tenant}/activities/{code}/enroll` | enroll, or sign in / register first (R5) |
//! | `GET/POST /t/{tenant}/backoffice/learning-activities/{code}/invite` | copy or mail the invitation link (R5) |

mod activities;
mod register;
pub mod texts;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sea_orm::EntityTrait;
use serde_json::{Map, Value, json};
use tower_sessions::Session;

use crate::app::AppState;
use crate::auth::principal::{Principal, PrincipalKind, SESSION_KEY};
use crate::authz::{Permit, Right};
use crate::domain::{invitations, registration};
use crate::error::Error;
use crate::store::TenantId;
use crate::store::entity::{tenants, users};
use crate::web::pages::{Page, PageError};
use crate::web::routes::{Gate, Route, Table};

/// The portal's route table: each page with its gate (open unless it says otherwise).
pub fn routes() -> Table {
    Table(vec![
        Route::page(Gate::SignedIn, "/t/{tenant}/portal", get(home)),
        Route::page(
            Gate::Open,
            "/t/{tenant}/register",
            get(register::form).post(register::submit),
        ),
        Route::page(
            Gate::Open,
            "/t/{tenant}/register/thanks",
            get(register::thanks),
        ),
        Route::page(
            Gate::Open,
            "/t/{tenant}/register/confirm",
            get(register::confirm_form).post(register::confirm_submit),
        ),
        Route::page(
            Gate::Open,
            "/t/{tenant}/activities/{code}",
            get(activities::detail),
        ),
        Route::page(
            Gate::Open,
            "/t/{tenant}/activities/{code}/enroll",
            post(activities::enroll),
        ),
        Route::page(
            Gate::Right(Right::LearningActivities),
            "/t/{tenant}/backoffice/learning-activities/{code}/invite",
            get(activities::invite_form).post(activities::invite_submit),
        ),
    ])
}

/// Portal routes, each behind its gate.
pub fn router(state: &AppState) -> Router<AppState> {
    routes().router(state)
}

/// The page context every portal page starts from: tenant, language and texts.
fn base(tenant: &tenants::Model, own_language: Option<&str>) -> crate::Result<Map<String, Value>> {
    let lang = crate::web::i18n::choose(own_language, &tenant.default_language);
    let mut ctx = Map::new();
    ctx.insert("tenant".into(), crate::web::pages::tenant_view(tenant)?);
    ctx.insert("lang".into(), json!(lang));
    ctx.insert("tx".into(), json!(texts::texts(lang)));
    Ok(ctx)
}

/// The signed-in portal user of `tenant` on this session, when there is one that may use the
/// portal (active, registration finished, no pending forced password change).
async fn viewer(
    state: &AppState,
    session: &Session,
    tenant: &tenants::Model,
) -> Result<Option<users::Model>, Error> {
    let principal: Option<Principal> = session
        .get(SESSION_KEY)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("session store: {e}")))?;
    let Some(p) = principal.filter(|p| {
        p.tenant_id == tenant.id && p.kind == PrincipalKind::User && !p.must_change_password
    }) else {
        return Ok(None);
    };
    Ok(TenantId(tenant.id)
        .find_by_id::<users::Entity>(p.id)
        .one(&state.db)
        .await?
        .filter(|u| u.active && u.registration_state == registration::state::ACTIVE))
}

/// Percent-encodes a value for a query string.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `GET /t/{tenant}/portal`: where a user lands after signing in. The first visit after a
/// registration that came from an invitation goes on to the invitation's page (R5), so the
/// return target survives confirmation, approval and set-password links.
async fn home(State(state): State<AppState>, access: Permit) -> Result<Response, PageError> {
    let tenant = tenants::Entity::find_by_id(access.tenant().0)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))?;
    if let Some(target) =
        registration::take_return_target(&state.db, access.tenant(), access.signed_in()?.id).await?
        && let Some(target) = crate::domain::return_target::safe_next(&tenant.slug, Some(&target))
    {
        return Ok(Redirect::to(&target).into_response());
    }
    let user = access
        .tenant()
        .find_by_id::<users::Entity>(access.signed_in()?.id)
        .one(&state.db)
        .await?;
    let first_name = user
        .as_ref()
        .map(|u| u.first_name.clone())
        .unwrap_or_else(|| access.login().to_owned());
    let enrollments =
        invitations::enrollments_of(&state.db, access.tenant(), access.signed_in()?.id).await?;
    let mut ctx = base(&tenant, user.as_ref().and_then(|u| u.language.as_deref()))?;
    ctx.insert("login".into(), json!(access.login()));
    ctx.insert("first_name".into(), json!(first_name));
    ctx.insert("enrollments".into(), json!(enrollments));
    Ok(Page::ok("portal/home.html", Value::Object(ctx))?.into_response())
}
