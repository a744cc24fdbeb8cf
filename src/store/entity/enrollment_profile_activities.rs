//! `enrollment_profile_activities`: the learning activities an enrollment profile contains (I5).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A learning activity in an enrollment profile.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "enrollment_profile_activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub enrollment_profile_id: Uuid,
    pub learning_activity_id: Uuid,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `enrollment_profile_activities`.
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
    /// The referenced `enrollment_profiles` row.
    #[sea_orm(
        belongs_to = "super::enrollment_profiles::Entity",
        from = "Column::EnrollmentProfileId",
        to = "super::enrollment_profiles::Column::Id",
        on_delete = "Cascade"
    )]
    EnrollmentProfile,
    /// The referenced `learning_activities` row.
    #[sea_orm(
        belongs_to = "super::learning_activities::Entity",
        from = "Column::LearningActivityId",
        to = "super::learning_activities::Column::Id",
        on_delete = "Cascade"
    )]
    LearningActivity,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::enrollment_profiles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EnrollmentProfile.def()
    }
}

impl Related<super::learning_activities::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LearningActivity.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
