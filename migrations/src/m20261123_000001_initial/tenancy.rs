//! Tenancy (T1–T4): tenants, their catalogs, organisations with departments (U8, U10) and the
//! organisation-unit tree with sub-tenant flags (T3).

use sea_orm_migration::{prelude::*, schema::*};

use super::builder::{TableDef, table};

/// `tenants`: one row per customer tenant, applied from its descriptor (T1, T2).
#[derive(DeriveIden)]
pub(crate) enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    DefaultLanguage,
    Languages,
    Settings,
    Descriptor,
    DescriptorHash,
    PolicyVersion,
    Active,
    CreatedAt,
    UpdatedAt,
}

/// `catalogs`: the catalogs of a tenant (U1, B4).
#[derive(DeriveIden)]
pub(crate) enum Catalogs {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    CreatedAt,
    UpdatedAt,
}

/// `organisations`: organisations users and employments belong to (U8, U10).
#[derive(DeriveIden)]
pub(crate) enum Organisations {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    Active,
    CreatedAt,
    UpdatedAt,
}

/// `departments`: departments of an organisation, optionally nested (U8, I2 HR).
#[derive(DeriveIden)]
pub(crate) enum Departments {
    Table,
    Id,
    TenantId,
    OrganisationId,
    Code,
    Name,
    ParentId,
    CreatedAt,
    UpdatedAt,
}

/// `organisation_units`: the OU tree; an OU may be a sub-tenant (T3).
#[derive(DeriveIden)]
pub(crate) enum OrganisationUnits {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    ParentId,
    IsSubTenant,
    CreatedAt,
    UpdatedAt,
}

/// The tables of this area, in creation order.
pub(crate) fn tables() -> Vec<TableDef> {
    vec![
        tenants(),
        catalogs(),
        organisations(),
        departments(),
        organisation_units(),
    ]
}

fn tenants() -> TableDef {
    use Tenants as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .col(string(T::Slug))
        .col(string(T::Name))
        .col(string(T::DefaultLanguage))
        .col(json_binary(T::Languages))
        // Login page, registration, features and quota from the descriptor.
        .col(json_binary(T::Settings))
        .col(json_binary(T::Descriptor))
        .col(string(T::DescriptorHash))
        // Bumped whenever the tenant's casbin policy changes, so other instances reload it.
        .col(big_integer(T::PolicyVersion).default(0))
        .col(boolean(T::Active).default(true))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::Slug])
}

fn catalogs() -> TableDef {
    use Catalogs as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string(T::Code))
        .col(string(T::Name))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::Code])
}

fn organisations() -> TableDef {
    use Organisations as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string(T::Code))
        .col(string(T::Name))
        .col(boolean(T::Active).default(true))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::Code])
        // U10: type-ahead on the name.
        .index([T::TenantId, T::Name])
}

fn departments() -> TableDef {
    use Departments as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::OrganisationId))
        .fk(
            T::OrganisationId,
            Organisations::Table,
            ForeignKeyAction::Cascade,
        )
        .col(string(T::Code))
        .col(string(T::Name))
        .col(uuid_null(T::ParentId))
        .fk(T::ParentId, T::Table, ForeignKeyAction::SetNull)
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::Code])
        .index([T::TenantId, T::OrganisationId])
        .index([T::TenantId, T::ParentId])
}

fn organisation_units() -> TableDef {
    use OrganisationUnits as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string(T::Code))
        .col(string(T::Name))
        .col(uuid_null(T::ParentId))
        .fk(T::ParentId, T::Table, ForeignKeyAction::SetNull)
        .col(boolean(T::IsSubTenant).default(false))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::Code])
        .index([T::TenantId, T::ParentId])
}
