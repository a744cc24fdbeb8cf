//! J2: the mails of the registration flows, sent by the job worker (never inline): the
//! confirmation link, the approval request to each approver in scope, the outcome, and the
//! welcome mail. Rendered from `templates/mail/<lang>/<name>.txt` in the recipient's language,
//! from the tenant's own sender when its descriptor names one.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::state;
use crate::app::AppState;
use crate::auth::links::{self, Holder, Purpose};
use crate::auth::principal::{Principal, PrincipalKind};
use crate::authz::Right;
use crate::error::Error;
use crate::store::TenantId;
use crate::store::entity::{backoffice_accounts, jobs, role_assignments, roles, tenants, users};
use crate::tenancy::Tenant;

/// The tenant's sender (`mail.from_name` / `mail.from_address`), when it has one.
pub fn sender_of(tenant: &tenants::Model) -> crate::Result<Option<String>> {
    let mail = Tenant::from_row(tenant)?.settings.mail;
    let Some(address) = mail.from_address else {
        return Ok(None);
    };
    Ok(Some(match mail.from_name {
        Some(name) => format!("\"{}\" <{address}>", name.replace('"', "")),
        None => address,
    }))
}

/// Renders `template` in `language` and hands it to the mailer.
pub async fn send(
    state: &AppState,
    tenant: &tenants::Model,
    to: &str,
    language: &str,
    template: &str,
    context: Value,
) -> crate::Result<()> {
    let rendered = crate::mail::render_for(tenant, template, language, context)?;
    state
        .mailer
        .send(crate::mail::Mail {
            to: to.to_owned(),
            from: sender_of(tenant)?,
            subject: rendered.subject,
            text: rendered.text,
            attachments: vec![],
        })
        .await?;
    Ok(())
}

/// The tenant and user a registration job is about.
async fn subject(
    state: &AppState,
    job: &jobs::Model,
) -> crate::Result<(tenants::Model, users::Model)> {
    let tenant_id = job
        .tenant_id
        .ok_or_else(|| Error::BadRequest("registration mail without tenant".into()))?;
    let tenant = tenants::Entity::find_by_id(tenant_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("tenant".into()))?;
    let user_id = job
        .payload
        .get("user_id")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Uuid>().ok())
        .ok_or_else(|| Error::BadRequest("registration mail names no user".into()))?;
    let user = TenantId(tenant.id)
        .find_by_id::<users::Entity>(user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound("user".into()))?;
    Ok((tenant, user))
}

fn language_of(user: &users::Model, tenant: &tenants::Model) -> String {
    user.language
        .clone()
        .unwrap_or_else(|| tenant.default_language.clone())
}

fn base(state: &AppState, tenant: &tenants::Model, user: &users::Model) -> Value {
    json!({
        "tenant_name": tenant.name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "login": user.login,
        "login_url": format!("{}/t/{}/login", state.settings.public_url, tenant.slug),
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

/// Job `mail.registration_confirm`: a fresh single-use confirmation link (R3), valid for the
/// tenant's `link_valid_hours`. Nothing is sent once the address is confirmed.
pub async fn send_confirmation_job(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    let (tenant, user) = subject(state, job).await?;
    let Some(email) = user.email.clone() else {
        return Ok(());
    };
    if user.registration_state != state::PENDING_CONFIRMATION {
        return Ok(());
    }
    let hours = Tenant::from_row(&tenant)?
        .settings
        .registration
        .link_valid_hours;
    let issued = links::issue(
        &state.db,
        TenantId(tenant.id),
        Purpose::EmailConfirmation,
        Holder::User(user.id),
        Duration::hours(i64::from(hours)),
        None,
    )
    .await?;
    let context = with(
        base(state, &tenant, &user),
        json!({
            "link": links::url(state, &tenant.slug, Purpose::EmailConfirmation, &issued.token),
            "expires": issued.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }),
    );
    send(
        state,
        &tenant,
        &email,
        &language_of(&user, &tenant),
        "registration_confirm",
        context,
    )
    .await
}

/// Job `mail.registration_welcome`: the account is ready (flow `immediate`, password chosen).
pub async fn send_welcome_job(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    let (tenant, user) = subject(state, job).await?;
    let Some(email) = user.email.clone() else {
        return Ok(());
    };
    let context = base(state, &tenant, &user);
    send(
        state,
        &tenant,
        &email,
        &language_of(&user, &tenant),
        "registration_welcome",
        context,
    )
    .await
}

/// Job `mail.registration_outcome`: approved or rejected (with the approver's reason).
pub async fn send_outcome_job(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    let (tenant, user) = subject(state, job).await?;
    let Some(email) = user.email.clone() else {
        return Ok(());
    };
    let approved = job.payload.get("outcome").and_then(Value::as_str) == Some("approved");
    let context = with(
        base(state, &tenant, &user),
        json!({
            "reason": job.payload.get("reason").cloned().unwrap_or(Value::Null),
            "password_link_follows": user.password_hash.is_none(),
        }),
    );
    let template = if approved {
        "registration_approved"
    } else {
        "registration_rejected"
    };
    send(
        state,
        &tenant,
        &email,
        &language_of(&user, &tenant),
        template,
        context,
    )
    .await
}

/// R3: the back-office accounts that may approve `user`: holders of the tenant's approver
/// role (or, without one, of any role granting `approve_registrations`) whose scope of that
/// right reaches the user, active and with an e-mail address.
pub async fn approvers_of(
    state: &AppState,
    tenant: &tenants::Model,
    user: &users::Model,
) -> crate::Result<Vec<backoffice_accounts::Model>> {
    let t = TenantId(tenant.id);
    let approver_role = Tenant::from_row(tenant)?
        .settings
        .registration
        .approver_role;
    let role_ids: Vec<Uuid> = match approver_role {
        Some(code) => t
            .find::<roles::Entity>()
            .filter(roles::Column::Code.eq(code))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect(),
        None => {
            use crate::store::entity::role_rights;
            t.find::<role_rights::Entity>()
                .filter(role_rights::Column::Right.eq(Right::ApproveRegistrations.as_str()))
                .all(&state.db)
                .await?
                .into_iter()
                .map(|r| r.role_id)
                .collect()
        }
    };
    let holders: Vec<Uuid> = t
        .find::<role_assignments::Entity>()
        .filter(role_assignments::Column::RoleId.is_in(role_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|a| a.backoffice_account_id)
        .collect();
    let accounts = t
        .find::<backoffice_accounts::Entity>()
        .filter(backoffice_accounts::Column::Id.is_in(holders))
        .filter(backoffice_accounts::Column::Active.eq(true))
        .all(&state.db)
        .await?;
    let mut reach = Vec::new();
    for account in accounts {
        let principal = Principal {
            tenant_id: tenant.id,
            tenant_slug: tenant.slug.clone(),
            kind: PrincipalKind::Backoffice,
            id: account.id,
            login: account.login.clone(),
            must_change_password: false,
            via_token: false,
        };
        let scope =
            crate::authz::permit::scope_for(&state.db, &principal, Right::ApproveRegistrations)
                .await?;
        let in_scope = t
            .find_by_id::<users::Entity>(user.id)
            .filter(scope.users_condition())
            .one(&state.db)
            .await?
            .is_some();
        if in_scope && account.email.is_some() {
            reach.push(account);
        }
    }
    Ok(reach)
}

/// Job `mail.approval_request`: tells every approver in scope that a registration waits.
pub async fn send_approval_request_job(state: &AppState, job: &jobs::Model) -> crate::Result<()> {
    let (tenant, user) = subject(state, job).await?;
    if user.registration_state != state::PENDING_APPROVAL {
        return Ok(());
    }
    let approvers = approvers_of(state, &tenant, &user).await?;
    if approvers.is_empty() {
        tracing::warn!(tenant.slug = %tenant.slug, user.id = %user.id, "registration waits, but no approver reaches it");
    }
    for a in approvers {
        let Some(email) = a.email.clone() else {
            continue;
        };
        let context = json!({
            "tenant_name": tenant.name,
            "approver_first_name": a.first_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "login": user.login,
            "email": user.email,
            "queue_url": format!("{}/t/{}/backoffice/approvals", state.settings.public_url, tenant.slug),
        });
        let language = a
            .language
            .clone()
            .unwrap_or_else(|| tenant.default_language.clone());
        send(
            state,
            &tenant,
            &email,
            &language,
            "approval_request",
            context,
        )
        .await?;
    }
    Ok(())
}
