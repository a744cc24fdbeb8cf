//! Learning activities in the portal (R5): the detail page that invitation links open, the
//! "enroll" button per execution — which sends a visitor without a session to the sign-in
//! page (and from there to registration) with the enrollment as return target — and the
//! back-office page that copies or mails an activity's invitation link.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::EntityTrait;
use serde::Deserialize;
use serde_json::{Value, json};
use tower_sessions::Session;

use super::{base, encode, viewer};
use crate::app::AppState;
use crate::authz::Permit;
use crate::domain::ctx::{Actor, ActorKind, Ctx, Source};
use crate::domain::{invitations, registration};
use crate::error::{Error, FieldError};
use crate::store::TenantId;
use crate::store::entity::{tenants, users};
use crate::web::pages::{Page, PageError};

/// Query of the detail page.
#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    /// R5: the execution chosen before signing in; completed on arrival.
    enroll: Option<String>,
    /// A notice: `enrolled`.
    done: Option<String>,
}

fn user_ctx(user: &users::Model, headers: &HeaderMap) -> Ctx {
    Ctx {
        tenant: TenantId(user.tenant_id),
        actor: Actor {
            kind: ActorKind::User,
            id: Some(user.id),
            label: user.login.clone(),
        },
        source: Source::Web,
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

fn activity_path(slug: &str, code: &str) -> String {
    format!("/t/{slug}/activities/{code}")
}

async fn render(
    state: &AppState,
    tenant: &tenants::Model,
    code: &str,
    user: Option<&users::Model>,
    status: StatusCode,
    notice: Option<&str>,
    errors: &[FieldError],
) -> Result<Response, PageError> {
    let view =
        invitations::activity(&state.db, TenantId(tenant.id), code, user.map(|u| u.id)).await?;
    let mut ctx = base(tenant, user.and_then(|u| u.language.as_deref()))?;
    ctx.insert("activity".into(), json!(view));
    ctx.insert("signed_in".into(), json!(user.is_some()));
    ctx.insert("notice".into(), json!(notice));
    ctx.insert("errors".into(), json!(errors));
    ctx.insert(
        "action".into(),
        json!(format!("{}/enroll", activity_path(&tenant.slug, code))),
    );
    ctx.insert(
        "portal_url".into(),
        json!(format!("/t/{}/portal", tenant.slug)),
    );
    Ok(Page::new(status, "portal/activity.html", Value::Object(ctx))?.into_response())
}

/// Enrolls `user`, answering with the page to show: back to the detail page with a notice,
/// or the page with the field error (e.g. a full execution).
async fn enroll_and_show(
    state: &AppState,
    tenant: &tenants::Model,
    headers: &HeaderMap,
    user: &users::Model,
    code: &str,
    execution: &str,
) -> Result<Response, PageError> {
    match invitations::enroll(
        &state.db,
        &user_ctx(user, headers),
        user.id,
        code,
        execution,
    )
    .await
    {
        Ok(_) => {
            // The invitation is fulfilled: the start page no longer needs to send them here.
            registration::take_return_target(&state.db, TenantId(tenant.id), user.id).await?;
            Ok(Redirect::to(&format!(
                "{}?done=enrolled",
                activity_path(&tenant.slug, code)
            ))
            .into_response())
        }
        Err(Error::Validation(errors)) => {
            render(
                state,
                tenant,
                code,
                Some(user),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /t/{tenant}/activities/{code}`: the detail page (R5). Arriving signed in with
/// `enroll=<execution>` — the way back from sign-in or registration — completes the enrollment,
/// unless the browser says the request came from another site.
pub async fn detail(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((slug, code)): Path<(String, String)>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, PageError> {
    let tenant = crate::auth::signin::tenant_by_slug(&state.db, &slug).await?;
    let user = viewer(&state, &session, &tenant).await?;
    let same_site = crate::web::csrf::check(&headers, &state.settings.public_url).is_ok();
    if let (Some(user), Some(execution)) = (&user, &q.enroll)
        && same_site
    {
        return enroll_and_show(&state, &tenant, &headers, user, &code, execution).await;
    }
    let notice = match q.done.as_deref() {
        Some("enrolled") => Some("enrolled"),
        _ => None,
    };
    render(
        &state,
        &tenant,
        &code,
        user.as_ref(),
        StatusCode::OK,
        notice,
        &[],
    )
    .await
}

/// The enroll button's form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EnrollForm {
    execution: String,
}

/// `POST /t/{tenant}/activities/{code}/enroll`: enrolls a signed-in user; anyone else goes
/// to the sign-in page (split or standard, with registration) and comes back here (R5).
pub async fn enroll(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((slug, code)): Path<(String, String)>,
    Form(f): Form<EnrollForm>,
) -> Result<Response, PageError> {
    let tenant = crate::auth::signin::tenant_by_slug(&state.db, &slug).await?;
    // The activity must exist before anyone is sent around.
    invitations::activity(&state.db, TenantId(tenant.id), &code, None).await?;
    match viewer(&state, &session, &tenant).await? {
        Some(user) => enroll_and_show(&state, &tenant, &headers, &user, &code, &f.execution).await,
        None => {
            let back = format!(
                "{}?enroll={}",
                activity_path(&tenant.slug, &code),
                encode(&f.execution)
            );
            Ok(
                Redirect::to(&format!("/t/{}/login?next={}", tenant.slug, encode(&back)))
                    .into_response(),
            )
        }
    }
}

/// The invitation form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    language: String,
    sent: Option<String>,
}

async fn invite_page(
    state: &AppState,
    access: &Permit,
    code: &str,
    status: StatusCode,
    form: &InviteForm,
    errors: &[FieldError],
) -> Result<Response, PageError> {
    let tenant = tenants::Entity::find_by_id(access.tenant().0)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))?;
    let view = invitations::activity(&state.db, access.tenant(), code, None).await?;
    let languages = access.tenant_context(&state.db).await?.languages.clone();
    let mut ctx = base(&tenant, None)?;
    ctx.insert("activity".into(), json!(view));
    ctx.insert(
        "link".into(),
        json!(invitations::invitation_link(
            &state.settings.public_url,
            &tenant.slug,
            &view.code
        )),
    );
    ctx.insert("languages".into(), json!(languages));
    ctx.insert("email".into(), json!(form.email));
    ctx.insert("sent".into(), json!(form.sent.is_some()));
    ctx.insert("errors".into(), json!(errors));
    Ok(Page::new(status, "portal/invite.html", Value::Object(ctx))?.into_response())
}

/// `GET /t/{tenant}/backoffice/learning-activities/{code}/invite`: the link to copy, and a
/// form to mail it (R5).
pub async fn invite_form(
    State(state): State<AppState>,
    access: Permit,
    Path((_slug, code)): Path<(String, String)>,
    Query(q): Query<InviteForm>,
) -> Result<Response, PageError> {
    invite_page(&state, &access, &code, StatusCode::OK, &q, &[]).await
}

/// `POST /t/{tenant}/backoffice/learning-activities/{code}/invite`: queues the invitation
/// mail (sent by the worker).
pub async fn invite_submit(
    State(state): State<AppState>,
    access: Permit,
    Path((slug, code)): Path<(String, String)>,
    Form(f): Form<InviteForm>,
) -> Result<Response, PageError> {
    let language = Some(f.language.as_str()).filter(|l| !l.is_empty());
    match invitations::invite(&state, &access, &code, &f.email, language).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/t/{slug}/backoffice/learning-activities/{code}/invite?sent=1"
        ))
        .into_response()),
        Err(Error::Validation(errors)) => {
            invite_page(
                &state,
                &access,
                &code,
                StatusCode::UNPROCESSABLE_ENTITY,
                &f,
                &errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
