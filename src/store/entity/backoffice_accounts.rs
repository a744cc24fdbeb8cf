//! `backoffice_accounts`: back-office (LMS) users with their login, administrator flag and catalog
//! scope (B1, B2, B4, B6).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A back-office account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "backoffice_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    /// Unique system-wide.
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub login: String,
    pub first_name: String,
    pub last_name: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub email: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    /// B1: grants the Administrator role.
    pub is_administrator: bool,
    /// B1: role in the connected course system (the seed's "Moodle access").
    pub course_system_role: Option<String>,
    /// B4: access to every catalog, overriding `catalog_access`.
    pub all_catalogs: bool,
    /// B2: usually created inactive for a portal user, then activated.
    pub active: bool,
    /// B2: the linked portal user.
    pub user_id: Option<Uuid>,
    pub language: Option<String>,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Foreign keys of `backoffice_accounts`.
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
    /// The linked portal user.
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

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::role_assignments::Entity> for Entity {
    fn to() -> RelationDef {
        super::role_assignments::Relation::BackofficeAccount
            .def()
            .rev()
    }
}

impl Related<super::api_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        super::api_tokens::Relation::BackofficeAccount.def().rev()
    }
}

/// Through `catalog_access`.
impl Related<super::catalogs::Entity> for Entity {
    fn to() -> RelationDef {
        super::catalog_access::Relation::Catalog.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::catalog_access::Relation::BackofficeAccount
                .def()
                .rev(),
        )
    }
}

impl ActiveModelBehavior for ActiveModel {}
