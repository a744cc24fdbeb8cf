//! The organisation-unit tree (T3) as administrators manage it. An administrator scoped to a
//! sub-tree (B5) sees and changes only that sub-tree: units outside it are "not found", a new
//! unit goes below one of theirs, and the top of their scope cannot be moved or deleted by
//! them. Moves never make a loop ([`super::tree`]); deleting is refused while users, child
//! units or administrators' role anchors remain.

use crate::authz::{Permit, Right};
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, IntoActiveModel,
    PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{self, Change};
use super::organisations::{check_code, check_name, present, taken};
use super::tree::{ring_text, walk_parents};
use crate::authz::Scope;
use crate::error::{Error, FieldError};
use crate::store::TenantId;
use crate::store::entity::{organisation_units, role_assignments, users};
use crate::tenancy::ownership::refuse_if_managed;

/// An organisation unit with the units below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Unit {
    /// Id.
    pub id: Uuid,
    /// Code, unique in the tenant.
    pub code: String,
    /// Name.
    pub name: String,
    /// Parent unit; `None` at the top of the tenant.
    pub parent_id: Option<Uuid>,
    /// T3: a sub-tenant keeps its own external-id namespace.
    pub is_sub_tenant: bool,
    /// Users directly in this unit.
    pub users: u64,
    /// Units directly below, by code.
    #[schema(no_recursion)]
    pub children: Vec<Unit>,
    /// X9: the descriptor file that manages it (edits are refused, 409); `null` when made at
    /// run time.
    pub managed_by: Option<String>,
}

/// A new organisation unit.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewUnit {
    /// Code: 1–50 characters without spaces, unique in the tenant.
    pub code: String,
    /// Name: 1–200 characters.
    pub name: String,
    /// Parent unit; required for an administrator scoped to a sub-tree.
    pub parent_id: Option<Uuid>,
    /// T3: whether it is a sub-tenant.
    pub is_sub_tenant: bool,
}

/// Changes to a unit (rename, move); absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UnitPatch {
    /// New code.
    pub code: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// Move below this unit; `null` moves it to the top (tenant-wide administrators only).
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    /// T3: sub-tenant or not (tenant-wide administrators only).
    pub is_sub_tenant: Option<bool>,
}

/// The tenant's units and which of them `scope` reaches.
struct Forest {
    all: Vec<organisation_units::Model>,
    visible: HashSet<Uuid>,
    tenant_wide: bool,
}

impl Forest {
    async fn load(db: &DatabaseConnection, tenant: TenantId, scope: &Scope) -> crate::Result<Self> {
        let all = tenant.find::<organisation_units::Entity>().all(db).await?;
        let tenant_wide = scope.units.is_none() && scope.superior.is_none() && scope.user.is_none();
        let visible = match &scope.units {
            Some(units) => units.iter().copied().collect(),
            None if tenant_wide => all.iter().map(|u| u.id).collect(),
            None => HashSet::new(),
        };
        Ok(Self {
            all,
            visible,
            tenant_wide,
        })
    }

    fn get(&self, id: Uuid) -> crate::Result<&organisation_units::Model> {
        self.all
            .iter()
            .find(|u| u.id == id && self.visible.contains(&u.id))
            .ok_or_else(|| Error::NotFound("organisation unit".into()))
    }

    /// Whether `unit` is the top of the caller's scope (its parent lies outside it).
    fn is_anchor(&self, unit: &organisation_units::Model) -> bool {
        !self.tenant_wide && unit.parent_id.is_none_or(|p| !self.visible.contains(&p))
    }

    fn node(&self, unit: &organisation_units::Model, counts: &HashMap<Uuid, u64>) -> Unit {
        let mut children: Vec<&organisation_units::Model> = self
            .all
            .iter()
            .filter(|c| c.parent_id == Some(unit.id) && self.visible.contains(&c.id))
            .collect();
        children.sort_by(|a, b| a.code.cmp(&b.code));
        Unit {
            id: unit.id,
            code: unit.code.clone(),
            name: unit.name.clone(),
            parent_id: unit.parent_id,
            is_sub_tenant: unit.is_sub_tenant,
            users: counts.get(&unit.id).copied().unwrap_or(0),
            children: children.iter().map(|c| self.node(c, counts)).collect(),
            managed_by: unit.managed_by.clone(),
        }
    }
}

async fn user_counts(
    db: &DatabaseConnection,
    tenant: TenantId,
) -> crate::Result<HashMap<Uuid, u64>> {
    let rows: Vec<(Option<Uuid>, i64)> = tenant
        .find::<users::Entity>()
        .select_only()
        .column(users::Column::OrganisationUnitId)
        .column_as(users::Column::Id.count(), "n")
        .group_by(users::Column::OrganisationUnitId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(u, n)| u.map(|u| (u, u64::try_from(n).unwrap_or(0))))
        .collect())
}

/// The units the actor manages (its `organisations` reach) as a tree: the roots are the top
/// units within that reach.
pub async fn tree(db: &DatabaseConnection, permit: &Permit) -> crate::Result<Vec<Unit>> {
    let scope = permit.scope(db, Right::Organisations).await?;
    tree_in(db, permit.tenant(), &scope).await
}

/// The units the actor may place users in (its `users` reach), as a tree (U1 form).
pub async fn for_users(db: &DatabaseConnection, permit: &Permit) -> crate::Result<Vec<Unit>> {
    let scope = permit.scope(db, Right::Users).await?;
    tree_in(db, permit.tenant(), &scope).await
}

async fn tree_in(
    db: &DatabaseConnection,
    tenant: TenantId,
    scope: &Scope,
) -> crate::Result<Vec<Unit>> {
    let forest = Forest::load(db, tenant, scope).await?;
    let counts = user_counts(db, tenant).await?;
    let mut roots: Vec<&organisation_units::Model> = forest
        .all
        .iter()
        .filter(|u| {
            forest.visible.contains(&u.id)
                && u.parent_id.is_none_or(|p| !forest.visible.contains(&p))
        })
        .collect();
    roots.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(roots.iter().map(|u| forest.node(u, &counts)).collect())
}

/// One unit within scope, with its sub-tree.
pub async fn get(db: &DatabaseConnection, permit: &Permit, id: Uuid) -> crate::Result<Unit> {
    let scope = permit.scope(db, Right::Organisations).await?;
    get_in(db, permit.tenant(), &scope, id).await
}

/// One unit within `scope`.
async fn get_in(
    db: &DatabaseConnection,
    tenant: TenantId,
    scope: &Scope,
    id: Uuid,
) -> crate::Result<Unit> {
    let forest = Forest::load(db, tenant, scope).await?;
    let counts = user_counts(db, tenant).await?;
    Ok(forest.node(forest.get(id)?, &counts))
}

fn unknown_parent() -> FieldError {
    FieldError {
        field: "parent_id".into(),
        message: "unknown organisation unit (or one outside your scope)".into(),
    }
}

fn code_taken(forest: &Forest, code: &str, except: Option<Uuid>) -> bool {
    forest
        .all
        .iter()
        .any(|u| u.code == code && Some(u.id) != except)
}

/// Creates a unit; an administrator scoped to a sub-tree creates it below one of their units.
pub async fn create(db: &DatabaseConnection, permit: &Permit, new: NewUnit) -> crate::Result<Unit> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Organisations).await?;
    let forest = Forest::load(db, ctx.tenant, scope).await?;
    let mut errors = Vec::new();
    if check_code(&new.code, &mut errors) && code_taken(&forest, &new.code, None) {
        errors.push(taken("organisation unit", &new.code));
    }
    check_name(&new.name, &mut errors);
    match new.parent_id {
        Some(p) if forest.get(p).is_err() => errors.push(unknown_parent()),
        None if !forest.tenant_wide => errors.push(FieldError {
            field: "parent_id".into(),
            message: "is required: you manage only the units below your own".into(),
        }),
        _ => {}
    }
    if new.is_sub_tenant && !forest.tenant_wide {
        errors.push(FieldError {
            field: "is_sub_tenant".into(),
            message: "only a tenant-wide administrator can make a sub-tenant".into(),
        });
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let now = Utc::now();
    let txn = crate::store::begin_write(db).await?;
    let u = organisation_units::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant.0),
        code: Set(new.code),
        name: Set(new.name.trim().to_owned()),
        parent_id: Set(new.parent_id),
        is_sub_tenant: Set(new.is_sub_tenant),
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
            entity: "organisation_unit",
            entity_id: Some(u.id),
            action: "create",
            before: None,
            after: Some(json!({
                "code": u.code, "name": u.name, "parent_id": u.parent_id,
                "is_sub_tenant": u.is_sub_tenant,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    get_in(db, ctx.tenant, &visible_with(scope, u.id), u.id).await
}

/// `scope` plus a unit just created in it (a scope's unit list is computed before the insert).
fn visible_with(scope: &Scope, id: Uuid) -> Scope {
    let mut s = scope.clone();
    if let Some(units) = &mut s.units {
        units.push(id);
    }
    s
}

/// Renames or moves a unit within scope; a move that would make a loop is refused.
pub async fn update(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    patch: UnitPatch,
) -> crate::Result<Unit> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Organisations).await?;
    let forest = Forest::load(db, ctx.tenant, scope).await?;
    let current = forest.get(id)?.clone();
    refuse_if_managed(
        "organisation unit",
        &current.code,
        current.managed_by.as_deref(),
    )?;
    let mut errors = Vec::new();
    if let Some(code) = &patch.code
        && check_code(code, &mut errors)
        && code_taken(&forest, code, Some(id))
    {
        errors.push(taken("organisation unit", code));
    }
    if let Some(name) = &patch.name {
        check_name(name, &mut errors);
    }
    let moved = patch.parent_id.filter(|p| *p != current.parent_id);
    if let Some(parent) = moved {
        if forest.is_anchor(&current) {
            return Err(Error::Forbidden(format!(
                "organisation unit `{}` is the top of your scope; only an administrator above \
                 it can move it",
                current.code
            )));
        }
        match parent {
            None if !forest.tenant_wide => errors.push(FieldError {
                field: "parent_id".into(),
                message: "only a tenant-wide administrator can move a unit to the top".into(),
            }),
            None => {}
            Some(p) if forest.get(p).is_err() => errors.push(unknown_parent()),
            Some(p) => {
                let mut parent_of: HashMap<Uuid, Uuid> = forest
                    .all
                    .iter()
                    .filter_map(|u| u.parent_id.map(|q| (u.id, q)))
                    .collect();
                parent_of.insert(id, p);
                let (path, ring_at) =
                    walk_parents(id, |u| parent_of.get(&u).copied(), &HashSet::new());
                if let Some(at) = ring_at {
                    let codes: HashMap<Uuid, &str> =
                        forest.all.iter().map(|u| (u.id, u.code.as_str())).collect();
                    let ring: Vec<&str> = path[at..]
                        .iter()
                        .map(|u| codes.get(u).copied().unwrap_or("?"))
                        .collect();
                    errors.push(FieldError {
                        field: "parent_id".into(),
                        message: format!(
                            "unit `{}` cannot move below itself or one of its own units: this \
                             would make a cycle {}",
                            current.code,
                            ring_text(&ring)
                        ),
                    });
                }
            }
        }
    }
    if patch
        .is_sub_tenant
        .is_some_and(|s| s != current.is_sub_tenant)
        && !forest.tenant_wide
    {
        errors.push(FieldError {
            field: "is_sub_tenant".into(),
            message: "only a tenant-wide administrator can change this".into(),
        });
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let (mut before, mut after) = (serde_json::Map::new(), serde_json::Map::new());
    let mut row = current.clone().into_active_model();
    if let Some(code) = patch.code.filter(|c| *c != current.code) {
        before.insert("code".into(), json!(current.code));
        after.insert("code".into(), json!(code));
        row.code = Set(code);
    }
    if let Some(name) = patch
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| *n != current.name)
    {
        before.insert("name".into(), json!(current.name));
        after.insert("name".into(), json!(name));
        row.name = Set(name);
    }
    if let Some(parent) = moved {
        before.insert("parent_id".into(), json!(current.parent_id));
        after.insert("parent_id".into(), json!(parent));
        row.parent_id = Set(parent);
    }
    if let Some(s) = patch.is_sub_tenant.filter(|s| *s != current.is_sub_tenant) {
        before.insert("is_sub_tenant".into(), json!(current.is_sub_tenant));
        after.insert("is_sub_tenant".into(), json!(s));
        row.is_sub_tenant = Set(s);
    }
    if !after.is_empty() {
        row.updated_at = Set(Utc::now());
        let txn = crate::store::begin_write(db).await?;
        row.update(&txn).await?;
        audit::record(
            &txn,
            ctx,
            Change {
                entity: "organisation_unit",
                entity_id: Some(id),
                action: "update",
                before: Some(Value::Object(before)),
                after: Some(Value::Object(after)),
            },
        )
        .await?;
        txn.commit().await?;
    }
    get_in(db, ctx.tenant, scope, id).await
}

/// Deletes a unit within scope; refused while it has users, child units or role anchors.
pub async fn delete(db: &DatabaseConnection, permit: &Permit, id: Uuid) -> crate::Result<()> {
    let ctx = permit.ctx();
    let scope = &permit.scope(db, Right::Organisations).await?;
    let forest = Forest::load(db, ctx.tenant, scope).await?;
    let unit = forest.get(id)?.clone();
    refuse_if_managed("organisation unit", &unit.code, unit.managed_by.as_deref())?;
    if forest.is_anchor(&unit) {
        return Err(Error::Forbidden(format!(
            "organisation unit `{}` is the top of your scope; only an administrator above it can \
             delete it",
            unit.code
        )));
    }
    let children = forest
        .all
        .iter()
        .filter(|u| u.parent_id == Some(id))
        .count();
    let members = ctx
        .tenant
        .find::<users::Entity>()
        .filter(users::Column::OrganisationUnitId.eq(id))
        .count(db)
        .await?;
    let anchors = ctx
        .tenant
        .find::<role_assignments::Entity>()
        .filter(role_assignments::Column::OrganisationUnitId.eq(id))
        .count(db)
        .await?;
    let mut reasons = Vec::new();
    if members > 0 {
        reasons.push(format!("{members} user(s)"));
    }
    if children > 0 {
        reasons.push(format!("{children} unit(s) below it"));
    }
    if anchors > 0 {
        reasons.push(format!("{anchors} role assignment(s) anchored to it"));
    }
    if !reasons.is_empty() {
        return Err(Error::Conflict(format!(
            "organisation unit `{}` still has {}; move or remove them before deleting it",
            unit.code,
            reasons.join(", ")
        )));
    }
    let txn = crate::store::begin_write(db).await?;
    audit::delete::<organisation_units::Entity, _>(
        &txn,
        ctx,
        "organisation_unit",
        id,
        json!({
            "code": unit.code, "name": unit.name, "parent_id": unit.parent_id,
            "is_sub_tenant": unit.is_sub_tenant,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
