//! `api_tokens`: bearer tokens of back-office accounts for the JSON API and SCIM, stored hashed
//! (X1, X2).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An API token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    pub backoffice_account_id: Uuid,
    pub name: String,
    /// Hash of the token; unique system-wide.
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

/// Foreign keys of `api_tokens`.
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
    /// The referenced `backoffice_accounts` row.
    #[sea_orm(
        belongs_to = "super::backoffice_accounts::Entity",
        from = "Column::BackofficeAccountId",
        to = "super::backoffice_accounts::Column::Id",
        on_delete = "Cascade"
    )]
    BackofficeAccount,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::backoffice_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BackofficeAccount.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
