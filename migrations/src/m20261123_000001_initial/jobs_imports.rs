//! Imports and jobs (I1–I9, J1): tenant import configurations (column mappings), staged and
//! finished imports with their per-row report, and the durable job queue.

use sea_orm_migration::{prelude::*, schema::*};

use super::backoffice::BackofficeAccounts;
use super::builder::{TableDef, table};
use super::tenancy::Tenants;
use super::users::Users;

/// `import_configurations`: a tenant's column mappings per import kind (I2).
#[derive(DeriveIden)]
enum ImportConfigurations {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    Kind,
    Format,
    Delimiter,
    HasHeader,
    Mapping,
    Options,
    CreatedAt,
    UpdatedAt,
}

/// `imports`: one uploaded or staged file and its run (I7–I9).
#[derive(DeriveIden)]
enum Imports {
    Table,
    Id,
    TenantId,
    ImportConfigurationId,
    Kind,
    State,
    Simulate,
    FileName,
    Content,
    StartedByBackofficeAccountId,
    MailReport,
    TotalRows,
    CreatedCount,
    UpdatedCount,
    UnchangedCount,
    ErrorCount,
    Error,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
}

/// `import_rows`: the per-row report of an import (I8).
#[derive(DeriveIden)]
enum ImportRows {
    Table,
    Id,
    TenantId,
    ImportId,
    LineNo,
    Outcome,
    MatchedBy,
    UserId,
    Changes,
    Message,
    CreatedAt,
}

/// `jobs`: the durable background job queue (J1).
#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    TenantId,
    Kind,
    Payload,
    State,
    Priority,
    Attempts,
    MaxAttempts,
    RunAt,
    LockedBy,
    LockedUntil,
    LastError,
    DedupKey,
    CreatedAt,
    UpdatedAt,
}

/// The tables of this area, in creation order.
pub(crate) fn tables() -> Vec<TableDef> {
    vec![import_configurations(), imports(), import_rows(), jobs()]
}

fn import_configurations() -> TableDef {
    use ImportConfigurations as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string(T::Code))
        .col(string(T::Name))
        .col(string(T::Kind))
        .col(string(T::Format))
        .col(string(T::Delimiter))
        .col(boolean(T::HasHeader))
        .col(json_binary(T::Mapping))
        .col(json_binary(T::Options))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::Code])
}

fn imports() -> TableDef {
    use Imports as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid_null(T::ImportConfigurationId))
        .fk(
            T::ImportConfigurationId,
            ImportConfigurations::Table,
            ForeignKeyAction::SetNull,
        )
        .col(string(T::Kind))
        // 'staged' | 'running' | 'done' | 'failed'
        .col(string(T::State))
        .col(boolean(T::Simulate).default(false))
        .col(string(T::FileName))
        // I9: the staged file itself, until the import has run.
        .col(blob_null(T::Content))
        .col(uuid_null(T::StartedByBackofficeAccountId))
        .fk(
            T::StartedByBackofficeAccountId,
            BackofficeAccounts::Table,
            ForeignKeyAction::SetNull,
        )
        .col(boolean(T::MailReport).default(false))
        .col(integer(T::TotalRows).default(0))
        .col(integer(T::CreatedCount).default(0))
        .col(integer(T::UpdatedCount).default(0))
        .col(integer(T::UnchangedCount).default(0))
        .col(integer(T::ErrorCount).default(0))
        .col(text_null(T::Error))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .col(timestamp_with_time_zone_null(T::StartedAt))
        .col(timestamp_with_time_zone_null(T::FinishedAt))
        .index([T::TenantId, T::State])
        .index([T::TenantId, T::CreatedAt])
}

fn import_rows() -> TableDef {
    use ImportRows as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::ImportId))
        .fk(T::ImportId, Imports::Table, ForeignKeyAction::Cascade)
        .col(integer(T::LineNo))
        // 'created' | 'updated' | 'unchanged' | 'error'
        .col(string(T::Outcome))
        .col(string_null(T::MatchedBy))
        .col(uuid_null(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::SetNull)
        .col(json_binary_null(T::Changes))
        .col(text_null(T::Message))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .index([T::TenantId, T::ImportId, T::LineNo])
}

fn jobs() -> TableDef {
    use Jobs as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        // Nullable: system jobs belong to no tenant. Tenant jobs go with their tenant.
        .col(uuid_null(T::TenantId))
        .fk(T::TenantId, Tenants::Table, ForeignKeyAction::Cascade)
        .col(string(T::Kind))
        .col(json_binary(T::Payload))
        // 'queued' | 'running' | 'done' | 'failed'
        .col(string(T::State).default("queued"))
        .col(integer(T::Priority).default(0))
        .col(integer(T::Attempts).default(0))
        .col(integer(T::MaxAttempts).default(5))
        .col(timestamp_with_time_zone(T::RunAt))
        .col(string_null(T::LockedBy))
        .col(timestamp_with_time_zone_null(T::LockedUntil))
        .col(text_null(T::LastError))
        .col(string_null(T::DedupKey))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        // Exceptions to the tenant_id-first rule: the worker claims due jobs across all
        // tenants, and deduplication is system-wide (a tenant job's dedup_key includes the
        // tenant id). NULL dedup keys never collide.
        .index([T::State, T::RunAt])
        .unique([T::Kind, T::DedupKey])
        .index([T::TenantId, T::Kind])
}
