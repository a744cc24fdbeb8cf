//! Choosing a password (R7, U3, B6): the forced change after a temporary password, setting one
//! through a set-password or reset link, and asking for a reset link. Free of HTTP; every change
//! is audited (X3) in the transaction that makes it, without the password or its hash.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, QueryFilter};
use serde::Serialize;
use serde_json::json;

use super::account::{self, Account};
use super::links::{self, Purpose};
use super::principal::{Principal, PrincipalKind};
use super::signin::{MAX_LOGIN_CHARS, MAX_PASSWORD_CHARS, password_matches};
use super::throttle::{Keys, Limits, Throttle};
use crate::app::AppState;
use crate::domain::audit::{self, Change};
use crate::domain::ctx::{Actor, ActorKind, Ctx, Source};
use crate::error::Error;
use crate::jobs::{self, NewJob};
use crate::store::TenantId;
use crate::store::entity::{single_use_tokens, tenants};
use crate::tenancy::descriptor::PasswordPolicy;

/// A reason a new password is not accepted; templates turn the code into text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PasswordProblem {
    /// Shorter than the tenant's minimum.
    TooShort {
        /// The minimum, in characters.
        min: u32,
    },
    /// Longer than [`MAX_PASSWORD_CHARS`].
    TooLong {
        /// The maximum, in characters.
        max: usize,
    },
    /// The policy wants a letter.
    NeedsLetter,
    /// The policy wants a digit.
    NeedsDigit,
    /// The policy wants a character that is neither letter nor digit.
    NeedsSymbol,
    /// The two new passwords differ.
    Mismatch,
    /// A forced change must choose a password other than the temporary one.
    SameAsCurrent,
}

/// R7: the tenant's password policy, from its one tenant context (a bad stored setting is an
/// error, not the default policy).
pub fn policy_of(tenant: &tenants::Model) -> crate::Result<PasswordPolicy> {
    Ok(crate::tenancy::Tenant::from_row(tenant)?
        .settings
        .password_policy)
}

/// R7: what is wrong with `new` (typed twice) under `policy`; empty when it is acceptable.
/// Lengths count characters, not bytes; the password is kept exactly as typed.
pub fn check_policy(policy: &PasswordPolicy, new: &str, repeat: &str) -> Vec<PasswordProblem> {
    let mut problems = Vec::new();
    let length = new.chars().count();
    if length < usize::try_from(policy.min_length).unwrap_or(usize::MAX) {
        problems.push(PasswordProblem::TooShort {
            min: policy.min_length,
        });
    }
    if length > MAX_PASSWORD_CHARS {
        problems.push(PasswordProblem::TooLong {
            max: MAX_PASSWORD_CHARS,
        });
    }
    if policy.require_letter && !new.chars().any(char::is_alphabetic) {
        problems.push(PasswordProblem::NeedsLetter);
    }
    if policy.require_digit && !new.chars().any(char::is_numeric) {
        problems.push(PasswordProblem::NeedsDigit);
    }
    if policy.require_symbol && new.chars().all(char::is_alphanumeric) {
        problems.push(PasswordProblem::NeedsSymbol);
    }
    if new != repeat {
        problems.push(PasswordProblem::Mismatch);
    }
    problems
}

/// A password change as typed on the form.
#[derive(Debug, Clone)]
pub struct NewPassword {
    /// The current (temporary) password; unused for links.
    pub current: String,
    /// The new password.
    pub new: String,
    /// The new password again.
    pub repeat: String,
}

/// Why a password change was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeRefusal {
    /// The current password is wrong (counted like a failed sign-in).
    WrongCurrent,
    /// Too many failures; try again after this long.
    Throttled(std::time::Duration),
    /// The new password is not acceptable.
    Invalid(Vec<PasswordProblem>),
}

fn ctx_of(account: &Account, source: Source, request_id: Option<String>) -> Ctx {
    Ctx {
        tenant: account.tenant,
        actor: Actor {
            kind: match account.kind {
                PrincipalKind::Backoffice => ActorKind::Backoffice,
                PrincipalKind::User => ActorKind::User,
            },
            id: Some(account.id),
            label: account.login.clone(),
        },
        source,
        request_id,
    }
}

/// U3, B6: the signed-in `principal` replaces its password, which clears the forced change.
pub async fn change_password(
    state: &AppState,
    throttle: &Throttle,
    tenant: &tenants::Model,
    principal: &Principal,
    change: NewPassword,
    source: Source,
    request_id: Option<String>,
) -> crate::Result<Result<(), ChangeRefusal>> {
    let Some(account) =
        account::by_id(&state.db, TenantId(tenant.id), principal.kind, principal.id)
            .await?
            .filter(|a| a.may_sign_in)
    else {
        return Err(Error::Unauthenticated);
    };
    throttle.attach(state.redis.as_ref());
    let limits = Limits::from(&state.settings.auth);
    let keys = Keys::new(tenant.id, account.kind, &account.login, None);
    if let Some(wait) = throttle.check(&limits, &keys).await {
        return Ok(Err(ChangeRefusal::Throttled(wait)));
    }
    if !password_matches(Some(&account), &change.current).await? {
        throttle.failed(&limits, &keys).await;
        return Ok(Err(ChangeRefusal::WrongCurrent));
    }
    let mut problems = check_policy(&policy_of(tenant)?, &change.new, &change.repeat);
    if change.new == change.current {
        problems.push(PasswordProblem::SameAsCurrent);
    }
    if !problems.is_empty() {
        return Ok(Err(ChangeRefusal::Invalid(problems)));
    }
    let hash = super::password::hash(change.new).await?;
    let ctx = ctx_of(&account, source, request_id);
    let txn = crate::store::begin_write(&state.db).await?;
    account::store_password(&txn, &account, hash).await?;
    audit::record(
        &txn,
        &ctx,
        Change {
            entity: account.audit_entity(),
            entity_id: Some(account.id),
            action: "password_change",
            before: Some(json!({ "must_change_password": account.must_change_password })),
            after: Some(json!({ "must_change_password": false })),
        },
    )
    .await?;
    txn.commit().await?;
    throttle.succeeded(&keys).await;
    tracing::info!(tenant.slug = %tenant.slug, account.id = %account.id, "password changed");
    Ok(Ok(()))
}

/// Why a link cannot be used; each has its own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkProblem {
    /// No such link (mistyped, another tenant's, or not a password link).
    Invalid,
    /// Already used (R7: links work once).
    Used,
    /// Past its expiry.
    Expired,
}

/// A usable password link and whose it is.
#[derive(Debug, Clone)]
pub struct LinkTarget {
    /// Set-password or reset.
    pub purpose: Purpose,
    /// The account whose password it sets.
    pub account: Account,
}

/// R7: what a set-password or reset link leads to, without using it.
pub async fn inspect_link(
    state: &AppState,
    tenant: TenantId,
    token: &str,
) -> crate::Result<Result<LinkTarget, LinkProblem>> {
    let Some(row) = tenant
        .find::<single_use_tokens::Entity>()
        .filter(single_use_tokens::Column::TokenHash.eq(links::token_hash(token)))
        .one(&state.db)
        .await?
    else {
        return Ok(Err(LinkProblem::Invalid));
    };
    let purpose = match row.purpose.as_str() {
        p if p == Purpose::SetPassword.as_str() => Purpose::SetPassword,
        p if p == Purpose::PasswordReset.as_str() => Purpose::PasswordReset,
        _ => return Ok(Err(LinkProblem::Invalid)),
    };
    if row.used_at.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if row.expires_at <= Utc::now() {
        return Ok(Err(LinkProblem::Expired));
    }
    let holder = match (row.backoffice_account_id, row.user_id) {
        (Some(id), _) => account::by_id(&state.db, tenant, PrincipalKind::Backoffice, id).await?,
        (None, Some(id)) => account::by_id(&state.db, tenant, PrincipalKind::User, id).await?,
        (None, None) => None,
    };
    Ok(match holder {
        Some(account) => Ok(LinkTarget { purpose, account }),
        None => Err(LinkProblem::Invalid),
    })
}

/// A password chosen through a link, as typed on the form.
#[derive(Debug, Clone, Copy)]
pub struct LinkPassword<'a> {
    /// The link's token.
    pub token: &'a str,
    /// The new password.
    pub new: &'a str,
    /// The new password again.
    pub repeat: &'a str,
}

/// Why a password was not set through a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetRefusal {
    /// The link cannot be used.
    Link(LinkProblem),
    /// The new password is not acceptable.
    Invalid(Vec<PasswordProblem>),
}

/// R7, U3: sets the password through a link, which is used up; every other open password link
/// of the account stops working, the forced change is cleared and the account's failure
/// counter reset (the owner proved they read its mail). Returns the account.
pub async fn set_password_by_link(
    state: &AppState,
    throttle: &Throttle,
    tenant_row: &tenants::Model,
    link: LinkPassword<'_>,
    source: Source,
    request_id: Option<String>,
) -> crate::Result<Result<Account, SetRefusal>> {
    throttle.attach(state.redis.as_ref());
    let tenant = TenantId(tenant_row.id);
    let LinkPassword { token, new, repeat } = link;
    let target = match inspect_link(state, tenant, token).await? {
        Ok(t) => t,
        Err(p) => return Ok(Err(SetRefusal::Link(p))),
    };
    let problems = check_policy(&policy_of(tenant_row)?, new, repeat);
    if !problems.is_empty() {
        return Ok(Err(SetRefusal::Invalid(problems)));
    }
    let account = target.account;
    let hash = super::password::hash(new.to_owned()).await?;
    let ctx = ctx_of(&account, source, request_id);
    let txn = crate::store::begin_write(&state.db).await?;
    match links::consume(&txn, tenant, target.purpose, token).await {
        Ok(_) => {}
        // Used by a concurrent request since we looked.
        Err(Error::BadRequest(_)) => return Ok(Err(SetRefusal::Link(LinkProblem::Used))),
        Err(e) => return Err(e),
    }
    account::store_password(&txn, &account, hash).await?;
    revoke_other_links(&txn, &account).await?;
    audit::record(
        &txn,
        &ctx,
        Change {
            entity: account.audit_entity(),
            entity_id: Some(account.id),
            action: "password_set",
            before: Some(json!({ "must_change_password": account.must_change_password })),
            after: Some(json!({ "must_change_password": false, "via": target.purpose.as_str() })),
        },
    )
    .await?;
    txn.commit().await?;
    throttle
        .succeeded(&Keys::new(tenant.0, account.kind, &account.login, None))
        .await;
    tracing::info!(account.id = %account.id, purpose = target.purpose.as_str(), "password set through link");
    Ok(Ok(account))
}

async fn revoke_other_links<C: sea_orm::ConnectionTrait>(
    db: &C,
    account: &Account,
) -> crate::Result<()> {
    let holder = match account.kind {
        PrincipalKind::Backoffice => single_use_tokens::Column::BackofficeAccountId.eq(account.id),
        PrincipalKind::User => single_use_tokens::Column::UserId.eq(account.id),
    };
    account
        .tenant
        .update_many::<single_use_tokens::Entity>()
        .col_expr(single_use_tokens::Column::UsedAt, Expr::value(Utc::now()))
        .filter(single_use_tokens::Column::UsedAt.is_null())
        .filter(
            Condition::any()
                .add(single_use_tokens::Column::Purpose.eq(Purpose::SetPassword.as_str()))
                .add(single_use_tokens::Column::Purpose.eq(Purpose::PasswordReset.as_str())),
        )
        .filter(holder)
        .exec(db)
        .await?;
    Ok(())
}

/// Reset mails per account within this many seconds: one (the rest join the queued job).
const RESET_MAIL_SECONDS: i64 = 300;

/// R7: asks for reset links for the accounts of `kind` whose login or e-mail is
/// `login_or_email`. The caller answers the same whatever happens; only accounts that may sign
/// in and have an address get a `mail.password_reset` job (sent by the worker, never inline).
/// Returns how many jobs were queued.
pub async fn request_reset(
    state: &AppState,
    tenant: TenantId,
    kind: PrincipalKind,
    login_or_email: &str,
) -> crate::Result<usize> {
    let wanted = login_or_email.trim();
    if wanted.is_empty() || wanted.chars().count() > MAX_LOGIN_CHARS {
        return Ok(0);
    }
    let accounts = account::by_login_or_email(&state.db, tenant, kind, wanted, 5).await?;
    let bucket = Utc::now().timestamp() / RESET_MAIL_SECONDS;
    let mut queued = 0;
    for a in accounts
        .iter()
        .filter(|a| a.may_sign_in && a.email.is_some())
    {
        let payload = match a.kind {
            PrincipalKind::Backoffice => json!({ "account_id": a.id }),
            PrincipalKind::User => json!({ "user_id": a.id }),
        };
        let mut job = NewJob::now(tenant, "mail.password_reset", payload);
        job.dedup_key = Some(format!("{}:{bucket}", a.id));
        jobs::enqueue(&state.db, job).await?;
        queued += 1;
    }
    tracing::info!(tenant.id = %tenant.0, queued, "password reset requested");
    Ok(queued)
}
