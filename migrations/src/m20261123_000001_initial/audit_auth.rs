//! Audit and credentials (X3, R7, X2, B3): the audit trail, single-use links, API tokens and
//! the casbin policy rules of each tenant.

use sea_orm_migration::{prelude::*, schema::*};

use super::backoffice::BackofficeAccounts;
use super::builder::{TableDef, table};
use super::users::Users;

/// `audit_events`: who changed what, when, through which channel (X3). Append-only.
#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    TenantId,
    OccurredAt,
    ActorKind,
    ActorId,
    ActorLabel,
    Source,
    Entity,
    EntityId,
    Action,
    Before,
    After,
    RequestId,
}

/// `single_use_tokens`: set-password, reset, confirmation, approval and invitation links
/// (R3, R5, R7).
#[derive(DeriveIden)]
enum SingleUseTokens {
    Table,
    Id,
    TenantId,
    Purpose,
    TokenHash,
    UserId,
    BackofficeAccountId,
    Data,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

/// `api_tokens`: bearer tokens of back-office accounts for the JSON API and SCIM (X1, X2).
#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TenantId,
    BackofficeAccountId,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

/// `casbin_rules`: casbin policy lines (`p`, `g`, `g2` …), partitioned per tenant (B3–B5).
#[derive(DeriveIden)]
enum CasbinRules {
    Table,
    Id,
    TenantId,
    Ptype,
    V0,
    V1,
    V2,
    V3,
    V4,
    V5,
    CreatedAt,
}

/// The tables of this area, in creation order.
pub(crate) fn tables() -> Vec<TableDef> {
    vec![
        audit_events(),
        single_use_tokens(),
        api_tokens(),
        casbin_rules(),
    ]
}

fn audit_events() -> TableDef {
    use AuditEvents as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(timestamp_with_time_zone(T::OccurredAt))
        // 'backoffice' | 'user' | 'token' | 'system' | 'operator'
        .col(string(T::ActorKind))
        .col(uuid_null(T::ActorId))
        .col(string_null(T::ActorLabel))
        // 'web' | 'api' | 'import' | 'scim' | 'job' | 'cli'
        .col(string(T::Source))
        .col(string(T::Entity))
        .col(uuid_null(T::EntityId))
        .col(string(T::Action))
        .col(json_binary_null(T::Before))
        .col(json_binary_null(T::After))
        .col(string_null(T::RequestId))
        .index([T::TenantId, T::Entity, T::EntityId, T::OccurredAt])
        .index([T::TenantId, T::OccurredAt])
}

fn single_use_tokens() -> TableDef {
    use SingleUseTokens as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        // 'set_password' | 'password_reset' | 'email_confirmation' | 'approval' | 'invitation'
        .col(string(T::Purpose))
        .col(string(T::TokenHash))
        .col(uuid_null(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::Cascade)
        .col(uuid_null(T::BackofficeAccountId))
        .fk(
            T::BackofficeAccountId,
            BackofficeAccounts::Table,
            ForeignKeyAction::Cascade,
        )
        .col(json_binary_null(T::Data))
        .col(timestamp_with_time_zone(T::ExpiresAt))
        .col(timestamp_with_time_zone_null(T::UsedAt))
        .col(timestamp_with_time_zone(T::CreatedAt))
        // Exception to the tenant_id-first rule: a link is looked up by its hash before the
        // tenant is known.
        .unique([T::TokenHash])
        .index([T::TenantId, T::UserId])
}

fn api_tokens() -> TableDef {
    use ApiTokens as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::BackofficeAccountId))
        .fk(
            T::BackofficeAccountId,
            BackofficeAccounts::Table,
            ForeignKeyAction::Cascade,
        )
        .col(string(T::Name))
        .col(string(T::TokenHash))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone_null(T::LastUsedAt))
        .col(timestamp_with_time_zone_null(T::RevokedAt))
        // Exception to the tenant_id-first rule: a bearer token is looked up by its hash
        // before the tenant is known.
        .unique([T::TokenHash])
        .index([T::TenantId, T::BackofficeAccountId])
}

fn casbin_rules() -> TableDef {
    use CasbinRules as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string(T::Ptype))
        .col(string(T::V0).default(""))
        .col(string(T::V1).default(""))
        .col(string(T::V2).default(""))
        .col(string(T::V3).default(""))
        .col(string(T::V4).default(""))
        .col(string(T::V5).default(""))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .index([T::TenantId, T::Ptype])
}
