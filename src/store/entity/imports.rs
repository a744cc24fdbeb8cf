//! `imports`: one uploaded or staged import file, its run state and counts (I7–I9).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An import.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub import_configuration_id: Option<Uuid>,
    pub kind: String,
    /// `staged` | `running` | `done` | `failed`.
    pub state: String,
    /// I7: check and report only, write nothing.
    pub simulate: bool,
    pub file_name: String,
    /// I9: the staged file, until the import has run.
    #[sea_orm(column_type = "Blob")]
    pub content: Option<Vec<u8>>,
    pub started_by_backoffice_account_id: Option<Uuid>,
    /// I8: mail the report to whoever started the import.
    pub mail_report: bool,
    pub total_rows: i32,
    pub created_count: i32,
    pub updated_count: i32,
    pub unchanged_count: i32,
    pub error_count: i32,
    /// Why the whole import failed, if it did.
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

/// Foreign keys of `imports`.
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
    /// The referenced `import_configurations` row.
    #[sea_orm(
        belongs_to = "super::import_configurations::Entity",
        from = "Column::ImportConfigurationId",
        to = "super::import_configurations::Column::Id",
        on_delete = "SetNull"
    )]
    ImportConfiguration,
    /// The back-office account that started the import.
    #[sea_orm(
        belongs_to = "super::backoffice_accounts::Entity",
        from = "Column::StartedByBackofficeAccountId",
        to = "super::backoffice_accounts::Column::Id",
        on_delete = "SetNull"
    )]
    StartedBy,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::import_configurations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ImportConfiguration.def()
    }
}

impl Related<super::backoffice_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StartedBy.def()
    }
}

impl Related<super::import_rows::Entity> for Entity {
    fn to() -> RelationDef {
        super::import_rows::Relation::Import.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
