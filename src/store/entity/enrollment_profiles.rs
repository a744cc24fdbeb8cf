//! `enrollment_profiles`: named bundles of learning activities assigned to users (U1, I5).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An enrollment profile.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "enrollment_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// X9: the descriptor file that declares this row; `None` for a row made at run time.
    #[sea_orm(column_type = "Text")]
    pub managed_by: Option<String>,
}

/// Foreign keys of `enrollment_profiles`.
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

/// Through `enrollment_profile_activities`.
impl Related<super::learning_activities::Entity> for Entity {
    fn to() -> RelationDef {
        super::enrollment_profile_activities::Relation::LearningActivity.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::enrollment_profile_activities::Relation::EnrollmentProfile
                .def()
                .rev(),
        )
    }
}

/// Through `user_enrollment_profiles`.
impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_enrollment_profiles::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::user_enrollment_profiles::Relation::EnrollmentProfile
                .def()
                .rev(),
        )
    }
}

impl ActiveModelBehavior for ActiveModel {}
