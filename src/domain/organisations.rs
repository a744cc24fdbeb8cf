//! Organisations and their departments (U8 employments point at them, U10 type-ahead picks
//! them, I2 HR import creates them). Department parents build the extra organisation layer;
//! a chain of parents never loops (the same walk as the import: [`super::tree`]). Deleting
//! is refused while users are employed there, with the reason.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{self, Change};
use super::tree::{ring_text, walk_parents};
use crate::authz::{Permit, Right};
use crate::error::{Error, FieldError};
use crate::store::TenantId;
use crate::store::entity::{departments, employments, organisations, users};
use crate::tenancy::ownership::refuse_if_managed;

/// An organisation as the API and the back office show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Organisation {
    /// Id.
    pub id: Uuid,
    /// Code, unique in the tenant.
    pub code: String,
    /// Name.
    pub name: String,
    /// Whether it can be picked for new employments.
    pub active: bool,
    /// Number of departments.
    pub departments: u64,
    /// Number of active employments (U8).
    pub employed: u64,
    /// X9: the descriptor file that manages it (edits are refused, 409); `null` when made at
    /// run time.
    pub managed_by: Option<String>,
}

/// A new organisation.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewOrganisation {
    /// Code: 1–50 characters without spaces, unique in the tenant.
    pub code: String,
    /// Name: 1–200 characters.
    pub name: String,
    /// Default true.
    pub active: Option<bool>,
}

/// Changes to an organisation; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OrganisationPatch {
    /// New code.
    pub code: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// Active or not.
    pub active: Option<bool>,
}

/// A department of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Department {
    /// Id.
    pub id: Uuid,
    /// The organisation it belongs to.
    pub organisation_id: Uuid,
    /// Code, unique in the tenant (the HR import's department code).
    pub code: String,
    /// Name.
    pub name: String,
    /// Parent department (the extra organisation layer, I2 column AE).
    pub parent_id: Option<Uuid>,
    /// The parent's code.
    pub parent_code: Option<String>,
    /// Number of active employments in it (U8).
    pub employed: u64,
    /// X9: the descriptor file that manages it (edits are refused, 409); `null` when made at
    /// run time.
    pub managed_by: Option<String>,
}

/// A new department.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewDepartment {
    /// Code: 1–50 characters without spaces, unique in the tenant.
    pub code: String,
    /// Name: 1–200 characters.
    pub name: String,
    /// Parent department of the same organisation.
    pub parent_id: Option<Uuid>,
}

/// Changes to a department; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DepartmentPatch {
    /// New code.
    pub code: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New parent: absent keeps it, `null` makes it a top department.
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

/// Deserializes a present field (even `null`) as `Some`, so `null` differs from absent.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// Checks a code: 1–50 characters, no whitespace. Returns whether it is well-formed.
pub(crate) fn check_code(value: &str, errors: &mut Vec<FieldError>) -> bool {
    let n = value.chars().count();
    let ok = n > 0 && n <= 50 && !value.chars().any(char::is_whitespace);
    if !ok {
        errors.push(FieldError {
            field: "code".into(),
            message: "must be 1 to 50 characters without spaces".into(),
        });
    }
    ok
}

/// Checks a name: 1–200 characters, not only spaces.
pub(crate) fn check_name(value: &str, errors: &mut Vec<FieldError>) {
    if value.trim().is_empty() || value.chars().count() > 200 {
        errors.push(FieldError {
            field: "name".into(),
            message: "must be 1 to 200 characters".into(),
        });
    }
}

pub(crate) fn taken(what: &str, code: &str) -> FieldError {
    FieldError {
        field: "code".into(),
        message: format!("{what} code `{code}` is already taken"),
    }
}

async fn active_employments<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    column: employments::Column,
    id: Uuid,
) -> crate::Result<u64> {
    Ok(tenant
        .find::<employments::Entity>()
        .filter(column.eq(id))
        .filter(employments::Column::Active.eq(true))
        .count(db)
        .await?)
}

async fn view<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    o: organisations::Model,
) -> crate::Result<Organisation> {
    let departments = tenant
        .find::<departments::Entity>()
        .filter(departments::Column::OrganisationId.eq(o.id))
        .count(db)
        .await?;
    let employed =
        active_employments(db, tenant, employments::Column::OrganisationId, o.id).await?;
    Ok(Organisation {
        id: o.id,
        code: o.code,
        name: o.name,
        active: o.active,
        departments,
        employed,
        managed_by: o.managed_by,
    })
}

async fn find<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    id: Uuid,
) -> crate::Result<organisations::Model> {
    tenant
        .find_by_id::<organisations::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("organisation".into()))
}

async fn code_taken<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    code: &str,
) -> crate::Result<bool> {
    Ok(tenant
        .find::<organisations::Entity>()
        .filter(organisations::Column::Code.eq(code))
        .count(db)
        .await?
        > 0)
}

/// Every organisation of the tenant, by name.
pub async fn list(db: &DatabaseConnection, permit: &Permit) -> crate::Result<Vec<Organisation>> {
    let tenant = permit.tenant();
    let rows = tenant
        .find::<organisations::Entity>()
        .order_by_asc(organisations::Column::Name)
        .order_by_asc(organisations::Column::Code)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for o in rows {
        out.push(view(db, tenant, o).await?);
    }
    Ok(out)
}

/// One organisation.
pub async fn get(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<Organisation> {
    let tenant = permit.tenant();
    let o = find(db, tenant, id).await?;
    view(db, tenant, o).await
}

/// Creates an organisation.
pub async fn create(
    db: &DatabaseConnection,
    permit: &Permit,
    new: NewOrganisation,
) -> crate::Result<Organisation> {
    permit.require(Right::Organisations)?;
    let ctx = permit.ctx();
    let mut errors = Vec::new();
    if check_code(&new.code, &mut errors) && code_taken(db, ctx.tenant, &new.code).await? {
        errors.push(taken("organisation", &new.code));
    }
    check_name(&new.name, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let now = Utc::now();
    let txn = crate::store::begin_write(db).await?;
    let o = organisations::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant.0),
        code: Set(new.code),
        name: Set(new.name.trim().to_owned()),
        active: Set(new.active.unwrap_or(true)),
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
            entity: "organisation",
            entity_id: Some(o.id),
            action: "create",
            before: None,
            after: Some(json!({ "code": o.code, "name": o.name, "active": o.active })),
        },
    )
    .await?;
    txn.commit().await?;
    view(db, ctx.tenant, o).await
}

/// Changes an organisation, auditing the fields that changed.
pub async fn update(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    patch: OrganisationPatch,
) -> crate::Result<Organisation> {
    permit.require(Right::Organisations)?;
    let ctx = permit.ctx();
    let current = find(db, ctx.tenant, id).await?;
    refuse_if_managed("organisation", &current.code, current.managed_by.as_deref())?;
    let mut errors = Vec::new();
    if let Some(code) = &patch.code
        && check_code(code, &mut errors)
        && *code != current.code
        && code_taken(db, ctx.tenant, code).await?
    {
        errors.push(taken("organisation", code));
    }
    if let Some(name) = &patch.name {
        check_name(name, &mut errors);
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
    if let Some(active) = patch.active.filter(|a| *a != current.active) {
        before.insert("active".into(), json!(current.active));
        after.insert("active".into(), json!(active));
        row.active = Set(active);
    }
    if after.is_empty() {
        return view(db, ctx.tenant, current).await;
    }
    row.updated_at = Set(Utc::now());
    let txn = crate::store::begin_write(db).await?;
    let o = row.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "organisation",
            entity_id: Some(id),
            action: "update",
            before: Some(Value::Object(before)),
            after: Some(Value::Object(after)),
        },
    )
    .await?;
    txn.commit().await?;
    view(db, ctx.tenant, o).await
}

/// Deletes an organisation with its departments; refused while users are employed there or
/// belong to it.
pub async fn delete(db: &DatabaseConnection, permit: &Permit, id: Uuid) -> crate::Result<()> {
    permit.require(Right::Organisations)?;
    let ctx = permit.ctx();
    let o = find(db, ctx.tenant, id).await?;
    refuse_if_managed("organisation", &o.code, o.managed_by.as_deref())?;
    let employed =
        active_employments(db, ctx.tenant, employments::Column::OrganisationId, id).await?;
    let members = ctx
        .tenant
        .find::<users::Entity>()
        .filter(users::Column::OrganisationId.eq(id))
        .count(db)
        .await?;
    if employed > 0 || members > 0 {
        return Err(Error::Conflict(format!(
            "organisation `{}` still has {employed} active employment(s) and {members} user(s); \
             end or move them before deleting it",
            o.code
        )));
    }
    let txn = crate::store::begin_write(db).await?;
    audit::delete::<organisations::Entity, _>(
        &txn,
        ctx,
        "organisation",
        id,
        json!({ "code": o.code, "name": o.name, "active": o.active }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn department_views<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    rows: Vec<departments::Model>,
) -> crate::Result<Vec<Department>> {
    let parent_ids: Vec<Uuid> = rows.iter().filter_map(|d| d.parent_id).collect();
    let codes: HashMap<Uuid, String> = if parent_ids.is_empty() {
        HashMap::new()
    } else {
        tenant
            .find::<departments::Entity>()
            .filter(departments::Column::Id.is_in(parent_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.code))
            .collect()
    };
    let mut out = Vec::with_capacity(rows.len());
    for d in rows {
        let employed =
            active_employments(db, tenant, employments::Column::DepartmentId, d.id).await?;
        out.push(Department {
            parent_code: d.parent_id.and_then(|p| codes.get(&p).cloned()),
            id: d.id,
            organisation_id: d.organisation_id,
            code: d.code,
            name: d.name,
            parent_id: d.parent_id,
            employed,
            managed_by: d.managed_by,
        });
    }
    Ok(out)
}

async fn find_department<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    id: Uuid,
) -> crate::Result<departments::Model> {
    tenant
        .find_by_id::<departments::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("department".into()))
}

async fn one_department<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    d: departments::Model,
) -> crate::Result<Department> {
    department_views(db, tenant, vec![d])
        .await?
        .pop()
        .ok_or_else(|| Error::NotFound("department".into()))
}

/// The departments of an organisation, by code (the back office's "Departments" tab).
pub async fn departments(
    db: &DatabaseConnection,
    permit: &Permit,
    organisation: Uuid,
) -> crate::Result<Vec<Department>> {
    let tenant = permit.tenant();
    find(db, tenant, organisation).await?;
    let rows = tenant
        .find::<departments::Entity>()
        .filter(departments::Column::OrganisationId.eq(organisation))
        .order_by_asc(departments::Column::Code)
        .all(db)
        .await?;
    department_views(db, tenant, rows).await
}

/// One department.
pub async fn get_department(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<Department> {
    let tenant = permit.tenant();
    let d = find_department(db, tenant, id).await?;
    one_department(db, tenant, d).await
}

/// Checks that `parent` may become the parent of department `child` (None for a new one): it
/// exists in the tenant and no chain of parents loops.
async fn check_parent<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    child: Option<&departments::Model>,
    parent: Uuid,
    errors: &mut Vec<FieldError>,
) -> crate::Result<()> {
    let all = tenant.find::<departments::Entity>().all(db).await?;
    // Like the descriptor and the HR import, a parent may belong to any organisation.
    if !all.iter().any(|d| d.id == parent) {
        errors.push(FieldError {
            field: "parent_id".into(),
            message: "unknown department".into(),
        });
        return Ok(());
    }
    let Some(child) = child else {
        return Ok(());
    };
    let mut parent_of: HashMap<Uuid, Uuid> = all
        .iter()
        .filter_map(|d| d.parent_id.map(|p| (d.id, p)))
        .collect();
    parent_of.insert(child.id, parent);
    let (path, ring_at) = walk_parents(child.id, |d| parent_of.get(&d).copied(), &HashSet::new());
    if let Some(at) = ring_at {
        let codes: HashMap<Uuid, &str> = all.iter().map(|d| (d.id, d.code.as_str())).collect();
        let ring: Vec<&str> = path[at..]
            .iter()
            .map(|id| codes.get(id).copied().unwrap_or("?"))
            .collect();
        errors.push(FieldError {
            field: "parent_id".into(),
            message: format!(
                "department `{}` cannot be placed under itself or its own sub-department: this \
                 would make a cycle {}",
                child.code,
                ring_text(&ring)
            ),
        });
    }
    Ok(())
}

async fn department_code_taken<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    code: &str,
) -> crate::Result<bool> {
    Ok(tenant
        .find::<departments::Entity>()
        .filter(departments::Column::Code.eq(code))
        .count(db)
        .await?
        > 0)
}

/// Creates a department in `organisation`.
pub async fn create_department(
    db: &DatabaseConnection,
    permit: &Permit,
    organisation: Uuid,
    new: NewDepartment,
) -> crate::Result<Department> {
    permit.require(Right::Organisations)?;
    let ctx = permit.ctx();
    find(db, ctx.tenant, organisation).await?;
    let mut errors = Vec::new();
    if check_code(&new.code, &mut errors)
        && department_code_taken(db, ctx.tenant, &new.code).await?
    {
        errors.push(taken("department", &new.code));
    }
    check_name(&new.name, &mut errors);
    if let Some(p) = new.parent_id {
        check_parent(db, ctx.tenant, None, p, &mut errors).await?;
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let now = Utc::now();
    let txn = crate::store::begin_write(db).await?;
    let d = departments::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant.0),
        organisation_id: Set(organisation),
        code: Set(new.code),
        name: Set(new.name.trim().to_owned()),
        parent_id: Set(new.parent_id),
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
            entity: "department",
            entity_id: Some(d.id),
            action: "create",
            before: None,
            after: Some(json!({
                "organisation_id": organisation, "code": d.code, "name": d.name,
                "parent_id": d.parent_id,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    one_department(db, ctx.tenant, d).await
}

/// Changes a department's code, name or parent; a parent that would close a loop is refused.
pub async fn update_department(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    patch: DepartmentPatch,
) -> crate::Result<Department> {
    permit.require(Right::Organisations)?;
    let ctx = permit.ctx();
    let current = find_department(db, ctx.tenant, id).await?;
    refuse_if_managed("department", &current.code, current.managed_by.as_deref())?;
    let mut errors = Vec::new();
    if let Some(code) = &patch.code
        && check_code(code, &mut errors)
        && *code != current.code
        && department_code_taken(db, ctx.tenant, code).await?
    {
        errors.push(taken("department", code));
    }
    if let Some(name) = &patch.name {
        check_name(name, &mut errors);
    }
    if let Some(Some(p)) = patch.parent_id.filter(|p| *p != current.parent_id) {
        check_parent(db, ctx.tenant, Some(&current), p, &mut errors).await?;
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
    if let Some(parent) = patch.parent_id.filter(|p| *p != current.parent_id) {
        before.insert("parent_id".into(), json!(current.parent_id));
        after.insert("parent_id".into(), json!(parent));
        row.parent_id = Set(parent);
    }
    if after.is_empty() {
        return one_department(db, ctx.tenant, current).await;
    }
    row.updated_at = Set(Utc::now());
    let txn = crate::store::begin_write(db).await?;
    let d = row.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "department",
            entity_id: Some(id),
            action: "update",
            before: Some(Value::Object(before)),
            after: Some(Value::Object(after)),
        },
    )
    .await?;
    txn.commit().await?;
    one_department(db, ctx.tenant, d).await
}

/// Deletes a department; refused while users are employed in it or it has sub-departments.
pub async fn delete_department(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
) -> crate::Result<()> {
    permit.require(Right::Organisations)?;
    let ctx = permit.ctx();
    let d = find_department(db, ctx.tenant, id).await?;
    refuse_if_managed("department", &d.code, d.managed_by.as_deref())?;
    let employed =
        active_employments(db, ctx.tenant, employments::Column::DepartmentId, id).await?;
    if employed > 0 {
        return Err(Error::Conflict(format!(
            "department `{}` still has {employed} active employment(s); end or move them before \
             deleting it",
            d.code
        )));
    }
    let children = ctx
        .tenant
        .find::<departments::Entity>()
        .filter(departments::Column::ParentId.eq(id))
        .count(db)
        .await?;
    if children > 0 {
        return Err(Error::Conflict(format!(
            "department `{}` has {children} sub-department(s); move or delete them first",
            d.code
        )));
    }
    let txn = crate::store::begin_write(db).await?;
    audit::delete::<departments::Entity, _>(
        &txn,
        ctx,
        "department",
        id,
        json!({
            "organisation_id": d.organisation_id, "code": d.code, "name": d.name,
            "parent_id": d.parent_id,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
