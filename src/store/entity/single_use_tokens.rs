//! `single_use_tokens`: set-password, reset, confirmation, approval and invitation links, stored
//! hashed (R3, R5, R7, U3).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A single-use link token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "single_use_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    /// `set_password` | `password_reset` | `email_confirmation` | `approval` | `invitation`.
    pub purpose: String,
    /// Hash of the token; unique system-wide, looked up before the tenant is known.
    pub token_hash: String,
    pub user_id: Option<Uuid>,
    pub backoffice_account_id: Option<Uuid>,
    /// E.g. R5: where to return after registration.
    #[sea_orm(column_type = "JsonBinary")]
    pub data: Option<Json>,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

/// Foreign keys of `single_use_tokens`.
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
    /// The referenced `users` row.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
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

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::backoffice_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BackofficeAccount.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
