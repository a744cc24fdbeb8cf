//! Registration pages (R2–R6): the form with the fields the tenant switches on, a self-hosted
//! check question (nothing reaches a third party), the thank-you page that says what happens
//! next, and the e-mail confirmation (a button, so mail scanners that open links do not use
//! the single-use link up).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tower_sessions::Session;
use uuid::Uuid;

use super::{base, encode};
use crate::app::AppState;
use crate::auth::recovery::LinkProblem;
use crate::auth::signin::tenant_by_slug;
use crate::domain::ctx::{Actor, ActorKind, Ctx, Source};
use crate::domain::registration::{self, Next, RegistrationForm, choices};
use crate::domain::return_target::safe_next;
use crate::error::{Error, FieldError};
use crate::store::TenantId;
use crate::store::entity::tenants;
use crate::tenancy::Tenant;
use crate::web::pages::{Page, PageError};

const CAPTCHA_KEY: &str = "roster.portal.captcha";

/// The check question the form showed, kept in the visitor's session.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Captcha {
    tenant: Uuid,
    answer: String,
}

/// A new check question for this session: its text ("3 + 4").
async fn new_captcha(session: &Session, tenant: &tenants::Model) -> Result<String, Error> {
    let (a, b) = {
        let mut rng = rand::rng();
        (rng.random_range(2..10u32), rng.random_range(2..10u32))
    };
    session
        .insert(
            CAPTCHA_KEY,
            Captcha {
                tenant: tenant.id,
                answer: (a + b).to_string(),
            },
        )
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("session store: {e}")))?;
    Ok(format!("{a} + {b}"))
}

/// The registrant as the domain records them: no account yet.
fn ctx_of(tenant: &tenants::Model, headers: &HeaderMap) -> Ctx {
    Ctx {
        tenant: TenantId(tenant.id),
        actor: Actor {
            kind: ActorKind::System,
            id: None,
            label: "self-registration".into(),
        },
        source: Source::Web,
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

fn login_url(slug: &str, next: Option<&str>) -> String {
    match next {
        Some(n) => format!("/t/{slug}/login?next={}", encode(n)),
        None => format!("/t/{slug}/login"),
    }
}

/// Query of the form and thank-you pages.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    step: Option<String>,
}

async fn page(
    state: &AppState,
    session: &Session,
    tenant: &tenants::Model,
    status: StatusCode,
    values: &Map<String, Value>,
    errors: &[FieldError],
    next: Option<String>,
) -> Result<Response, PageError> {
    let context = Tenant::from_row(tenant)?;
    let settings = &context.settings;
    if !settings.registration.enabled {
        return Err(Error::NotFound("registration".into()).into());
    }
    let reg = &settings.registration;
    let captcha = if reg.fields.captcha.enabled {
        Some(new_captcha(session, tenant).await?)
    } else {
        None
    };
    let (orgs, units) = choices(&state.db, TenantId(tenant.id)).await?;
    let languages = &context.languages;
    let mut by_field: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in errors {
        by_field.entry(&e.field).or_default().push(&e.message);
    }
    let mut ctx = base(tenant, None)?;
    ctx.insert("fields".into(), json!(reg.fields));
    ctx.insert(
        "allowed_domains".into(),
        json!(reg.allowed_domains.join(", ")),
    );
    ctx.insert("privacy_policy_url".into(), json!(reg.privacy_policy_url));
    ctx.insert("organisations".into(), json!(orgs));
    ctx.insert("units".into(), json!(units));
    ctx.insert("languages".into(), json!(languages));
    ctx.insert("captcha".into(), json!(captcha));
    ctx.insert("values".into(), Value::Object(values.clone()));
    ctx.insert("errors".into(), json!(by_field));
    ctx.insert("error_list".into(), json!(errors));
    ctx.insert("next".into(), json!(next));
    ctx.insert(
        "action".into(),
        json!(format!("/t/{}/register", tenant.slug)),
    );
    ctx.insert(
        "login_url".into(),
        json!(login_url(&tenant.slug, next.as_deref())),
    );
    Ok(Page::new(status, "portal/register.html", Value::Object(ctx))?.into_response())
}

/// `GET /t/{tenant}/register`: the registration form (R2); `next` is the invitation's
/// return target (R5), kept only inside the tenant.
pub async fn form(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let tenant = tenant_by_slug(&state.db, &slug).await?;
    let next = safe_next(&tenant.slug, q.next.as_deref());
    page(
        &state,
        &session,
        &tenant,
        StatusCode::OK,
        &Map::new(),
        &[],
        next,
    )
    .await
}

/// `POST /t/{tenant}/register`: registers, or shows the form again with one message per bad
/// field (422).
pub async fn submit(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let tenant = tenant_by_slug(&state.db, &slug).await?;
    let mut values = Map::new();
    let mut properties = BTreeMap::new();
    for (k, v) in pairs {
        if let Some(name) = k.strip_prefix("property.") {
            properties.insert(name.to_owned(), v.clone());
        }
        values.insert(k, json!(v));
    }
    let mut form: RegistrationForm =
        serde_json::from_value(Value::Object(values.clone())).unwrap_or_default();
    form.properties = properties;
    let next = safe_next(&tenant.slug, values.get("next").and_then(Value::as_str));
    let expected: Option<Captcha> = session
        .remove(CAPTCHA_KEY)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("session store: {e}")))?;
    let expected = expected.filter(|c| c.tenant == tenant.id).map(|c| c.answer);
    let ctx = ctx_of(&tenant, &headers);
    match registration::register(&state.db, &ctx, &form, expected.as_deref(), next.as_deref()).await
    {
        Ok(done) => {
            let step = match done.next {
                Next::SignIn => "sign_in",
                Next::SetPassword => "set_password",
                Next::ConfirmEmail => "confirm_email",
                Next::AwaitApproval => "await_approval",
            };
            let mut target = format!("/t/{}/register/thanks?step={step}", tenant.slug);
            if let Some(n) = &done.return_to {
                target.push_str(&format!("&next={}", encode(n)));
            }
            Ok(Redirect::to(&target).into_response())
        }
        Err(Error::Validation(errors)) => {
            values.remove("password");
            values.remove("password_repeat");
            values.remove("captcha");
            page(
                &state,
                &session,
                &tenant,
                StatusCode::UNPROCESSABLE_ENTITY,
                &values,
                &errors,
                next,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /t/{tenant}/register/thanks?step=…`: the thank-you page (R3, R5).
pub async fn thanks(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<Page, PageError> {
    let tenant = tenant_by_slug(&state.db, &slug).await?;
    let known = ["sign_in", "set_password", "confirm_email", "await_approval"];
    let step = q
        .step
        .as_deref()
        .filter(|s| known.contains(s))
        .unwrap_or("sign_in");
    let next = safe_next(&tenant.slug, q.next.as_deref());
    let mut ctx = base(&tenant, None)?;
    ctx.insert("step".into(), json!(step));
    ctx.insert("returns".into(), json!(next.is_some()));
    ctx.insert(
        "login_url".into(),
        json!(login_url(&tenant.slug, next.as_deref())),
    );
    Ok(Page::ok("portal/thanks.html", Value::Object(ctx))?)
}

/// Query and form of the confirmation page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    token: String,
}

/// `GET /t/{tenant}/register/confirm?token=…`: a button that confirms (the link itself
/// changes nothing, so a mail scanner opening it does not use it up).
pub async fn confirm_form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<TokenForm>,
) -> Result<Page, PageError> {
    let tenant = tenant_by_slug(&state.db, &slug).await?;
    let mut ctx = base(&tenant, None)?;
    ctx.insert("token".into(), json!(q.token));
    ctx.insert(
        "action".into(),
        json!(format!("/t/{}/register/confirm", tenant.slug)),
    );
    Ok(Page::ok("portal/confirm.html", Value::Object(ctx))?)
}

/// `POST /t/{tenant}/register/confirm`: uses the link (R3): once, before it expires.
pub async fn confirm_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<TokenForm>,
) -> Result<Page, PageError> {
    let tenant = tenant_by_slug(&state.db, &slug).await?;
    let ctx = ctx_of(&tenant, &headers);
    let mut page_ctx = base(&tenant, None)?;
    match registration::confirm(&state.db, &ctx, &f.token).await? {
        Ok(done) => {
            let next = safe_next(&tenant.slug, done.return_to.as_deref());
            page_ctx.insert("done".into(), json!(true));
            page_ctx.insert("set_password".into(), json!(done.set_password_mailed));
            page_ctx.insert(
                "login_url".into(),
                json!(login_url(&tenant.slug, next.as_deref())),
            );
            Ok(Page::ok("portal/confirm.html", Value::Object(page_ctx))?)
        }
        Err(problem) => {
            let (status, code) = match problem {
                LinkProblem::Invalid => (StatusCode::NOT_FOUND, "invalid"),
                LinkProblem::Used => (StatusCode::GONE, "used"),
                LinkProblem::Expired => (StatusCode::GONE, "expired"),
            };
            page_ctx.insert("problem".into(), json!(code));
            page_ctx.insert("login_url".into(), json!(login_url(&tenant.slug, None)));
            Ok(Page::new(
                status,
                "portal/confirm.html",
                Value::Object(page_ctx),
            )?)
        }
    }
}
