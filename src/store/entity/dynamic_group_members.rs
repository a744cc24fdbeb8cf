//! `dynamic_group_members`: the users a dynamic group's last run matched (G2).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A user matched by a dynamic group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dynamic_group_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub dynamic_group_id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `dynamic_group_members`.
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
    /// The referenced `dynamic_groups` row.
    #[sea_orm(
        belongs_to = "super::dynamic_groups::Entity",
        from = "Column::DynamicGroupId",
        to = "super::dynamic_groups::Column::Id",
        on_delete = "Cascade"
    )]
    DynamicGroup,
    /// The referenced `users` row.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::dynamic_groups::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DynamicGroup.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
