//! `user_groups`: groups managed by customer admins, used as filters (G1).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A user group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user_groups")]
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

/// Foreign keys of `user_groups`.
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

impl Related<super::user_group_members::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_group_members::Relation::UserGroup.def().rev()
    }
}

/// Through `user_group_members`.
impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_group_members::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::user_group_members::Relation::UserGroup.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
