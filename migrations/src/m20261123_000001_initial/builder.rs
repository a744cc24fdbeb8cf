//! A small builder that keeps each table's `CREATE TABLE`, its foreign keys and its indexes
//! together, and names constraints and indexes by one rule:
//!
//! - foreign keys: `fk_<table>_<column>`, always referencing `<other table>.id`;
//! - indexes: `ix_<table>_<columns…>`, unique indexes `ux_<table>_<columns…>` (columns joined
//!   with `_`). PostgreSQL cuts identifiers at 63 bytes, so a name that would be longer is given
//!   explicitly with [`TableDef::unique_named`] (a unit test checks every name).
//!
//! Foreign keys are declared inside `CREATE TABLE` because SQLite cannot add them afterwards.
//! Indexes are separate `CREATE INDEX` statements, which both backends accept.

use sea_orm_migration::{prelude::*, schema::*};

use super::tenancy::Tenants;

/// One table of the schema: its `CREATE TABLE` statement (columns and foreign keys) and the
/// indexes created right after it.
pub(crate) struct TableDef {
    /// The table's name as an identifier.
    pub(crate) name: DynIden,
    /// `CREATE TABLE` with every column and foreign key.
    pub(crate) create: TableCreateStatement,
    /// Indexes on the table, created after it.
    pub(crate) indexes: Vec<IndexDef>,
}

/// One index of a table, with what the tests need to check the naming and tenant rules.
#[cfg_attr(
    not(test),
    allow(dead_code, reason = "name, columns and unique are read by tests")
)]
pub(crate) struct IndexDef {
    /// The index name (`ix_…` / `ux_…`).
    pub(crate) name: String,
    /// Indexed columns, in order.
    pub(crate) columns: Vec<String>,
    /// Whether the index is unique.
    pub(crate) unique: bool,
    /// The statement run by the migration.
    pub(crate) statement: IndexCreateStatement,
}

/// Starts the definition of table `name`.
pub(crate) fn table(name: impl IntoIden) -> TableDef {
    let name = name.into_iden();
    TableDef {
        create: Table::create().table(name.clone()).take(),
        name,
        indexes: Vec::new(),
    }
}

impl TableDef {
    /// The table name as a string.
    #[cfg(test)]
    pub(crate) fn name(&self) -> String {
        self.name.inner().into_owned()
    }

    /// Adds a column.
    pub(crate) fn col(mut self, column: impl IntoColumnDef) -> Self {
        self.create.col(column);
        self
    }

    /// Adds the `tenant_id uuid NOT NULL` column with its foreign key to `tenants(id)`
    /// `ON DELETE CASCADE`: removing a tenant removes everything it owns.
    pub(crate) fn tenant(self, column: impl IntoIden) -> Self {
        let column = column.into_iden();
        self.col(uuid(column.clone()))
            .fk(column, Tenants::Table, ForeignKeyAction::Cascade)
    }

    /// Adds a foreign key `fk_<table>_<column>` from `column` to `<references>.id`.
    pub(crate) fn fk(
        mut self,
        column: impl IntoIden,
        references: impl IntoIden,
        on_delete: ForeignKeyAction,
    ) -> Self {
        let column = column.into_iden();
        let name = format!("fk_{}_{}", self.name.inner(), column.inner());
        self.create.foreign_key(
            ForeignKey::create()
                .name(name)
                .from(self.name.clone(), column)
                .to(references.into_iden(), "id")
                .on_delete(on_delete),
        );
        self
    }

    /// Adds the index `ix_<table>_<columns>`.
    pub(crate) fn index<C: IntoIden>(self, columns: impl IntoIterator<Item = C>) -> Self {
        self.add_index(None, columns, false)
    }

    /// Adds the unique index `ux_<table>_<columns>`.
    pub(crate) fn unique<C: IntoIden>(self, columns: impl IntoIterator<Item = C>) -> Self {
        self.add_index(None, columns, true)
    }

    /// Adds a unique index with an explicit name (for names past PostgreSQL's 63-byte limit).
    pub(crate) fn unique_named<C: IntoIden>(
        self,
        name: &str,
        columns: impl IntoIterator<Item = C>,
    ) -> Self {
        self.add_index(Some(name), columns, true)
    }

    fn add_index<C: IntoIden>(
        mut self,
        name: Option<&str>,
        columns: impl IntoIterator<Item = C>,
        unique: bool,
    ) -> Self {
        let columns: Vec<DynIden> = columns.into_iter().map(IntoIden::into_iden).collect();
        let column_names: Vec<String> = columns.iter().map(|c| c.inner().into_owned()).collect();
        let name = name.map(str::to_owned).unwrap_or_else(|| {
            let prefix = if unique { "ux" } else { "ix" };
            format!("{prefix}_{}_{}", self.name.inner(), column_names.join("_"))
        });
        let mut statement = Index::create();
        statement.name(name.clone()).table(self.name.clone());
        for column in columns {
            statement.col(column);
        }
        if unique {
            statement.unique();
        }
        self.indexes.push(IndexDef {
            name,
            columns: column_names,
            unique,
            statement,
        });
        self
    }
}
