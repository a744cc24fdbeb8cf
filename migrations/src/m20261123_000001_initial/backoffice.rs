//! Back-office accounts, roles and rights (B1–B6): accounts, roles with their rights, role
//! assignments (to portal users or back-office accounts, anchored at an OU for scoped roles) and
//! catalog access (B4).

use sea_orm_migration::{prelude::*, schema::*};

use super::builder::{TableDef, table};
use super::tenancy::{Catalogs, OrganisationUnits};
use super::users::Users;

/// `backoffice_accounts`: back-office (LMS) users (B1, B2).
#[derive(DeriveIden)]
pub(crate) enum BackofficeAccounts {
    Table,
    Id,
    TenantId,
    Login,
    FirstName,
    LastName,
    Email,
    PasswordHash,
    MustChangePassword,
    IsAdministrator,
    CourseSystemRole,
    AllCatalogs,
    Active,
    UserId,
    Language,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

/// `roles`: back-office and portal roles of a tenant (B3, B5).
#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    Kind,
    Scope,
    IsAdministrator,
    IsBuiltin,
    Description,
    CreatedAt,
    UpdatedAt,
}

/// `role_rights`: the rights a role carries (B3).
#[derive(DeriveIden)]
enum RoleRights {
    Table,
    Id,
    TenantId,
    RoleId,
    Right,
    CreatedAt,
}

/// `role_assignments`: who holds which role, anchored at an OU for OU-scoped roles (B5).
#[derive(DeriveIden)]
enum RoleAssignments {
    Table,
    Id,
    TenantId,
    RoleId,
    UserId,
    BackofficeAccountId,
    OrganisationUnitId,
    CreatedAt,
}

/// `catalog_access`: the catalogs a back-office account may see (B4).
#[derive(DeriveIden)]
enum CatalogAccess {
    Table,
    Id,
    TenantId,
    BackofficeAccountId,
    CatalogId,
    CreatedAt,
}

/// The tables of this area, in creation order.
pub(crate) fn tables() -> Vec<TableDef> {
    vec![
        backoffice_accounts(),
        roles(),
        role_rights(),
        role_assignments(),
        catalog_access(),
    ]
}

fn backoffice_accounts() -> TableDef {
    use BackofficeAccounts as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string_len(T::Login, 100))
        .col(string(T::FirstName))
        .col(string(T::LastName))
        .col(string_len_null(T::Email, 255))
        .col(text_null(T::PasswordHash))
        .col(boolean(T::MustChangePassword).default(false))
        .col(boolean(T::IsAdministrator).default(false))
        // B1: role in the connected course system (the seed's "Moodle access").
        .col(string_null(T::CourseSystemRole))
        // B4: access to every catalog, overriding catalog_access.
        .col(boolean(T::AllCatalogs).default(false))
        .col(boolean(T::Active).default(true))
        // B2: the portal user this account belongs to.
        .col(uuid_null(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::SetNull)
        .col(string_null(T::Language))
        .col(timestamp_with_time_zone_null(T::LastLoginAt))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        // Exception to the tenant_id-first rule: back-office logins are unique system-wide and
        // looked up before the tenant is known.
        .unique([T::Login])
        .unique([T::TenantId, T::UserId])
        .index([T::TenantId, T::Email])
}

fn roles() -> TableDef {
    use Roles as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string(T::Code))
        .col(string(T::Name))
        // 'backoffice' | 'portal'
        .col(string(T::Kind))
        // 'tenant' | 'subtree' | 'own_ou' | 'assigned_learners' | 'self'
        .col(string(T::Scope))
        .col(boolean(T::IsAdministrator).default(false))
        .col(boolean(T::IsBuiltin).default(false))
        .col(text_null(T::Description))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::Code])
}

fn role_rights() -> TableDef {
    use RoleRights as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::RoleId))
        .fk(T::RoleId, Roles::Table, ForeignKeyAction::Cascade)
        .col(string(T::Right))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .unique([T::TenantId, T::RoleId, T::Right])
}

fn role_assignments() -> TableDef {
    use RoleAssignments as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::RoleId))
        .fk(T::RoleId, Roles::Table, ForeignKeyAction::Cascade)
        // Exactly one of user_id / backoffice_account_id is set (checked by the domain).
        .col(uuid_null(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::Cascade)
        .col(uuid_null(T::BackofficeAccountId))
        .fk(
            T::BackofficeAccountId,
            BackofficeAccounts::Table,
            ForeignKeyAction::Cascade,
        )
        // Scope anchor of OU-scoped roles (subtree, own_ou).
        .col(uuid_null(T::OrganisationUnitId))
        .fk(
            T::OrganisationUnitId,
            OrganisationUnits::Table,
            ForeignKeyAction::Cascade,
        )
        .col(timestamp_with_time_zone(T::CreatedAt))
        .index([T::TenantId, T::UserId])
        .index([T::TenantId, T::BackofficeAccountId])
        .index([T::TenantId, T::RoleId])
}

fn catalog_access() -> TableDef {
    use CatalogAccess as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::BackofficeAccountId))
        .fk(
            T::BackofficeAccountId,
            BackofficeAccounts::Table,
            ForeignKeyAction::Cascade,
        )
        .col(uuid(T::CatalogId))
        .fk(T::CatalogId, Catalogs::Table, ForeignKeyAction::Cascade)
        .col(timestamp_with_time_zone(T::CreatedAt))
        .unique([T::TenantId, T::BackofficeAccountId, T::CatalogId])
}
