//! Back-office accounts (B1, B2, B5, B6): creation, activation, roles, catalog access and
//! temporary passwords. Every change is audited and, when it touches roles, moves the tenant's
//! policy version so every instance reloads its enforcer.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Change};
use crate::authz::grant::{self, Holdings};
use crate::authz::{Permit, Right};
use crate::error::{Error, FieldError};
use crate::jobs::{self, NewJob};
use crate::store::TenantId;
use crate::store::entity::{
    backoffice_accounts, catalog_access, catalogs, organisation_units, role_assignments, roles,
    users,
};

/// A role given to an account, anchored at a unit for unit-scoped roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleGrant {
    /// Role code.
    pub role: String,
    /// Organisation-unit code; required for `subtree` and `own_ou` roles.
    #[serde(default)]
    pub unit: Option<String>,
}

/// Fields of a new back-office account (B1).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewAccount {
    /// Login name, unique system-wide.
    pub login: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail (needed for resets).
    #[serde(default)]
    pub email: Option<String>,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<RoleGrant>,
    /// B4: catalog codes.
    #[serde(default)]
    pub catalogs: Vec<String>,
    /// B4: access to every catalog (overrides the list).
    #[serde(default)]
    pub all_catalogs: bool,
    /// B1: grants the Administrator role.
    #[serde(default)]
    pub is_administrator: bool,
    /// B1: role in the connected course system ("Moodle access").
    #[serde(default)]
    pub course_system_role: Option<String>,
}

/// Checks the B1 field rules, one entry per bad field.
fn check_fields(login: &str, first: &str, last: &str, email: Option<&str>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut bad = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    if login.is_empty() || login.chars().count() > 100 {
        bad("login", "must be 1 to 100 characters");
    }
    for (field, value) in [("first_name", first), ("last_name", last)] {
        if value.trim().is_empty() || value.chars().count() > 50 {
            bad(field, "must be 1 to 50 characters");
        }
    }
    if let Some(email) = email
        && !valid_email(email)
    {
        bad("email", "is not a valid e-mail address");
    }
    errors
}

/// U1 e-mail syntax: letters, digits and only `_ - . @`, one `@`, a dotted domain, ≤255.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 255
        && !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !domain.contains('*')
        && super::email_domain::DomainPattern::parse(domain).is_ok()
}

/// B2: what stands in the way of a new account with this login and e-mail.
async fn conflicts<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    login: &str,
    email: Option<&str>,
) -> crate::Result<()> {
    if let Some(existing) = backoffice_accounts::Entity::find()
        .filter(backoffice_accounts::Column::Login.eq(login))
        .one(db)
        .await?
    {
        if existing.tenant_id == tenant.0 && !existing.active {
            return Err(Error::Conflict(format!(
                "an inactive back-office account with login `{login}` exists (id {}); activate it instead of creating a new one",
                existing.id
            )));
        }
        return Err(Error::Conflict(format!("login `{login}` is already taken")));
    }
    let Some(email) = email else {
        return Ok(());
    };
    let same_email = tenant
        .find::<backoffice_accounts::Entity>()
        .filter(backoffice_accounts::Column::Email.eq(email))
        .all(db)
        .await?;
    if let Some(inactive) = same_email.iter().find(|a| !a.active) {
        return Err(Error::Conflict(format!(
            "an inactive back-office account (login `{}`, id {}) already uses this e-mail address; activate it instead of creating a new one",
            inactive.login, inactive.id
        )));
    }
    let portal = tenant
        .find::<users::Entity>()
        .filter(users::Column::Email.eq(email))
        .all(db)
        .await?;
    if portal
        .iter()
        .any(|u| same_email.iter().any(|a| a.user_id == Some(u.id)))
    {
        return Err(Error::Conflict(
            "a portal account and a back-office account are already linked with this e-mail address, so no new back-office account can be created with it".into(),
        ));
    }
    Ok(())
}

/// Resolves role grants to (role, unit) ids, checking kinds and anchors.
async fn resolve_grants<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    grants: &[RoleGrant],
    is_administrator: bool,
) -> crate::Result<Vec<(roles::Model, Option<Uuid>)>> {
    let all_roles: HashMap<String, roles::Model> = tenant
        .find::<roles::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.code.clone(), r))
        .collect();
    let units: HashMap<String, Uuid> = tenant
        .find::<organisation_units::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect();
    let mut out: Vec<(roles::Model, Option<Uuid>)> = Vec::new();
    let mut errors = Vec::new();
    for (i, g) in grants.iter().enumerate() {
        let field = format!("roles[{i}]");
        let Some(role) = all_roles.get(&g.role) else {
            errors.push(FieldError {
                field,
                message: format!("unknown role `{}`", g.role),
            });
            continue;
        };
        if role.kind != "backoffice" {
            errors.push(FieldError {
                field,
                message: format!("role `{}` is a portal role", g.role),
            });
            continue;
        }
        let unit = match (&g.unit, role.scope.as_str()) {
            (None, "subtree" | "own_ou") => {
                errors.push(FieldError {
                    field,
                    message: format!("role `{}` needs an organisation unit", g.role),
                });
                continue;
            }
            (Some(code), _) => match units.get(code) {
                Some(id) => Some(*id),
                None => {
                    errors.push(FieldError {
                        field,
                        message: format!("unknown organisation unit `{code}`"),
                    });
                    continue;
                }
            },
            (None, _) => None,
        };
        out.push((role.clone(), unit));
    }
    if is_administrator && !out.iter().any(|(r, _)| r.is_administrator) {
        // B1: "is administrator" grants the Administrator role.
        let mut admins: Vec<&roles::Model> = all_roles
            .values()
            .filter(|r| r.is_administrator && r.kind == "backoffice")
            .collect();
        admins.sort_by(|a, b| a.code.cmp(&b.code));
        match admins.first() {
            Some(r) => out.push(((*r).clone(), None)),
            None => errors.push(FieldError {
                field: "is_administrator".into(),
                message: "the tenant has no administrator role".into(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Validation(errors))
    }
}

/// B5: the tenant must keep an active administrator; refuses (409) when `account` is the last.
async fn keep_an_administrator<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    account: &backoffice_accounts::Model,
) -> crate::Result<()> {
    if !(account.is_administrator && account.active) {
        return Ok(());
    }
    let mut admins = tenant
        .find::<backoffice_accounts::Entity>()
        .filter(backoffice_accounts::Column::IsAdministrator.eq(true))
        .filter(backoffice_accounts::Column::Active.eq(true))
        .order_by_asc(backoffice_accounts::Column::Id);
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Two administrators demoting each other at once: the second waits for the first's
        // commit and then no longer counts it (SQLite's write lock serialises them already).
        admins = admins.lock_exclusive();
    }
    let others = admins
        .all(db)
        .await?
        .into_iter()
        .filter(|a| a.id != account.id)
        .count();
    if others == 0 {
        return Err(Error::Conflict(format!(
            "this is the last active administrator of the tenant; make another account administrator first: {}",
            account.login
        )));
    }
    Ok(())
}

/// One account the actor may see and change (B5); others answer 404.
async fn visible<C: ConnectionTrait>(
    db: &C,
    permit: &Permit,
    holdings: &Holdings,
    id: Uuid,
) -> crate::Result<backoffice_accounts::Model> {
    let account = permit
        .tenant()
        .find_by_id::<backoffice_accounts::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("back-office account".into()))?;
    holdings.check_account(db, permit, &account).await?;
    Ok(account)
}

/// Opens a write on account `id`: the actor holds `backoffice_users`, sees the account (B5) and,
/// for an administrator's account, is an administrator itself.
async fn open(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<(DatabaseTransaction, Holdings, backoffice_accounts::Model)> {
    permit.require(Right::BackofficeUsers)?;
    let txn = crate::store::begin_write(db).await?;
    let holdings = Holdings::of(&txn, permit).await?;
    let account = visible(&txn, permit, &holdings, id).await?;
    administrators_by_administrators(&holdings, &account)?;
    Ok((txn, holdings, account))
}

/// Only an administrator changes an administrator account (B5); the target is visible already.
fn administrators_by_administrators(
    holdings: &Holdings,
    account: &backoffice_accounts::Model,
) -> crate::Result<()> {
    if account.is_administrator && !holdings.is_administrator() {
        return Err(Error::Forbidden(
            "only an administrator may change an administrator's account".into(),
        ));
    }
    Ok(())
}

async fn catalog_ids<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    codes: &[String],
) -> crate::Result<Vec<Uuid>> {
    let found: HashMap<String, Uuid> = tenant
        .find::<catalogs::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.code, c.id))
        .collect();
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        match found.get(code) {
            Some(id) => ids.push(*id),
            None => errors.push(FieldError {
                field: format!("catalogs[{i}]"),
                message: format!("unknown catalog `{code}`"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(Error::Validation(errors))
    }
}

async fn replace_roles<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    account: Uuid,
    grants: &[(roles::Model, Option<Uuid>)],
) -> crate::Result<()> {
    tenant
        .delete_many::<role_assignments::Entity>()
        .filter(role_assignments::Column::BackofficeAccountId.eq(account))
        .exec(db)
        .await?;
    let now = Utc::now();
    for (role, unit) in grants {
        role_assignments::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.0),
            role_id: Set(role.id),
            user_id: Set(None),
            backoffice_account_id: Set(Some(account)),
            organisation_unit_id: Set(*unit),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    crate::authz::enforcer::bump_version(db, tenant).await
}

async fn replace_catalogs<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    account: Uuid,
    ids: &[Uuid],
) -> crate::Result<()> {
    tenant
        .delete_many::<catalog_access::Entity>()
        .filter(catalog_access::Column::BackofficeAccountId.eq(account))
        .exec(db)
        .await?;
    let now = Utc::now();
    for id in ids {
        catalog_access::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.0),
            backoffice_account_id: Set(account),
            catalog_id: Set(*id),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn grants_json(grants: &[(roles::Model, Option<Uuid>)]) -> serde_json::Value {
    json!(
        grants
            .iter()
            .map(|(r, u)| json!({"role": r.code, "unit_id": u}))
            .collect::<Vec<_>>()
    )
}

/// B1/B2: creates a back-office account; refuses when an inactive account should be
/// activated instead, or when the e-mail is already linked to a portal account. A set-password
/// mail is queued when an e-mail is given.
pub async fn create(
    db: &DatabaseConnection,
    permit: &Permit,
    new: NewAccount,
) -> crate::Result<backoffice_accounts::Model> {
    permit.require(Right::BackofficeUsers)?;
    let ctx = permit.ctx();
    let errors = check_fields(
        &new.login,
        &new.first_name,
        &new.last_name,
        new.email.as_deref(),
    );
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let txn = crate::store::begin_write(db).await?;
    conflicts(&txn, ctx.tenant, &new.login, new.email.as_deref()).await?;
    let grants = resolve_grants(&txn, ctx.tenant, &new.roles, new.is_administrator).await?;
    let catalogs = catalog_ids(&txn, ctx.tenant, &new.catalogs).await?;
    let holdings = Holdings::of(&txn, permit).await?;
    holdings.check_roles(&txn, permit, &grants).await?;
    holdings.check_catalogs(new.all_catalogs, &catalogs)?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let account = backoffice_accounts::ActiveModel {
        id: Set(id),
        tenant_id: Set(ctx.tenant.0),
        login: Set(new.login.clone()),
        first_name: Set(new.first_name.trim().to_owned()),
        last_name: Set(new.last_name.trim().to_owned()),
        email: Set(new.email.clone()),
        password_hash: Set(None),
        must_change_password: Set(false),
        is_administrator: Set(grants.iter().any(|(r, _)| r.is_administrator)),
        course_system_role: Set(new.course_system_role.clone()),
        all_catalogs: Set(new.all_catalogs),
        active: Set(true),
        user_id: Set(None),
        language: Set(None),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    replace_roles(&txn, ctx.tenant, id, &grants).await?;
    replace_catalogs(&txn, ctx.tenant, id, &catalogs).await?;
    if account.email.is_some() {
        jobs::enqueue(
            &txn,
            NewJob {
                dedup_key: Some(format!("set_password:{id}")),
                ..NewJob::now(ctx.tenant, "mail.set_password", json!({"account_id": id}))
            },
        )
        .await?;
    }
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "backoffice_account",
            entity_id: Some(id),
            action: "create",
            before: None,
            after: Some(json!({
                "login": account.login,
                "roles": grants_json(&grants),
                "catalogs": new.catalogs,
                "all_catalogs": new.all_catalogs,
                "course_system_role": new.course_system_role,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    permit.policy_changed().await;
    Ok(account)
}

/// B2: activates an existing inactive account instead of creating a second one.
pub async fn set_active(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    active: bool,
) -> crate::Result<backoffice_accounts::Model> {
    let ctx = permit.ctx();
    let (txn, _, account) = open(db, permit, id).await?;
    if account.active == active {
        return Ok(account);
    }
    if !active {
        if permit.account() == Some(id) {
            return Err(Error::Conflict(
                "you cannot deactivate your own account".into(),
            ));
        }
        keep_an_administrator(&txn, ctx.tenant, &account).await?;
    }
    let mut am = account.into_active_model();
    am.active = Set(active);
    am.updated_at = Set(Utc::now());
    let account = am.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "backoffice_account",
            entity_id: Some(id),
            action: if active { "activate" } else { "deactivate" },
            before: Some(json!({"active": !active})),
            after: Some(json!({"active": active})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(account)
}

/// Replaces an account's roles (B1, B5).
pub async fn set_roles(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    roles_wanted: &[RoleGrant],
    is_administrator: bool,
) -> crate::Result<()> {
    let ctx = permit.ctx();
    let (txn, holdings, account) = open(db, permit, id).await?;
    let grants = resolve_grants(&txn, ctx.tenant, roles_wanted, is_administrator).await?;
    holdings.check_roles(&txn, permit, &grants).await?;
    let is_admin = grants.iter().any(|(r, _)| r.is_administrator);
    if !is_admin {
        keep_an_administrator(&txn, ctx.tenant, &account).await?;
    }
    replace_roles(&txn, ctx.tenant, id, &grants).await?;
    if account.is_administrator != is_admin {
        let mut am = account.into_active_model();
        am.is_administrator = Set(is_admin);
        am.updated_at = Set(Utc::now());
        am.update(&txn).await?;
    }
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "backoffice_account",
            entity_id: Some(id),
            action: "set_roles",
            before: None,
            after: Some(grants_json(&grants)),
        },
    )
    .await?;
    txn.commit().await?;
    permit.policy_changed().await;
    Ok(())
}

/// B4: replaces an account's catalog access.
pub async fn set_catalogs(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    all_catalogs: bool,
    codes: &[String],
) -> crate::Result<()> {
    let ctx = permit.ctx();
    let (txn, holdings, account) = open(db, permit, id).await?;
    let ids = catalog_ids(&txn, ctx.tenant, codes).await?;
    holdings.check_catalogs(all_catalogs, &ids)?;
    replace_catalogs(&txn, ctx.tenant, id, &ids).await?;
    let before = account.all_catalogs;
    let mut am = account.into_active_model();
    am.all_catalogs = Set(all_catalogs);
    am.updated_at = Set(Utc::now());
    am.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "backoffice_account",
            entity_id: Some(id),
            action: "set_catalogs",
            before: Some(json!({"all_catalogs": before})),
            after: Some(json!({"all_catalogs": all_catalogs, "catalogs": codes})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// B6: queues a mail with a new temporary password that must be changed at next sign-in.
/// Refused, with the reason, when the account has no e-mail address.
pub async fn send_temporary_password(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<()> {
    let ctx = permit.ctx();
    let (txn, _, account) = open(db, permit, id).await?;
    if account.email.is_none() {
        return Err(Error::Validation(vec![FieldError {
            field: "email".into(),
            message: "the account has no e-mail address to send a temporary password to".into(),
        }]));
    }
    // The password is made by the job itself, so no plaintext ever rests in the queue.
    jobs::enqueue(
        &txn,
        NewJob::now(
            ctx.tenant,
            "mail.temporary_password",
            json!({"account_id": id}),
        ),
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "backoffice_account",
            entity_id: Some(id),
            action: "send_temporary_password",
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// One account the actor may see (B5: 404 outside its reach).
pub async fn get(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<backoffice_accounts::Model> {
    permit.require(Right::BackofficeUsers)?;
    let holdings = Holdings::of(db, permit).await?;
    visible(db, permit, &holdings, id).await
}

/// The acting account's own record.
pub async fn own(
    db: &DatabaseConnection,
    permit: &Permit,
) -> crate::Result<backoffice_accounts::Model> {
    let id = permit
        .account()
        .ok_or_else(|| Error::NotFound("back-office account".into()))?;
    permit
        .tenant()
        .find_by_id::<backoffice_accounts::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("back-office account".into()))
}

/// Every account the actor may see, by login (B5).
pub async fn list(
    db: &DatabaseConnection,
    permit: &Permit,
) -> crate::Result<Vec<backoffice_accounts::Model>> {
    permit.require(Right::BackofficeUsers)?;
    let holdings = Holdings::of(db, permit).await?;
    let all = permit
        .tenant()
        .find::<backoffice_accounts::Entity>()
        .order_by_asc(backoffice_accounts::Column::Login)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(all.len());
    for account in all {
        match holdings.check_account(db, permit, &account).await {
            Ok(()) => out.push(account),
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// An account's role grants, with role and unit codes.
pub async fn grants_of(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<Vec<RoleGrant>> {
    let units: HashMap<Uuid, String> = permit
        .tenant()
        .find::<organisation_units::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.code))
        .collect();
    let mut grants: Vec<RoleGrant> = grant::grants_of(db, permit, id)
        .await?
        .into_iter()
        .map(|(role, unit)| RoleGrant {
            role: role.code,
            unit: unit.and_then(|u| units.get(&u).cloned()),
        })
        .collect();
    grants.sort_by(|a, b| (&a.role, &a.unit).cmp(&(&b.role, &b.unit)));
    Ok(grants)
}

#[cfg(test)]
mod tests {
    use super::valid_email;

    #[test]
    fn u1_email_syntax() {
        assert!(valid_email("jan.de-vries_2@archipel.academy"));
        assert!(
            !valid_email("jan+tag@archipel.academy"),
            "only _ - . are allowed"
        );
        assert!(!valid_email("jan@localhost"));
        assert!(!valid_email("@archipel.academy"));
        assert!(!valid_email("jan@@archipel.academy"));
    }
}

/// Changes to a back-office account's own fields (B1).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// E-mail; `""` clears it.
    pub email: Option<String>,
    /// B1: role in the connected course system; `""` clears it.
    pub course_system_role: Option<String>,
    /// Language of the account's mails; `""` clears it.
    pub language: Option<String>,
}

/// B1: updates an account's fields, auditing what changed.
pub async fn update(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    patch: AccountPatch,
) -> crate::Result<backoffice_accounts::Model> {
    let ctx = permit.ctx();
    let (txn, _, account) = open(db, permit, id).await?;
    let first = patch
        .first_name
        .clone()
        .unwrap_or(account.first_name.clone());
    let last = patch.last_name.clone().unwrap_or(account.last_name.clone());
    let email = match &patch.email {
        Some(e) if e.is_empty() => None,
        Some(e) => Some(e.clone()),
        None => account.email.clone(),
    };
    let errors = check_fields(&account.login, &first, &last, email.as_deref());
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let clear = |v: Option<String>, old: Option<String>| match v {
        Some(s) if s.is_empty() => None,
        Some(s) => Some(s),
        None => old,
    };
    let course = clear(patch.course_system_role, account.course_system_role.clone());
    let language = clear(patch.language, account.language.clone());
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    let mut note = |field: &str, old: serde_json::Value, new: serde_json::Value| {
        if old != new {
            before.insert(field.into(), old);
            after.insert(field.into(), new);
        }
    };
    note("first_name", json!(account.first_name), json!(first));
    note("last_name", json!(account.last_name), json!(last));
    note("email", json!(account.email), json!(email));
    note(
        "course_system_role",
        json!(account.course_system_role),
        json!(course),
    );
    note("language", json!(account.language), json!(language));
    if after.is_empty() {
        return Ok(account);
    }
    let mut am = account.into_active_model();
    am.first_name = Set(first.trim().to_owned());
    am.last_name = Set(last.trim().to_owned());
    am.email = Set(email);
    am.course_system_role = Set(course);
    am.language = Set(language);
    am.updated_at = Set(Utc::now());
    let account = am.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "backoffice_account",
            entity_id: Some(id),
            action: "update",
            before: Some(before.into()),
            after: Some(after.into()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(account)
}
