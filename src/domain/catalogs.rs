//! The catalogs of a tenant (U1 catalog membership, B4 catalog scoping): listed with their
//! number of users, created and renamed by administrators holding the settings right. A
//! catalog's code is its identity in descriptors, imports and scopes, so it cannot change here.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Change};
use super::organisations::{check_code, check_name, taken};
use crate::authz::{Permit, Right};
use crate::error::Error;
use crate::store::TenantId;
use crate::store::entity::{catalogs, user_catalogs};
use crate::tenancy::ownership::refuse_if_managed;

/// A catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Catalog {
    /// Id.
    pub id: Uuid,
    /// Code, unique in the tenant.
    pub code: String,
    /// Name.
    pub name: String,
    /// Users in the catalog.
    pub users: u64,
    /// X9: the descriptor file that manages the catalog (renamed there); `None` for one made
    /// at run time.
    pub managed_by: Option<String>,
}

/// A new catalog.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewCatalog {
    /// Code: 1–50 characters without spaces, unique in the tenant.
    pub code: String,
    /// Name: 1–200 characters.
    pub name: String,
}

/// A catalog's new name.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogRename {
    /// Name: 1–200 characters.
    pub name: String,
}

async fn view(
    db: &DatabaseConnection,
    tenant: TenantId,
    c: catalogs::Model,
) -> crate::Result<Catalog> {
    let users = tenant
        .find::<user_catalogs::Entity>()
        .filter(user_catalogs::Column::CatalogId.eq(c.id))
        .count(db)
        .await?;
    Ok(Catalog {
        id: c.id,
        code: c.code,
        name: c.name,
        users,
        managed_by: c.managed_by,
    })
}

/// Every catalog of the tenant, by code.
pub async fn list(db: &DatabaseConnection, permit: &Permit) -> crate::Result<Vec<Catalog>> {
    let tenant = permit.tenant();
    let rows = tenant
        .find::<catalogs::Entity>()
        .order_by_asc(catalogs::Column::Code)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for c in rows {
        out.push(view(db, tenant, c).await?);
    }
    Ok(out)
}

/// Creates a catalog.
pub async fn create(
    db: &DatabaseConnection,
    permit: &Permit,
    new: NewCatalog,
) -> crate::Result<Catalog> {
    permit.require(Right::Settings)?;
    let ctx = permit.ctx();
    let mut errors = Vec::new();
    if check_code(&new.code, &mut errors)
        && ctx
            .tenant
            .find::<catalogs::Entity>()
            .filter(catalogs::Column::Code.eq(new.code.as_str()))
            .count(db)
            .await?
            > 0
    {
        errors.push(taken("catalog", &new.code));
    }
    check_name(&new.name, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let now = Utc::now();
    let txn = crate::store::begin_write(db).await?;
    let c = catalogs::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant.0),
        code: Set(new.code),
        name: Set(new.name.trim().to_owned()),
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
            entity: "catalog",
            entity_id: Some(c.id),
            action: "create",
            before: None,
            after: Some(json!({ "code": c.code, "name": c.name })),
        },
    )
    .await?;
    txn.commit().await?;
    view(db, ctx.tenant, c).await
}

/// Renames a catalog.
pub async fn rename(
    db: &DatabaseConnection,
    permit: &Permit,
    id: Uuid,
    r: CatalogRename,
) -> crate::Result<Catalog> {
    permit.require(Right::Settings)?;
    let ctx = permit.ctx();
    let current = ctx
        .tenant
        .find_by_id::<catalogs::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("catalog".into()))?;
    refuse_if_managed("catalog", &current.code, current.managed_by.as_deref())?;
    let mut errors = Vec::new();
    check_name(&r.name, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let name = r.name.trim().to_owned();
    if name == current.name {
        return view(db, ctx.tenant, current).await;
    }
    let before = current.name.clone();
    let mut row = current.into_active_model();
    row.name = Set(name.clone());
    row.updated_at = Set(Utc::now());
    let txn = crate::store::begin_write(db).await?;
    let c = row.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        Change {
            entity: "catalog",
            entity_id: Some(id),
            action: "update",
            before: Some(json!({ "name": before })),
            after: Some(json!({ "name": name })),
        },
    )
    .await?;
    txn.commit().await?;
    view(db, ctx.tenant, c).await
}
