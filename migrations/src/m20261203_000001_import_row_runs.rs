//! I8: an import report keeps a run of consecutive unchanged rows as one `import_rows` row.
//! A re-import of 100,000 users with 1% changed wrote 99,000 report rows of the same shape
//! (three B-trees and three foreign-key checks each): the largest part of its write. A run
//! row covers the file's records on lines `line_no` to `last_line_no` (NULL: one record),
//! `line_count` of them; a single record's row has a count of 1, as every row before this
//! migration.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum ImportRows {
    Table,
    LastLineNo,
    LineCount,
}

/// Adds `import_rows.last_line_no` and `import_rows.line_count`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(ImportRows::Table)
                    .add_column(ColumnDef::new(ImportRows::LastLineNo).integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ImportRows::Table)
                    .add_column(
                        ColumnDef::new(ImportRows::LineCount)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ImportRows::LineCount, ImportRows::LastLineNo] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ImportRows::Table)
                        .drop_column(column)
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
