//! `executions`: dated runs of a learning activity that users enroll in (R5).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An execution of a learning activity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "executions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub learning_activity_id: Uuid,
    pub code: String,
    pub title: Option<String>,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub location: Option<String>,
    pub capacity: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// X9: the descriptor file that declares this row; `None` for a row made at run time.
    #[sea_orm(column_type = "Text")]
    pub managed_by: Option<String>,
}

/// Foreign keys of `executions`.
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

impl Related<super::learning_activities::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LearningActivity.def()
    }
}

impl Related<super::enrollments::Entity> for Entity {
    fn to() -> RelationDef {
        super::enrollments::Relation::Execution.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
