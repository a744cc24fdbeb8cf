//! `import_rows`: the per-row report of an import (I8).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of an import report.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "import_rows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub import_id: Uuid,
    /// The first line of the record (or run of records) this row reports.
    pub line_no: i32,
    /// I8: the last line of a run of consecutive unchanged records reported as one row;
    /// `None` for a single record.
    pub last_line_no: Option<i32>,
    /// How many records the row reports (1 unless a run).
    pub line_count: i32,
    /// `created` | `updated` | `unchanged` | `error`.
    pub outcome: String,
    /// U4: which key identified the user.
    pub matched_by: Option<String>,
    pub user_id: Option<Uuid>,
    /// Changed fields, for `updated`.
    #[sea_orm(column_type = "JsonBinary")]
    pub changes: Option<Json>,
    /// Why, for `error`.
    #[sea_orm(column_type = "Text")]
    pub message: Option<String>,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `import_rows`.
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
    /// The referenced `imports` row.
    #[sea_orm(
        belongs_to = "super::imports::Entity",
        from = "Column::ImportId",
        to = "super::imports::Column::Id",
        on_delete = "Cascade"
    )]
    Import,
    /// The referenced `users` row.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    User,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::imports::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Import.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
