//! `catalog_access`: the catalogs a back-office account may see (B4).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A catalog a back-office account has access to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "catalog_access")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub backoffice_account_id: Uuid,
    pub catalog_id: Uuid,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `catalog_access`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The owning tenant.
    #[sea_orm(
        belongs_to = "super::tenants::Entity",
        from = "Column::TenantId",
        to = "super::tenants::Column::Id",
        on_delete = "Cascade"
    )]
    Tenant,
    /// The referenced `backoffice_accounts` row.
    #[sea_orm(
        belongs_to = "super::backoffice_accounts::Entity",
        from = "Column::BackofficeAccountId",
        to = "super::backoffice_accounts::Column::Id",
        on_delete = "Cascade"
    )]
    BackofficeAccount,
    /// The referenced `catalogs` row.
    #[sea_orm(
        belongs_to = "super::catalogs::Entity",
        from = "Column::CatalogId",
        to = "super::catalogs::Column::Id",
        on_delete = "Cascade"
    )]
    Catalog,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::backoffice_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BackofficeAccount.def()
    }
}

impl Related<super::catalogs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Catalog.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
