//! The database schema of Roster, as sea-orm migrations.
//!
//! The application runs them from its own CLI (`Migrator::up`), on SQLite or PostgreSQL alike:
//! every migration is written with sea-query's schema builder, never raw SQL, unless a backend
//! needs its own statement. Migrations are expand/contract: once released, a migration is never
//! edited; a change is a new migration, added at the end of [`Migrator::migrations`].
//!
//! The conventions of the data model (UUID keys, `tenant_id` on every tenant-owned table and
//! first in every index, timestamps, naming) are described in [`m20261123_000001_initial`].

use sea_orm_migration::prelude::*;

/// Re-exported so the application can call `Migrator::up` without depending on this crate's
/// dependencies.
pub use sea_orm_migration::MigratorTrait;

pub mod m20261123_000001_initial;
pub mod m20261203_000001_import_row_runs;
pub mod m20261206_000001_managed_by;

/// Runs Roster's migrations in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261203_000001_import_row_runs::Migration),
            Box::new(m20261206_000001_managed_by::Migration),
        ]
    }
}

/// Every table that carries a `tenant_id` column (all but `tenants`; `jobs` included, where
/// the column is nullable for system jobs). Tests use it to check tenant isolation (T4).
pub const TENANT_OWNED_TABLES: &[&str] = &[
    "catalogs",
    "organisations",
    "departments",
    "organisation_units",
    "users",
    "user_catalogs",
    "employments",
    "personal_budgets",
    "extended_properties",
    "backoffice_accounts",
    "roles",
    "role_rights",
    "role_assignments",
    "catalog_access",
    "user_groups",
    "user_group_members",
    "dynamic_groups",
    "dynamic_group_members",
    "enrollment_profiles",
    "learning_activities",
    "enrollment_profile_activities",
    "user_enrollment_profiles",
    "executions",
    "enrollments",
    "import_configurations",
    "imports",
    "import_rows",
    "jobs",
    "audit_events",
    "single_use_tokens",
    "api_tokens",
    "casbin_rules",
];

#[cfg(test)]
mod tests;
