//! `departments`: departments of an organisation, optionally nested under a parent department (U8,
//! I2 HR import).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A department.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub organisation_id: Uuid,
    pub code: String,
    pub name: String,
    /// Parent department (HR import column AE).
    pub parent_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// X9: the descriptor file that declares this row; `None` for a row made at run time.
    #[sea_orm(column_type = "Text")]
    pub managed_by: Option<String>,
}

/// Foreign keys of `departments`.
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
    /// The organisation the department belongs to.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "Cascade"
    )]
    Organisation,
    /// The parent department.
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::ParentId",
        to = "Column::Id",
        on_delete = "SetNull"
    )]
    Parent,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
