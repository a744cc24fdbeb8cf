//! Groups (G1, G2): user groups with their members, and rule-based dynamic learning groups
//! with the members their nightly run computed.

use sea_orm_migration::{prelude::*, schema::*};

use super::builder::{TableDef, table};
use super::users::Users;

/// `user_groups`: groups managed by customer admins (G1).
#[derive(DeriveIden)]
enum UserGroups {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    CreatedAt,
    UpdatedAt,
}

/// `user_group_members`: membership of users in user groups (G1).
#[derive(DeriveIden)]
enum UserGroupMembers {
    Table,
    Id,
    TenantId,
    UserGroupId,
    UserId,
    CreatedAt,
}

/// `dynamic_groups`: rule-based learning groups (G2).
#[derive(DeriveIden)]
enum DynamicGroups {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    Criteria,
    Active,
    LastRunAt,
    CreatedAt,
    UpdatedAt,
}

/// `dynamic_group_members`: the users a dynamic group's last run matched (G2).
#[derive(DeriveIden)]
enum DynamicGroupMembers {
    Table,
    Id,
    TenantId,
    DynamicGroupId,
    UserId,
    CreatedAt,
}

/// The tables of this area, in creation order.
pub(crate) fn tables() -> Vec<TableDef> {
    vec![
        user_groups(),
        user_group_members(),
        dynamic_groups(),
        dynamic_group_members(),
    ]
}

fn user_groups() -> TableDef {
    use UserGroups as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string(T::Code))
        .col(string(T::Name))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::Code])
        .unique([T::TenantId, T::Name])
}

fn user_group_members() -> TableDef {
    use UserGroupMembers as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::UserGroupId))
        .fk(T::UserGroupId, UserGroups::Table, ForeignKeyAction::Cascade)
        .col(uuid(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::Cascade)
        .col(timestamp_with_time_zone(T::CreatedAt))
        .unique([T::TenantId, T::UserGroupId, T::UserId])
        .index([T::TenantId, T::UserId])
}

fn dynamic_groups() -> TableDef {
    use DynamicGroups as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string(T::Code))
        .col(string(T::Name))
        .col(json_binary(T::Criteria))
        .col(boolean(T::Active).default(false))
        .col(timestamp_with_time_zone_null(T::LastRunAt))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::Code])
}

fn dynamic_group_members() -> TableDef {
    use DynamicGroupMembers as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::DynamicGroupId))
        .fk(
            T::DynamicGroupId,
            DynamicGroups::Table,
            ForeignKeyAction::Cascade,
        )
        .col(uuid(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::Cascade)
        .col(timestamp_with_time_zone(T::CreatedAt))
        .unique([T::TenantId, T::DynamicGroupId, T::UserId])
        .index([T::TenantId, T::UserId])
}
