//! `roles`: back-office and portal roles of a tenant with their scope (B3, B5).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A role.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "roles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    /// `backoffice` | `portal`.
    pub kind: String,
    /// `tenant` | `subtree` | `own_ou` | `assigned_learners` | `self`.
    pub scope: String,
    pub is_administrator: bool,
    pub is_builtin: bool,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// X9: the descriptor file that declares this row; `None` for a row made at run time.
    #[sea_orm(column_type = "Text")]
    pub managed_by: Option<String>,
}

/// Foreign keys of `roles`.
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

impl Related<super::role_rights::Entity> for Entity {
    fn to() -> RelationDef {
        super::role_rights::Relation::Role.def().rev()
    }
}

impl Related<super::role_assignments::Entity> for Entity {
    fn to() -> RelationDef {
        super::role_assignments::Relation::Role.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
