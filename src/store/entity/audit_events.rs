//! `audit_events`: the audit trail: who changed what, when, through which channel (X3).
//! Append-only.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An audit event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub occurred_at: DateTimeUtc,
    /// `backoffice` | `user` | `token` | `system` | `operator`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: Option<String>,
    /// `web` | `api` | `import` | `scim` | `job` | `cli`.
    pub source: String,
    /// The kind of thing changed, e.g. `user`.
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub action: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub before: Option<Json>,
    #[sea_orm(column_type = "JsonBinary")]
    pub after: Option<Json>,
    pub request_id: Option<String>,
}

/// Foreign keys of `audit_events`.
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
