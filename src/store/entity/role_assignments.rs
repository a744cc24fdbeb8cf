//! `role_assignments`: who holds which role, anchored at an OU for OU-scoped roles (B1, B5, U7).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A role held by a portal user or a back-office account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "role_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub role_id: Uuid,
    /// Set for portal users (exactly one of this and `backoffice_account_id`).
    pub user_id: Option<Uuid>,
    pub backoffice_account_id: Option<Uuid>,
    /// Scope anchor of `subtree` / `own_ou` roles.
    pub organisation_unit_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `role_assignments`.
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
    /// The referenced `roles` row.
    #[sea_orm(
        belongs_to = "super::roles::Entity",
        from = "Column::RoleId",
        to = "super::roles::Column::Id",
        on_delete = "Cascade"
    )]
    Role,
    /// The referenced `users` row.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    /// The referenced `backoffice_accounts` row.
    #[sea_orm(
        belongs_to = "super::backoffice_accounts::Entity",
        from = "Column::BackofficeAccountId",
        to = "super::backoffice_accounts::Column::Id",
        on_delete = "Cascade"
    )]
    BackofficeAccount,
    /// The referenced `organisation_units` row.
    #[sea_orm(
        belongs_to = "super::organisation_units::Entity",
        from = "Column::OrganisationUnitId",
        to = "super::organisation_units::Column::Id",
        on_delete = "Cascade"
    )]
    OrganisationUnit,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::roles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Role.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::backoffice_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BackofficeAccount.def()
    }
}

impl Related<super::organisation_units::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrganisationUnit.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
