//! `user_enrollment_profiles`: enrollment profiles assigned to a user (U1, I5).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An enrollment profile assigned to a user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user_enrollment_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub enrollment_profile_id: Uuid,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `user_enrollment_profiles`.
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
    /// The referenced `enrollment_profiles` row.
    #[sea_orm(
        belongs_to = "super::enrollment_profiles::Entity",
        from = "Column::EnrollmentProfileId",
        to = "super::enrollment_profiles::Column::Id",
        on_delete = "Cascade"
    )]
    EnrollmentProfile,
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

impl Related<super::enrollment_profiles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EnrollmentProfile.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
