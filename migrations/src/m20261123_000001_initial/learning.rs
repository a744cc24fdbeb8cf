//! Learning (U1 enrollment profiles, I5, R5): learning activities with their executions,
//! enrollment profiles bundling activities, and enrollments of users in executions.

use sea_orm_migration::{prelude::*, schema::*};

use super::builder::{TableDef, table};
use super::tenancy::Catalogs;
use super::users::Users;

/// `enrollment_profiles`: named bundles of learning activities (U1, I5).
#[derive(DeriveIden)]
enum EnrollmentProfiles {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    Description,
    CreatedAt,
    UpdatedAt,
}

/// `learning_activities`: courses and other activities users enroll in (R5).
#[derive(DeriveIden)]
enum LearningActivities {
    Table,
    Id,
    TenantId,
    Code,
    Title,
    CatalogId,
    Description,
    CreatedAt,
    UpdatedAt,
}

/// `enrollment_profile_activities`: which activities an enrollment profile contains.
#[derive(DeriveIden)]
enum EnrollmentProfileActivities {
    Table,
    Id,
    TenantId,
    EnrollmentProfileId,
    LearningActivityId,
    CreatedAt,
}

/// `user_enrollment_profiles`: enrollment profiles assigned to a user (U1, I5).
#[derive(DeriveIden)]
enum UserEnrollmentProfiles {
    Table,
    Id,
    TenantId,
    UserId,
    EnrollmentProfileId,
    CreatedAt,
}

/// `executions`: dated runs of a learning activity (R5).
#[derive(DeriveIden)]
enum Executions {
    Table,
    Id,
    TenantId,
    LearningActivityId,
    Code,
    Title,
    StartsAt,
    EndsAt,
    Location,
    Capacity,
    CreatedAt,
    UpdatedAt,
}

/// `enrollments`: a user enrolled in an execution (R5).
#[derive(DeriveIden)]
enum Enrollments {
    Table,
    Id,
    TenantId,
    ExecutionId,
    UserId,
    Status,
    Source,
    CreatedAt,
    UpdatedAt,
}

/// The tables of this area, in creation order.
pub(crate) fn tables() -> Vec<TableDef> {
    vec![
        enrollment_profiles(),
        learning_activities(),
        enrollment_profile_activities(),
        user_enrollment_profiles(),
        executions(),
        enrollments(),
    ]
}

fn enrollment_profiles() -> TableDef {
    use EnrollmentProfiles as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string(T::Code))
        .col(string(T::Name))
        .col(text_null(T::Description))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::Code])
}

fn learning_activities() -> TableDef {
    use LearningActivities as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(string(T::Code))
        .col(string(T::Title))
        .col(uuid_null(T::CatalogId))
        .fk(T::CatalogId, Catalogs::Table, ForeignKeyAction::SetNull)
        .col(text_null(T::Description))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::Code])
}

fn enrollment_profile_activities() -> TableDef {
    use EnrollmentProfileActivities as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::EnrollmentProfileId))
        .fk(
            T::EnrollmentProfileId,
            EnrollmentProfiles::Table,
            ForeignKeyAction::Cascade,
        )
        .col(uuid(T::LearningActivityId))
        .fk(
            T::LearningActivityId,
            LearningActivities::Table,
            ForeignKeyAction::Cascade,
        )
        .col(timestamp_with_time_zone(T::CreatedAt))
        // The generated name would pass PostgreSQL's 63-byte identifier limit.
        .unique_named(
            "ux_enrollment_profile_activities_tenant_profile_activity",
            [T::TenantId, T::EnrollmentProfileId, T::LearningActivityId],
        )
}

fn user_enrollment_profiles() -> TableDef {
    use UserEnrollmentProfiles as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::Cascade)
        .col(uuid(T::EnrollmentProfileId))
        .fk(
            T::EnrollmentProfileId,
            EnrollmentProfiles::Table,
            ForeignKeyAction::Cascade,
        )
        .col(timestamp_with_time_zone(T::CreatedAt))
        // The generated name would pass PostgreSQL's 63-byte identifier limit.
        .unique_named(
            "ux_user_enrollment_profiles_tenant_user_profile",
            [T::TenantId, T::UserId, T::EnrollmentProfileId],
        )
}

fn executions() -> TableDef {
    use Executions as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::LearningActivityId))
        .fk(
            T::LearningActivityId,
            LearningActivities::Table,
            ForeignKeyAction::Cascade,
        )
        .col(string(T::Code))
        .col(string_null(T::Title))
        .col(timestamp_with_time_zone_null(T::StartsAt))
        .col(timestamp_with_time_zone_null(T::EndsAt))
        .col(string_null(T::Location))
        .col(integer_null(T::Capacity))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::LearningActivityId, T::Code])
}

fn enrollments() -> TableDef {
    use Enrollments as T;
    table(T::Table)
        .col(pk_uuid(T::Id))
        .tenant(T::TenantId)
        .col(uuid(T::ExecutionId))
        .fk(T::ExecutionId, Executions::Table, ForeignKeyAction::Cascade)
        .col(uuid(T::UserId))
        .fk(T::UserId, Users::Table, ForeignKeyAction::Cascade)
        .col(string(T::Status).default("enrolled"))
        .col(string(T::Source).default("web"))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .unique([T::TenantId, T::ExecutionId, T::UserId])
        .index([T::TenantId, T::UserId])
}
