//! `jobs`: the durable background job queue: staged imports, dynamic groups, mail (J1).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A queued job.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `None` for system jobs.
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Json,
    /// `queued` | `running` | `done` | `failed`.
    pub state: String,
    pub priority: i32,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not before this time.
    pub run_at: DateTimeUtc,
    /// The worker holding the job.
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub last_error: Option<String>,
    /// Unique per kind; a tenant job's key includes the tenant id.
    pub dedup_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Foreign keys of `jobs`.
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

impl ActiveModelBehavior for ActiveModel {}
