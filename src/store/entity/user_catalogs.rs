//! `user_catalogs`: which catalogs a user belongs to (U1, B4).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A user's membership in a catalog.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user_catalogs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub catalog_id: Uuid,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `user_catalogs`.
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
    /// The referenced `users` row.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
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

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::catalogs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Catalog.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
