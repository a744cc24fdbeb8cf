//! Self-registration of externals (R2–R6): the form checked against the tenant's descriptor
//! ([`fields`]), the account created in the state its flow says (R3: active at once, waiting
//! for e-mail confirmation, or waiting for approval), the confirmation link, the approval
//! queue ([`approval`]) and the mails of each step ([`mails`], sent by jobs, never inline).
//! Every change is audited (X3) in the transaction that makes it.
//!
//! The return target of an invitation (R5) is kept with the registrant
//! (`registration_data.return_to`), so it survives confirmation and approval, days later and on
//! another device; it is checked to stay inside the tenant's own portal.

pub mod approval;
pub mod fields;
pub mod mails;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

pub use fields::{Checked, RegistrationForm, Rules, domain_allowed};

use crate::auth::links::{self, Purpose};
use crate::auth::recovery::LinkProblem;
use crate::domain::audit::{self, Change};
use crate::domain::ctx::Ctx;
use crate::domain::return_target::safe_next;
use crate::domain::users::{queue_set_password_mails, suggest_login, taken_with_prefixes};
use crate::error::{Error, FieldError};
use crate::jobs::{self, NewJob};
use crate::store::TenantId;
use crate::store::entity::{
    catalogs, extended_properties, organisation_units, organisations, role_assignments, roles,
    single_use_tokens, tenants, user_catalogs, users,
};
use crate::tenancy::Tenant;
use crate::tenancy::descriptor::{Registration, RegistrationFlow};

/// `users.registration_state` values (R3).
pub mod state {
    /// May sign in.
    pub const ACTIVE: &str = "active";
    /// Waits for the e-mail confirmation link.
    pub const PENDING_CONFIRMATION: &str = "pending_confirmation";
    /// Waits for an approver.
    pub const PENDING_APPROVAL: &str = "pending_approval";
    /// Refused by an approver.
    pub const REJECTED: &str = "rejected";
}

/// Job kinds of the registration mails.
pub mod job {
    /// The confirmation link to the registrant.
    pub const CONFIRM: &str = "mail.registration_confirm";
    /// "A registration waits for you" to each approver in scope.
    pub const APPROVAL_REQUEST: &str = "mail.approval_request";
    /// Approved or rejected, to the registrant.
    pub const OUTCOME: &str = "mail.registration_outcome";
    /// "Your account is ready" to a registrant who chose a password (flow: immediate).
    pub const WELCOME: &str = "mail.registration_welcome";
}

/// What the registrant is told after sending the form (R3, R5: the thank-you page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Next {
    /// The account is active; sign in (with the chosen password).
    SignIn,
    /// The account is active; a set-password link was mailed.
    SetPassword,
    /// A confirmation link was mailed.
    ConfirmEmail,
    /// An approver decides; the registrant hears by mail.
    AwaitApproval,
}

/// A registration that was accepted.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The new user.
    pub user_id: Uuid,
    /// Their login name.
    pub login: String,
    /// What happens next.
    pub next: Next,
    /// The return target kept (R5).
    pub return_to: Option<String>,
}

/// Codes of the tenant's organisations and units (for the form's choices).
pub async fn choices(
    db: &DatabaseConnection,
    tenant: TenantId,
) -> crate::Result<(Vec<(String, String)>, Vec<(String, String)>)> {
    let orgs = tenant
        .find::<organisations::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.code, o.name))
        .collect();
    let units = tenant
        .find::<organisation_units::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    Ok((orgs, units))
}

/// R2–R6: registers a new external user of `tenant` from `form`. `captcha_expected` is the
/// answer of the check question the form showed; `return_to` the invitation's return target
/// (R5), kept only when it stays inside the tenant. Bad fields answer with
/// [`Error::Validation`], one entry per field.
pub async fn register(
    db: &DatabaseConnection,
    ctx: &Ctx,
    form: &RegistrationForm,
    captcha_expected: Option<&str>,
    return_to: Option<&str>,
) -> crate::Result<Registered> {
    let tenant = tenants::Entity::find_by_id(ctx.tenant.0)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))?;
    let context = Tenant::from_row(&tenant)?;
    let reg = &context.settings.registration;
    if !reg.enabled {
        return Err(Error::NotFound("registration".into()));
    }
    let (orgs, units) = choices(db, ctx.tenant).await?;
    let org_codes: Vec<String> = orgs.into_iter().map(|(c, _)| c).collect();
    let unit_codes: Vec<String> = units.into_iter().map(|(c, _)| c).collect();
    let rules = Rules {
        registration: reg,
        policy: &context.settings.password_policy,
        languages: &context.languages,
        organisations: &org_codes,
        units: &unit_codes,
        captcha_expected,
        today: Utc::now().date_naive(),
    };
    let mut checked = fields::check(form, &rules).map_err(Error::Validation)?;
    checked.properties.retain(|_, v| !v.is_empty());
    let return_to = safe_next(&tenant.slug, return_to);
    let mut problems = Vec::new();
    // U2: a taken login name is reported with a free suggestion.
    let base = checked.login.as_str().to_owned();
    let taken = taken_with_prefixes(db, std::slice::from_ref(&base)).await?;
    if taken.contains(&base) {
        let free = suggest_login(&base, |c| taken.contains(c));
        problems.push(FieldError {
            field: "login".into(),
            message: format!("login name `{base}` is taken; `{free}` is free"),
        });
    }
    let duplicate = ctx
        .tenant
        .find::<users::Entity>()
        .filter(users::Column::Email.eq(checked.email.as_str()))
        .one(db)
        .await?;
    if duplicate.is_some() {
        problems.push(FieldError {
            field: "email".into(),
            message: "an account with this e-mail address exists already; use \"Forgot your password?\" on the sign-in page".into(),
        });
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let hash = match &checked.password {
        Some(p) => Some(crate::auth::password::hash(p.clone()).await?),
        None => None,
    };
    create(db, ctx, &tenant, reg, checked, hash, return_to).await
}

async fn create(
    db: &DatabaseConnection,
    ctx: &Ctx,
    tenant: &tenants::Model,
    reg: &Registration,
    checked: Checked,
    hash: Option<String>,
    return_to: Option<String>,
) -> crate::Result<Registered> {
    let t = ctx.tenant;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let org_id = match &checked.organisation {
        Some(code) => t
            .find::<organisations::Entity>()
            .filter(organisations::Column::Code.eq(code.as_str()))
            .one(db)
            .await?
            .map(|o| o.id),
        None => None,
    };
    let unit_id = match &checked.organisation_unit {
        Some(code) => t
            .find::<organisation_units::Entity>()
            .filter(organisation_units::Column::Code.eq(code.as_str()))
            .one(db)
            .await?
            .map(|u| u.id),
        None => None,
    };
    let state = match reg.flow {
        RegistrationFlow::Immediate => state::ACTIVE,
        RegistrationFlow::EmailConfirmation => state::PENDING_CONFIRMATION,
        RegistrationFlow::Approval => state::PENDING_APPROVAL,
    };
    let mut data = serde_json::to_value(&checked.data).map_err(anyhow::Error::from)?;
    if let (Value::Object(map), Some(target)) = (&mut data, &return_to) {
        map.insert("return_to".into(), json!(target));
    }
    let has_password = hash.is_some();
    let login = checked.login.as_str().to_owned();
    let txn = crate::store::begin_write(db).await?;
    crate::domain::quota::ensure_seats(&txn, t, 1).await?;
    users::ActiveModel {
        id: Set(id),
        tenant_id: Set(t.0),
        login: Set(login.clone()),
        external_id_scope: Set(String::new()),
        first_name: Set(checked.first_name.as_str().to_owned()),
        middle_name: Set(checked.middle_name.clone()),
        last_name: Set(checked.last_name.as_str().to_owned()),
        email: Set(Some(checked.email.as_str().to_owned())),
        organisation_unit_id: Set(unit_id),
        organisation_id: Set(org_id),
        personnel_number: Set(checked.personnel_number.clone()),
        language: Set(checked.language.clone()),
        privacy_policy_accepted_at: Set(reg.privacy_policy_url.as_ref().map(|_| now)),
        active: Set(true),
        password_hash: Set(hash),
        must_change_password: Set(false),
        registration_state: Set(state.to_owned()),
        self_registered: Set(true),
        registration_data: Set(Some(data.clone())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let catalog_rows = t
        .find::<catalogs::Entity>()
        .filter(catalogs::Column::Code.is_in(reg.catalogs.iter().map(String::as_str)))
        .all(&txn)
        .await?;
    for c in &catalog_rows {
        user_catalogs::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(t.0),
            user_id: Set(id),
            catalog_id: Set(c.id),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let role_code = reg.role.clone().unwrap_or_else(|| "learner".into());
    if let Some(role) = t
        .find::<roles::Entity>()
        .filter(roles::Column::Code.eq(role_code.as_str()))
        .one(&txn)
        .await?
    {
        role_assignments::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(t.0),
            role_id: Set(role.id),
            user_id: Set(Some(id)),
            backoffice_account_id: Set(None),
            organisation_unit_id: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    for (name, value) in &checked.properties {
        extended_properties::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(t.0),
            user_id: Set(id),
            name: Set(name.clone()),
            value: Set(value.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "user",
            entity_id: Some(id),
            action: "self_register",
            before: None,
            after: Some(json!({
                "login": login,
                "registration_state": state,
                "flow": reg.flow,
                "catalogs": reg.catalogs,
                "organisation": checked.organisation,
                "organisation_unit": checked.organisation_unit,
                "return_to": return_to,
            })),
        },
    )
    .await?;
    let next = match reg.flow {
        RegistrationFlow::Immediate if has_password => {
            queue(&txn, t, job::WELCOME, id, json!({ "user_id": id })).await?;
            Next::SignIn
        }
        RegistrationFlow::Immediate => {
            queue_set_password_mails(&txn, t, &[id]).await?;
            Next::SetPassword
        }
        RegistrationFlow::EmailConfirmation => {
            queue(&txn, t, job::CONFIRM, id, json!({ "user_id": id })).await?;
            Next::ConfirmEmail
        }
        RegistrationFlow::Approval => {
            queue(&txn, t, job::APPROVAL_REQUEST, id, json!({ "user_id": id })).await?;
            Next::AwaitApproval
        }
    };
    txn.commit().await?;
    tracing::info!(tenant.slug = %tenant.slug, user.id = %id, "self-registration");
    Ok(Registered {
        user_id: id,
        login,
        next,
        return_to,
    })
}

/// Queues a mail job for `user`, deduplicated per kind and user.
async fn queue<C: sea_orm::ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    kind: &'static str,
    user: Uuid,
    payload: Value,
) -> crate::Result<()> {
    let mut job = NewJob::now(tenant, kind, payload);
    job.dedup_key = Some(user.to_string());
    jobs::enqueue(db, job).await?;
    Ok(())
}

/// An address confirmed through its link (R3).
#[derive(Debug, Clone)]
pub struct Confirmed {
    /// The user.
    pub user_id: Uuid,
    /// Their login name.
    pub login: String,
    /// Whether a set-password link was mailed (no password was chosen on the form).
    pub set_password_mailed: bool,
    /// The invitation's return target (R5).
    pub return_to: Option<String>,
}

/// The return target kept with a registrant, if any.
pub fn return_target_of(user: &users::Model) -> Option<String> {
    user.registration_data
        .as_ref()
        .and_then(|d| d.get("return_to"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// R3: confirms a registrant's address with the link from the confirmation mail. A link works
/// once and expires after the tenant's `link_valid_hours`; each problem is told apart.
pub async fn confirm(
    db: &DatabaseConnection,
    ctx: &Ctx,
    token: &str,
) -> crate::Result<Result<Confirmed, LinkProblem>> {
    let t = ctx.tenant;
    let Some(row) = t
        .find::<single_use_tokens::Entity>()
        .filter(single_use_tokens::Column::TokenHash.eq(links::token_hash(token)))
        .filter(single_use_tokens::Column::Purpose.eq(Purpose::EmailConfirmation.as_str()))
        .one(db)
        .await?
    else {
        return Ok(Err(LinkProblem::Invalid));
    };
    if row.used_at.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if row.expires_at <= Utc::now() {
        return Ok(Err(LinkProblem::Expired));
    }
    let user = match row.user_id {
        Some(id) => t.find_by_id::<users::Entity>(id).one(db).await?,
        None => None,
    };
    let Some(user) = user else {
        return Ok(Err(LinkProblem::Invalid));
    };
    let txn = crate::store::begin_write(db).await?;
    match links::consume(&txn, t, Purpose::EmailConfirmation, token).await {
        Ok(_) => {}
        Err(Error::BadRequest(_)) => return Ok(Err(LinkProblem::Used)),
        Err(e) => return Err(e),
    }
    let before = user.registration_state.clone();
    let needs_password = user.password_hash.is_none();
    let return_to = return_target_of(&user);
    let (user_id, login) = (user.id, user.login.clone());
    let mut am = user.into_active_model();
    am.email_confirmed_at = Set(Some(Utc::now()));
    if before == state::PENDING_CONFIRMATION {
        am.registration_state = Set(state::ACTIVE.to_owned());
    }
    am.updated_at = Set(Utc::now());
    am.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "user",
            entity_id: Some(user_id),
            action: "email_confirmed",
            before: Some(json!({ "registration_state": before })),
            after: Some(json!({ "registration_state": state::ACTIVE })),
        },
    )
    .await?;
    if needs_password {
        queue_set_password_mails(&txn, t, &[user_id]).await?;
    }
    txn.commit().await?;
    Ok(Ok(Confirmed {
        user_id,
        login,
        set_password_mailed: needs_password,
        return_to,
    }))
}

/// R5: takes the return target kept with `user` (once: it is cleared), so the first sign-in
/// after registration lands on the page of the invitation.
pub async fn take_return_target(
    db: &DatabaseConnection,
    tenant: TenantId,
    user_id: Uuid,
) -> crate::Result<Option<String>> {
    let Some(user) = tenant.find_by_id::<users::Entity>(user_id).one(db).await? else {
        return Ok(None);
    };
    let Some(target) = return_target_of(&user) else {
        return Ok(None);
    };
    let mut data = user.registration_data.clone().unwrap_or(Value::Null);
    if let Value::Object(map) = &mut data {
        map.remove("return_to");
    }
    let mut am = user.into_active_model();
    am.registration_data = Set(Some(data));
    am.update(db).await?;
    Ok(Some(target))
}
