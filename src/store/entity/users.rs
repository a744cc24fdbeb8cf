//! `users`: portal / catalog users with every U1 field, their login and registration state (U1–U10,
//! T3, R3).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A portal / catalog user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owning tenant (T4).
    pub tenant_id: Uuid,
    /// U1: unique system-wide, up to 100 characters.
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub login: String,
    /// Unique within the tenant (U3).
    pub user_number: Option<String>,
    /// U4: the first identification key.
    pub external_id: Option<String>,
    /// T3: `""` when the external id is unique at tenant level, else the id of the sub-tenant OU it
    /// is unique in.
    pub external_id_scope: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub first_name: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub middle_name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub last_name: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub title: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub email: Option<String>,
    pub organisation_unit_id: Option<Uuid>,
    pub personnel_number: Option<String>,
    pub company_role: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub area: Option<String>,
    /// Free-text department (U1); employments link real departments (U8).
    pub department: Option<String>,
    pub cost_centre: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub data_field_01: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub data_field_02: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub data_field_03: Option<String>,
    /// Language mails are sent in (J2).
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub language: Option<String>,
    /// U7: the user's superior.
    pub superior_id: Option<Uuid>,
    /// R6: when a self-registrant accepted the privacy policy.
    pub privacy_policy_accepted_at: Option<DateTimeUtc>,
    /// U6: deactivated users cannot log in.
    pub active: bool,
    /// argon2id PHC string; `None` until a password is set.
    #[sea_orm(column_type = "Text")]
    pub password_hash: Option<String>,
    /// B6, R7: force a change at next login.
    pub must_change_password: bool,
    pub email_confirmed_at: Option<DateTimeUtc>,
    /// R3: `active` | `pending_confirmation` | `pending_approval` | `rejected`.
    pub registration_state: String,
    pub self_registered: bool,
    /// R2: registration form fields without a column of their own.
    #[sea_orm(column_type = "JsonBinary")]
    pub registration_data: Option<Json>,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Foreign keys of `users`.
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
    /// The user's OU.
    #[sea_orm(
        belongs_to = "super::organisation_units::Entity",
        from = "Column::OrganisationUnitId",
        to = "super::organisation_units::Column::Id",
        on_delete = "SetNull"
    )]
    OrganisationUnit,
    /// The user's organisation.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "SetNull"
    )]
    Organisation,
    /// The user's superior (U7).
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::SuperiorId",
        to = "Column::Id",
        on_delete = "SetNull"
    )]
    Superior,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::organisation_units::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrganisationUnit.def()
    }
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::user_catalogs::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_catalogs::Relation::User.def().rev()
    }
}

impl Related<super::employments::Entity> for Entity {
    fn to() -> RelationDef {
        super::employments::Relation::User.def().rev()
    }
}

impl Related<super::personal_budgets::Entity> for Entity {
    fn to() -> RelationDef {
        super::personal_budgets::Relation::User.def().rev()
    }
}

impl Related<super::extended_properties::Entity> for Entity {
    fn to() -> RelationDef {
        super::extended_properties::Relation::User.def().rev()
    }
}

impl Related<super::user_group_members::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_group_members::Relation::User.def().rev()
    }
}

impl Related<super::role_assignments::Entity> for Entity {
    fn to() -> RelationDef {
        super::role_assignments::Relation::User.def().rev()
    }
}

impl Related<super::enrollments::Entity> for Entity {
    fn to() -> RelationDef {
        super::enrollments::Relation::User.def().rev()
    }
}

/// Through `user_catalogs`.
impl Related<super::catalogs::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_catalogs::Relation::Catalog.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::user_catalogs::Relation::User.def().rev())
    }
}

/// Through `user_group_members`.
impl Related<super::user_groups::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_group_members::Relation::UserGroup.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::user_group_members::Relation::User.def().rev())
    }
}

/// Through `dynamic_group_members`.
impl Related<super::dynamic_groups::Entity> for Entity {
    fn to() -> RelationDef {
        super::dynamic_group_members::Relation::DynamicGroup.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::dynamic_group_members::Relation::User.def().rev())
    }
}

/// Through `user_enrollment_profiles`.
impl Related<super::enrollment_profiles::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_enrollment_profiles::Relation::EnrollmentProfile.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::user_enrollment_profiles::Relation::User.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
