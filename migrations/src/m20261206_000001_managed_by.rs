//! X9: who owns an object, the descriptor or the runtime. Every table of objects a tenant
//! descriptor declares gets a nullable `managed_by`: the descriptor file that declares the row
//! (e.g. `tenants/acme.yaml`), or NULL for a row made at run time (API, back office, import).
//! `tenant apply` writes only rows it manages; the domain refuses run-time edits of managed
//! rows (409 naming the file). See docs/tenants.md, "Who owns what".

use sea_orm_migration::prelude::*;

/// The tables of descriptor-declared objects.
pub const MANAGED_TABLES: &[&str] = &[
    "catalogs",
    "organisations",
    "departments",
    "organisation_units",
    "roles",
    "user_groups",
    "enrollment_profiles",
    "import_configurations",
    "learning_activities",
    "executions",
];

/// Adds `managed_by` to every table in [`MANAGED_TABLES`].
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for table in MANAGED_TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .add_column(ColumnDef::new(Alias::new("managed_by")).text().null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in MANAGED_TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .drop_column(Alias::new("managed_by"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
