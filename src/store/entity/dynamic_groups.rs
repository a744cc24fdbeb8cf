//! `dynamic_groups`: rule-based learning groups refreshed by a scheduled job (G2).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A dynamic learning group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dynamic_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    /// The rules over user attributes, properties, department, OU …
    #[sea_orm(column_type = "JsonBinary")]
    pub criteria: Json,
    pub active: bool,
    pub last_run_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Foreign keys of `dynamic_groups`.
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

impl Related<super::dynamic_group_members::Entity> for Entity {
    fn to() -> RelationDef {
        super::dynamic_group_members::Relation::DynamicGroup
            .def()
            .rev()
    }
}

/// Through `dynamic_group_members`.
impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        super::dynamic_group_members::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::dynamic_group_members::Relation::DynamicGroup
                .def()
                .rev(),
        )
    }
}

impl ActiveModelBehavior for ActiveModel {}
