//! G1: user groups. Customer admins (the `user_groups` right) create, rename and delete them;
//! a group with members cannot be deleted, and the refusal says why. Imports assign existing
//! groups but never create them; searches filter by them (U5, `user_directory::list`).
//! Every change is audited (X3) as entity `user_group`.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Change};
use super::users::bounded;
use crate::authz::{Permit, Right};
use crate::error::{Error, FieldError};
use crate::store::TenantId;
use crate::store::entity::{user_group_members, user_groups};
use crate::tenancy::ownership::refuse_if_managed;

/// Most characters of a group code.
pub const CODE_MAX: usize = 64;
/// Most characters of a group name.
pub const GROUP_NAME_MAX: usize = 100;

/// A new user group.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NewGroup {
    /// Unique within the tenant; letters, digits, `_ - .`; 1–64 characters.
    pub code: String,
    /// Display name, 1–100 characters.
    pub name: String,
}

/// A new name for a group.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct GroupRename {
    /// Display name, 1–100 characters.
    pub name: String,
}

/// A user group with its member count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    /// Id.
    pub id: Uuid,
    /// Code (used by imports and the `group` search filter).
    pub code: String,
    /// Display name.
    pub name: String,
    /// How many users belong to it.
    pub members: u64,
    /// X9: the descriptor file that manages the group (edits are refused, 409); `null` for a
    /// group made at run time.
    pub managed_by: Option<String>,
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    if name.trim().is_empty() {
        errors.push(FieldError {
            field: "name".into(),
            message: "name is required".into(),
        });
    } else if let Err(p) = bounded(name, GROUP_NAME_MAX, "name") {
        errors.push(FieldError {
            field: "name".into(),
            message: p.0,
        });
    }
}

fn check_code(code: &str, errors: &mut Vec<FieldError>) {
    let bad = code
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')));
    let message = if code.trim().is_empty() {
        Some("code is required".to_owned())
    } else if code.chars().count() > CODE_MAX {
        Some(format!("code has more than {CODE_MAX} characters"))
    } else {
        bad.map(|c| {
            format!(
                "code must not contain `{}` (letters, digits and _ - . only)",
                c.escape_debug()
            )
        })
    };
    if let Some(message) = message {
        errors.push(FieldError {
            field: "code".into(),
            message,
        });
    }
}

async fn members_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    group: Uuid,
) -> crate::Result<u64> {
    Ok(tenant
        .find::<user_group_members::Entity>()
        .filter(user_group_members::Column::UserGroupId.eq(group))
        .count(db)
        .await?)
}

/// G1: group names are unique within the tenant (as in descriptors), so lists and filters
/// stay unambiguous.
async fn name_taken<C: sea_orm::ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    name: &str,
    except: Option<Uuid>,
) -> crate::Result<bool> {
    let mut q = tenant
        .find::<user_groups::Entity>()
        .filter(user_groups::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(user_groups::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

fn name_in_use(name: &str) -> FieldError {
    FieldError {
        field: "name".into(),
        message: format!("a user group named `{name}` already exists"),
    }
}

fn view(g: user_groups::Model, members: u64) -> GroupView {
    GroupView {
        id: g.id,
        code: g.code,
        name: g.name,
        members,
        managed_by: g.managed_by,
    }
}

/// G1: every user group of the tenant with its member count, by name.
pub async fn list(db: &DatabaseConnection, permit: &Permit) -> crate::Result<Vec<GroupView>> {
    let tenant = permit.tenant();
    let groups = tenant
        .find::<user_groups::Entity>()
        .order_by_asc(user_groups::Column::Name)
        .order_by_asc(user_groups::Column::Code)
        .all(db)
        .await?;
    let counts: Vec<(Uuid, i64)> = tenant
        .find::<user_group_members::Entity>()
        .select_only()
        .column(user_group_members::Column::UserGroupId)
        .column_as(Expr::col(user_group_members::Column::Id).count(), "n")
        .group_by(user_group_members::Column::UserGroupId)
        .into_tuple()
        .all(db)
        .await?;
    let counts: std::collections::HashMap<Uuid, u64> = counts
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or_default()))
        .collect();
    Ok(groups
        .into_iter()
        .map(|g| {
            let n = counts.get(&g.id).copied().unwrap_or_default();
            view(g, n)
        })
        .collect())
}

/// G1: one group of the tenant.
pub async fn get(db: &DatabaseConnection, permit: &Permit, id: Uuid) -> crate::Result<GroupView> {
    let tenant = permit.tenant();
    let g = tenant
        .find_by_id::<user_groups::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("user group".into()))?;
    let n = members_of(db, tenant, id).await?;
    Ok(view(g, n))
}

/// G1: creates a group; a code already used in the tenant is a 422 on `code`.
pub async fn create(
    db: &DatabaseConnection,
    permit: &Permit,
    new: NewGroup,
) -> crate::Result<GroupView> {
    permit.require(Right::UserGroups)?;
    let ctx = permit.ctx();
    let code = new.code.trim().to_owned();
    let name = new.name.trim().to_owned();
    let mut errors = Vec::new();
    check_code(&code, &mut errors);
    check_name(&name, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let txn = crate::store::begin_write(db).await?;
    let taken = ctx
        .tenant
        .find::<user_groups::Entity>()
        .filter(user_groups::Column::Code.eq(code.as_str()))
        .count(&txn)
        .await?
        > 0;
    let mut errors = Vec::new();
    if taken {
        errors.push(FieldError {
            field: "code".into(),
            message: format!("a user group with code `{code}` already exists"),
        });
    }
    if name_taken(&txn, ctx.tenant, &name, None).await? {
        errors.push(name_in_use(&name));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let now = Utc::now();
    let g = user_groups::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant.0),
        code: Set(code.clone()),
        name: Set(name.clone()),
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
            entity: "user_group",
            entity_id: Some(g.id),
            action: "create",
            before: None,
            after: Some(json!({"code": code, "name": name})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(view(g, 0))
}

/// G1: renames a group (its code stays, so import files keep working).
pub async fn rename(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    r: GroupRename,
) -> crate::Result<GroupView> {
    permit.require(Right::UserGroups)?;
    let ctx = permit.ctx();
    let name = r.name.trim().to_owned();
    let mut errors = Vec::new();
    check_name(&name, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let txn = crate::store::begin_write(db).await?;
    let g = ctx
        .tenant
        .find_by_id::<user_groups::Entity>(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("user group".into()))?;
    refuse_if_managed("user group", &g.code, g.managed_by.as_deref())?;
    let members = members_of(&txn, ctx.tenant, id).await?;
    if g.name == name {
        return Ok(view(g, members));
    }
    if name_taken(&txn, ctx.tenant, &name, Some(id)).await? {
        return Err(Error::Validation(vec![name_in_use(&name)]));
    }
    let old = g.name.clone();
    let mut am = g.into_active_model();
    am.name = Set(name.clone());
    am.updated_at = Set(Utc::now());
    let g = am.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "user_group",
            entity_id: Some(id),
            action: "rename",
            before: Some(json!({"name": old})),
            after: Some(json!({"name": name})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(view(g, members))
}

/// G1: deletes a group without members; a group with members is refused (409) with the reason.
pub async fn delete(db: &DatabaseConnection, permit: &Permit, id: Uuid) -> crate::Result<()> {
    permit.require(Right::UserGroups)?;
    let ctx = permit.ctx();
    let txn = crate::store::begin_write(db).await?;
    let g = ctx
        .tenant
        .find_by_id::<user_groups::Entity>(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("user group".into()))?;
    refuse_if_managed("user group", &g.code, g.managed_by.as_deref())?;
    let members = members_of(&txn, ctx.tenant, id).await?;
    if members > 0 {
        let noun = if members == 1 { "member" } else { "members" };
        return Err(Error::Conflict(format!(
            "user group `{}` cannot be deleted: it has {members} {noun}; remove them from the group first",
            g.code
        )));
    }
    audit::delete::<user_groups::Entity, _>(
        &txn,
        ctx,
        "user_group",
        id,
        json!({"code": g.code, "name": g.name}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g1_codes_allow_letters_digits_and_few_signs() {
        let mut e = Vec::new();
        check_code("sales-2026_nl.a", &mut e);
        assert!(e.is_empty());
        check_code("a b", &mut e);
        check_code("", &mut e);
        check_code(&"x".repeat(65), &mut e);
        assert_eq!(e.len(), 3);
        assert!(e.iter().all(|f| f.field == "code"));
    }

    #[test]
    fn g1_names_are_required_and_bounded() {
        let mut e = Vec::new();
        check_name("Sales", &mut e);
        assert!(e.is_empty());
        check_name(" ", &mut e);
        check_name(&"x".repeat(101), &mut e);
        assert_eq!(e.len(), 2);
    }
}
