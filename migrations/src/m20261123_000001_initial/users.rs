//! Portal / catalog users (U1–U10): the users themselves, their catalog memberships,
//! employments (U8), personal budgets and extended properties (U9).

use sea_orm_migration::{prelude::*, schema::*};

use super::builder::{TableDef, table};
use super::tenancy::{Catalogs, Departments, OrganisationUnits, Organisations};

/// `users`: portal / catalog users with every U1 field, plus login and registration state.
#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    TenantId,
    Login,
    UserNumber,
    ExternalId,
    ExternalIdScope,
    FirstName,
    MiddleName,
    LastName,
    Title,
    Email,
    OrganisationUnitId,
    PersonnelNumber,
    CompanyRole,
    OrganisationId,
    Area,
    Department,
    CostCentre,
    #[sea_orm(iden = "data_field_01")]
    DataField01,
    #[sea_orm(iden = "data_field_02")]
    DataField02,
    #[sea_orm(iden = "data_field_03")]
    DataField03,
    Language,
    SuperiorId,
    PrivacyPolicyAcceptedAt,
    Active,
    PasswordHash,
    MustChangePassword,
    EmailConfirmedAt,
    RegistrationState,
    SelfRegistered,
    RegistrationData,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

/// `user_catalogs`: which catalogs a user belongs to (U1, B4).
#[derive(DeriveIden)]
enum UserCatalogs {
    Table,
    Id,
    TenantId,
    UserId,
    CatalogId,
    CreatedAt,
}

/// `employments`: a user works in a department under an organisation (U8).
#[derive(DeriveIden)]
enum Employments {
    Table,
    Id,
    TenantId,
    UserId,
    OrganisationId,
    DepartmentId,
    JobTitle,
    StartsOn,
    EndsOn,
    Active,
    CreatedAt,
    UpdatedAt,
}

/// `personal_budgets`: one budget amount per user (U9, POB import).
#[derive(DeriveIden)]
enum PersonalBudgets {
    Table,
    Id,
    TenantId,
    UserId,
    AmountCents,
    Currency,
    CreatedAt,
    UpdatedAt,
}

/// `extended_properties`: free property/value pairs per user (U9).
#[derive(DeriveIden)]
enum ExtendedProperties {
    Table,
    Id,
    TenantId,
    UserId,
    Name,
    Value,
    CreatedAt,
    UpdatedAt,
}

/// The tables of this area, in creation order.
pub(crate) fn tables() -> Vec<TableDef> {
    vec![
        users(),
        user_catalogs(),
        employments(),
        personal_budgets(),
        extended_properties(),
    ]
}

fn users() -> TableDef {
    use Users as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string_len(T::Login, 100))
        .col(string_null(T::UserNumber))
        .col(string_null(T::ExternalId))
        // T3: '' = the external id is unique at tenant level; otherwise the id of the
        // sub-tenant OU it is unique in.
        .col(string(T::ExternalIdScope).default(""))
        .col(string_len(T::FirstName, 50))
        .col(string_len_null(T::MiddleName, 50))
        .col(string_len(T::LastName, 50))
        .col(string_len_null(T::Title, 50))
        .col(string_len_null(T::Email, 255))
        .col(uuid_null(T::OrganisationUnitId))
        .fk(
            T::OrganisationUnitId,
            OrganisationUnits::Table,
            ForeignKeyAction::SetNull,
        )
        .col(string_null(T::PersonnelNumber))
        .col(string_null(T::CompanyRole))
        .col(uuid_null(T::OrganisationId))
        .fk(
            T::OrganisationId,
            Organisations::Table,
            ForeignKeyAction::SetNull,
        )
        .col(string_null(T::Area))
        .col(string_null(T::Department))
        .col(string_null(T::CostCentre))
        .col(string_len_null(T::DataField01, 255))
        .col(string_len_null(T::DataField02, 255))
        .col(string_len_null(T::DataField03, 255))
        .col(string_len_null(T::Language, 16))
        .col(uuid_null(T::SuperiorId))
        .fk(T::SuperiorId, T::Table, ForeignKeyAction::SetNull)
        .col(timestamp_with_time_zone_null(T::PrivacyPolicyAcceptedAt))
        .col(boolean(T::Active).default(true))
        .col(text_null(T::PasswordHash))
        .col(boolean(T::MustChangePassword).default(false))
        .col(timestamp_with_time_zone_null(T::EmailConfirmedAt))
        // active | pending_confirmation | pending_approval | rejected (R3).
        .col(string(T::RegistrationState).default("active"))
        .col(boolean(T::SelfRegistered).default(false))
        .col(json_binary_null(T::RegistrationData))
        .col(timestamp_with_time_zone_null(T::LastLoginAt))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        // Exception to the tenant_id-first rule: U1 login names are unique system-wide,
        // and login happens before the tenant is known.
        .unique([T::Login])
        .unique([T::TenantId, T::UserNumber])
        .unique([T::TenantId, T::ExternalIdScope, T::ExternalId])
        .index([T::TenantId, T::LastName, T::FirstName])
        .index([T::TenantId, T::Email])
        .index([T::TenantId, T::OrganisationUnitId])
        .index([T::TenantId, T::SuperiorId])
}

fn user_catalogs() -> TableDef {
    use UserCatalogs as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::Cascade)
        .col(uuid(T::CatalogId))
        .fk(T::CatalogId, Catalogs::Table, ForeignKeyAction::Cascade)
        .col(timestamp_with_time_zone(T::CreatedAt))
        .unique([T::TenantId, T::UserId, T::CatalogId])
        .index([T::TenantId, T::CatalogId])
}

fn employments() -> TableDef {
    use Employments as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::Cascade)
        .col(uuid(T::OrganisationId))
        .fk(
            T::OrganisationId,
            Organisations::Table,
            ForeignKeyAction::Cascade,
        )
        .col(uuid_null(T::DepartmentId))
        .fk(
            T::DepartmentId,
            Departments::Table,
            ForeignKeyAction::SetNull,
        )
        .col(string_null(T::JobTitle))
        .col(date_null(T::StartsOn))
        .col(date_null(T::EndsOn))
        .col(boolean(T::Active).default(true))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .index([T::TenantId, T::UserId, T::Active])
}

fn personal_budgets() -> TableDef {
    use PersonalBudgets as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::Cascade)
        .col(big_integer(T::AmountCents))
        .col(string_len(T::Currency, 3).default("EUR"))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::UserId])
}

fn extended_properties() -> TableDef {
    use ExtendedProperties as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::Cascade)
        .col(string(T::Name))
        .col(text(T::Value))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::UserId, T::Name])
        .index([T::TenantId, T::Name])
}
