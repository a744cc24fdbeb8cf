//! `learning_activities`: courses and other activities users enroll in (R5).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A learning activity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "learning_activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub code: String,
    pub title: String,
    pub catalog_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// X9: the descriptor file that declares this row; `None` for a row made at run time.
    #[sea_orm(column_type = "Text")]
    pub managed_by: Option<String>,
}

/// Foreign keys of `learning_activities`.
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
    /// The referenced `catalogs` row.
    #[sea_orm(
        belongs_to = "super::catalogs::Entity",
        from = "Column::CatalogId",
        to = "super::catalogs::Column::Id",
        on_delete = "SetNull"
    )]
    Catalog,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::catalogs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Catalog.def()
    }
}

impl Related<super::executions::Entity> for Entity {
    fn to() -> RelationDef {
        super::executions::Relation::LearningActivity.def().rev()
    }
}

/// Through `enrollment_profile_activities`.
impl Related<super::enrollment_profiles::Entity> for Entity {
    fn to() -> RelationDef {
        super::enrollment_profile_activities::Relation::EnrollmentProfile.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::enrollment_profile_activities::Relation::LearningActivity
                .def()
                .rev(),
        )
    }
}

impl ActiveModelBehavior for ActiveModel {}
