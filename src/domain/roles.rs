//! B3: roles and their rights, edited at run time. A change moves the tenant's policy version;
//! the caller announces it after the commit so every instance reloads at once.

use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Change};
use crate::authz::grant::Holdings;
use crate::authz::{Permit, Right};
use crate::error::{Error, FieldError};
use crate::store::entity::{role_rights, roles};
use crate::tenancy::ownership::refuse_if_managed;

/// A role with its rights.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoleView {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `backoffice` or `portal`.
    pub kind: String,
    /// Reach of its rights.
    pub scope: String,
    /// Holds every right.
    pub is_administrator: bool,
    /// Rights, sorted.
    pub rights: Vec<String>,
    /// X9: the descriptor file that manages the role (its rights are edited there); `None`
    /// for a role made at run time.
    pub managed_by: Option<String>,
}

/// Every role of the tenant with its rights.
pub async fn list(db: &DatabaseConnection, permit: &Permit) -> crate::Result<Vec<RoleView>> {
    let tenant = permit.tenant();
    let all = tenant
        .find::<roles::Entity>()
        .order_by_asc(roles::Column::Code)
        .all(db)
        .await?;
    let rights = tenant.find::<role_rights::Entity>().all(db).await?;
    Ok(all
        .into_iter()
        .map(|r| {
            let mut held: Vec<String> = rights
                .iter()
                .filter(|x| x.role_id == r.id)
                .map(|x| x.right.clone())
                .collect();
            held.sort();
            RoleView {
                code: r.code,
                name: r.name,
                kind: r.kind,
                scope: r.scope,
                is_administrator: r.is_administrator,
                rights: held,
                managed_by: r.managed_by,
            }
        })
        .collect())
}

fn parse_rights(rights: &[String]) -> crate::Result<BTreeSet<String>> {
    let mut errors = Vec::new();
    let mut set = BTreeSet::new();
    for (i, r) in rights.iter().enumerate() {
        match r.parse::<Right>() {
            Ok(right) => {
                set.insert(right.as_str().to_owned());
            }
            Err(e) => errors.push(FieldError {
                field: format!("rights[{i}]"),
                message: e.to_string(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(Error::Validation(errors))
    }
}

/// B3: replaces a role's rights (the "Rights" tab, Save).
pub async fn set_rights(
    db: &DatabaseConnection,
    permit: &Permit,
    code: &str,
    rights: &[String],
) -> crate::Result<RoleView> {
    permit.require(Right::Roles)?;
    let ctx = permit.ctx();
    let wanted = parse_rights(rights)?;
    let txn = crate::store::begin_write(db).await?;
    let role = ctx
        .tenant
        .find::<roles::Entity>()
        .filter(roles::Column::Code.eq(code))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("role".into()))?;
    refuse_if_managed("role", &role.code, role.managed_by.as_deref())?;
    let held: BTreeSet<String> = ctx
        .tenant
        .find::<role_rights::Entity>()
        .filter(role_rights::Column::RoleId.eq(role.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.right)
        .collect();
    if held != wanted {
        // B3: rights put on or taken off a role lie within the actor's own.
        let changed: Vec<Right> = held
            .symmetric_difference(&wanted)
            .filter_map(|r| r.parse().ok())
            .collect();
        Holdings::of(&txn, permit)
            .await?
            .check_rights(&txn, permit, &role.code, role.is_administrator, &changed)
            .await?;
        ctx.tenant
            .delete_many::<role_rights::Entity>()
            .filter(role_rights::Column::RoleId.eq(role.id))
            .exec(&txn)
            .await?;
        let now = Utc::now();
        for right in &wanted {
            role_rights::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(ctx.tenant.0),
                role_id: Set(role.id),
                right: Set(right.clone()),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        crate::authz::enforcer::bump_version(&txn, ctx.tenant).await?;
        audit::record(
            &txn,
            ctx,
            Change {
                entity: "role",
                entity_id: Some(role.id),
                action: "set_rights",
                before: Some(json!(held)),
                after: Some(json!(wanted)),
            },
        )
        .await?;
    }
    txn.commit().await?;
    if held != wanted {
        permit.policy_changed().await;
    }
    Ok(RoleView {
        code: role.code,
        name: role.name,
        kind: role.kind,
        scope: role.scope,
        is_administrator: role.is_administrator,
        rights: wanted.into_iter().collect(),
        managed_by: role.managed_by,
    })
}

/// B3: the rights the actor may put on or take off a role (the rights tab enables only these).
pub async fn changeable_rights(
    db: &DatabaseConnection,
    permit: &Permit,
) -> crate::Result<Vec<Right>> {
    permit.require(Right::Roles)?;
    Holdings::of(db, permit)
        .await?
        .changeable_rights(db, permit)
        .await
}

/// B3, the rights tab's Save: the checked rights, keeping held rights the actor may not change
/// (their checkboxes are disabled, so the form does not send them).
pub async fn save_checked_rights(
    db: &DatabaseConnection,
    permit: &Permit,
    code: &str,
    checked: &[String],
) -> crate::Result<RoleView> {
    let changeable: Vec<&str> = changeable_rights(db, permit)
        .await?
        .into_iter()
        .map(Right::as_str)
        .collect();
    let held = list(db, permit)
        .await?
        .into_iter()
        .find(|r| r.code == code)
        .ok_or_else(|| Error::NotFound("role".into()))?
        .rights;
    let mut wanted: Vec<String> = held
        .into_iter()
        .filter(|r| !changeable.contains(&r.as_str()))
        .collect();
    // A checked right outside those the actor may change is still sent on: the rule refuses
    // it (a crafted form) rather than it being dropped without a word.
    wanted.extend(checked.iter().cloned());
    set_rights(db, permit, code, &wanted).await
}

/// A new role (B3 "new roles can be made").
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    /// Unique code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `tenant`, `subtree` or `own_ou` (back-office roles).
    #[serde(default = "tenant_scope")]
    pub scope: String,
    /// Rights.
    #[serde(default)]
    pub rights: Vec<String>,
}

fn tenant_scope() -> String {
    "tenant".into()
}

/// Creates a back-office role.
pub async fn create(
    db: &DatabaseConnection,
    permit: &Permit,
    new: NewRole,
) -> crate::Result<RoleView> {
    permit.require(Right::Roles)?;
    let ctx = permit.ctx();
    let wanted = parse_rights(&new.rights)?;
    let mut errors = Vec::new();
    if new.code.trim().is_empty() || new.code.len() > 64 || new.code.contains(',') {
        errors.push(FieldError {
            field: "code".into(),
            message: "must be 1 to 64 characters without commas".into(),
        });
    }
    if new.name.trim().is_empty() {
        errors.push(FieldError {
            field: "name".into(),
            message: "must not be empty".into(),
        });
    }
    if !matches!(new.scope.as_str(), "tenant" | "subtree" | "own_ou") {
        errors.push(FieldError {
            field: "scope".into(),
            message: "must be tenant, subtree or own_ou".into(),
        });
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let txn = crate::store::begin_write(db).await?;
    let rights: Vec<Right> = wanted.iter().filter_map(|r| r.parse().ok()).collect();
    Holdings::of(&txn, permit)
        .await?
        .check_rights(&txn, permit, &new.code, false, &rights)
        .await?;
    if ctx
        .tenant
        .find::<roles::Entity>()
        .filter(roles::Column::Code.eq(new.code.as_str()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "role `{}` exists already",
            new.code
        )));
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    roles::ActiveModel {
        id: Set(id),
        tenant_id: Set(ctx.tenant.0),
        code: Set(new.code.clone()),
        name: Set(new.name.clone()),
        kind: Set("backoffice".into()),
        scope: Set(new.scope.clone()),
        is_administrator: Set(false),
        is_builtin: Set(false),
        description: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        managed_by: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "role",
            entity_id: Some(id),
            action: "create",
            before: None,
            after: Some(json!({"code": new.code, "name": new.name, "scope": new.scope})),
        },
    )
    .await?;
    txn.commit().await?;
    set_rights(db, permit, &new.code, &new.rights).await
}
