//! The initial schema: the whole data model of Roster, built with sea-query's schema builder so
//! the same code creates it on SQLite and on PostgreSQL.
//!
//! Conventions (checked by the tests in `lib.rs`):
//! - every primary key is `id uuid NOT NULL`; the application generates UUIDv7 values;
//! - every tenant-owned table has `tenant_id uuid NOT NULL` referencing `tenants(id)`
//!   `ON DELETE CASCADE` (`jobs.tenant_id` is nullable: system jobs have no tenant), and every
//!   index on such a table starts with `tenant_id` (T4). The documented exceptions are indexes
//!   used before the tenant is known or across tenants: the system-wide unique logins
//!   (`users`, `backoffice_accounts`), token hashes (`single_use_tokens`, `api_tokens`), and the
//!   job queue's claim and dedup indexes;
//! - foreign keys between tenant-owned tables cascade for child and link rows and set NULL for
//!   optional references; they are declared inside `CREATE TABLE` (SQLite cannot add them later);
//! - `created_at` / `updated_at` are `timestamptz NOT NULL` without a database default (the
//!   application writes them, so both backends store the same format); link and append-only
//!   tables have `created_at` only, `audit_events` has `occurred_at`;
//! - JSON is `jsonb` on PostgreSQL (`json_binary`), booleans are NOT NULL with a default;
//! - index names are `ix_<table>_<columns>` and `ux_<table>_<columns>` for unique ones.
//!
//! The tables are grouped by area, one module each, created in dependency order and dropped in
//! reverse. This migration is frozen once released: change the schema in a new migration.

use sea_orm_migration::prelude::*;

mod audit_auth;
mod backoffice;
mod builder;
mod groups;
mod jobs_imports;
mod learning;
mod tenancy;
mod users;

pub(crate) use builder::TableDef;

/// Creates (and drops) the whole initial schema.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every table of this migration, in creation order (referenced tables first).
pub(crate) fn tables() -> Vec<TableDef> {
    let mut tables = tenancy::tables();
    tables.extend(users::tables());
    tables.extend(backoffice::tables());
    tables.extend(groups::tables());
    tables.extend(learning::tables());
    tables.extend(jobs_imports::tables());
    tables.extend(audit_auth::tables());
    tables
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table.create).await?;
            for index in table.indexes {
                manager.create_index(index.statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables().into_iter().rev() {
            manager
                .drop_table(Table::drop().table(table.name).to_owned())
                .await?;
        }
        Ok(())
    }

    /// All or nothing on both backends: SQLite has transactional DDL too, so a failure never
    /// leaves half a schema behind.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
