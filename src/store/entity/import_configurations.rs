//! `import_configurations`: a tenant's column mappings per import kind (I1, I2).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An import configuration.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "import_configurations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    /// Built-in kind: standard users, personal budget, extended properties, HR.
    pub kind: String,
    /// `csv` | `xml`.
    pub format: String,
    pub delimiter: String,
    pub has_header: bool,
    /// Columns by header name or spreadsheet letter.
    #[sea_orm(column_type = "JsonBinary")]
    pub mapping: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub options: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// X9: the descriptor file that declares this row; `None` for a row made at run time.
    #[sea_orm(column_type = "Text")]
    pub managed_by: Option<String>,
}

/// Foreign keys of `import_configurations`.
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

impl Related<super::imports::Entity> for Entity {
    fn to() -> RelationDef {
        super::imports::Relation::ImportConfiguration.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
