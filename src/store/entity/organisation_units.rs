//! `organisation_units`: the organisation-unit tree; an OU may be a sub-tenant (T3).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An organisation unit (OU).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "organisation_units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    /// Parent OU; `None` at the root.
    pub parent_id: Option<Uuid>,
    /// T3: external ids used below a sub-tenant are unique within it.
    pub is_sub_tenant: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// X9: the descriptor file that declares this row; `None` for a row made at run time.
    #[sea_orm(column_type = "Text")]
    pub managed_by: Option<String>,
}

/// Foreign keys of `organisation_units`.
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
    /// The parent OU.
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

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        super::users::Relation::OrganisationUnit.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
