//! Migrations run up from an empty database on both backends, and every tenant-owned table
//! carries `tenant_id` at the head of its indexes (T4), so it can later be sharded by tenant.

use roster_migrations::{Migrator, MigratorTrait, TENANT_OWNED_TABLES};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::util::TestDb;

/// Indexes allowed not to lead with tenant_id, and why (see the migration's comments).
const GLOBAL_INDEXES: &[&str] = &[
    "ux_users_login",                  // U1: login names are unique system-wide
    "ux_backoffice_accounts_login",    // B1: same namespace rule for back-office logins
    "ix_jobs_state_run_at",            // J1: workers claim across tenants
    "ux_jobs_kind_dedup_key",          // J1: idempotent enqueue
    "ux_single_use_tokens_token_hash", // looked up by hash before the tenant is known
    "ux_api_tokens_token_hash",        // same
];

async fn indexes(t: &TestDb, table: &str) -> Vec<(String, Vec<String>)> {
    let db = &t.db;
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let list = db
                .query_all_raw(Statement::from_string(
                    DatabaseBackend::Sqlite,
                    format!("SELECT name FROM pragma_index_list('{table}') WHERE origin = 'c'"),
                ))
                .await
                .expect("index list");
            let mut out = Vec::new();
            for row in list {
                let name: String = row.try_get("", "name").expect("name");
                let cols = db
                    .query_all_raw(Statement::from_string(
                        DatabaseBackend::Sqlite,
                        format!("SELECT name FROM pragma_index_info('{name}') ORDER BY seqno"),
                    ))
                    .await
                    .expect("index info")
                    .into_iter()
                    .map(|r| r.try_get::<String>("", "name").expect("col"))
                    .collect();
                out.push((name, cols));
            }
            out
        }
        _ => db
            .query_all_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                format!(
                    "SELECT i.relname AS name, array_to_string(array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS cols FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = '{table}' AND NOT x.indisprimary"
                ),
            ))
            .await
            .expect("pg indexes")
            .into_iter()
            .map(|r| {
                let name: String = r.try_get("", "name").expect("name");
                let cols: String = r.try_get("", "cols").expect("cols");
                (name, cols.split(',').map(str::to_owned).collect())
            })
            .collect(),
    }
}

#[tokio::test]
async fn migrations_run_up_from_empty_and_down_again() {
    let t = TestDb::empty().await;
    Migrator::up(&t.db, None).await.expect("up");
    assert!(
        Migrator::get_pending_migrations(&t.db)
            .await
            .expect("pending")
            .is_empty()
    );
    Migrator::down(&t.db, None).await.expect("down");
    Migrator::up(&t.db, None).await.expect("up again");
}

#[tokio::test]
async fn t4_every_tenant_owned_index_leads_with_tenant_id() {
    let t = TestDb::new().await;
    assert!(
        TENANT_OWNED_TABLES.len() >= 30,
        "the whole data model is migrated"
    );
    for table in TENANT_OWNED_TABLES {
        let found = indexes(&t, table).await;
        for (name, cols) in found {
            if GLOBAL_INDEXES.contains(&name.as_str()) {
                continue;
            }
            assert_eq!(
                cols.first().map(String::as_str),
                Some("tenant_id"),
                "index {name} on {table} does not lead with tenant_id: {cols:?}"
            );
        }
    }
}
