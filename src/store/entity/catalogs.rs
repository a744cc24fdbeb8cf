//! `catalogs`: the catalogs of a tenant; users belong to catalogs and back-office access is scoped
//! by them (U1, B4).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A catalog.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "catalogs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// X9: the descriptor file that declares this row; `None` for a row made at run time.
    #[sea_orm(column_type = "Text")]
    pub managed_by: Option<String>,
}

/// Foreign keys of `catalogs`.
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
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

/// Through `user_catalogs`.
impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_catalogs::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::user_catalogs::Relation::Catalog.def().rev())
    }
}

/// Through `catalog_access`.
impl Related<super::backoffice_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        super::catalog_access::Relation::BackofficeAccount.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::catalog_access::Relation::Catalog.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
