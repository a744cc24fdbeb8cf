//! Checks of the schema's conventions, and the migrations run for real: on an in-memory SQLite
//! database always, on PostgreSQL when `ROSTER_TEST_DATABASE_URL` is set (in a throw-away schema).

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbBackend, Statement,
};

use crate::m20261123_000001_initial::tables;
use crate::{Migrator, TENANT_OWNED_TABLES};

/// Indexes of tenant-owned tables that do not start with `tenant_id`, and why: they are used
/// before the tenant is known (logins, token hashes) or across tenants (the job queue).
const NOT_TENANT_FIRST: &[&str] = &[
    "ux_users_login",
    "ux_backoffice_accounts_login",
    "ux_single_use_tokens_token_hash",
    "ux_api_tokens_token_hash",
    "ix_jobs_state_run_at",
    "ux_jobs_kind_dedup_key",
];

/// PostgreSQL silently truncates longer identifiers.
const MAX_IDENTIFIER_LEN: usize = 63;

#[test]
fn tenant_owned_tables_are_exactly_the_tables_with_tenant_id() {
    let with_tenant_id: BTreeSet<String> = tables()
        .iter()
        .filter(|t| {
            t.create
                .get_columns()
                .iter()
                .any(|c| c.get_column_name() == "tenant_id")
        })
        .map(|t| t.name())
        .collect();
    let listed: BTreeSet<String> = TENANT_OWNED_TABLES
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    assert_eq!(with_tenant_id, listed);
    assert_eq!(listed.len(), TENANT_OWNED_TABLES.len(), "duplicate entry");
    let all: BTreeSet<String> = tables().iter().map(|t| t.name()).collect();
    let others: Vec<&String> = all.difference(&listed).collect();
    assert_eq!(others, vec!["tenants"]);
}

#[test]
fn tenant_id_leads_every_index_of_a_tenant_owned_table() {
    let mut exceptions_seen = BTreeSet::new();
    for table in tables() {
        if !TENANT_OWNED_TABLES.contains(&table.name().as_str()) {
            continue;
        }
        for index in &table.indexes {
            if NOT_TENANT_FIRST.contains(&index.name.as_str()) {
                exceptions_seen.insert(index.name.clone());
                continue;
            }
            assert_eq!(
                index.columns.first().map(String::as_str),
                Some("tenant_id"),
                "{} does not start with tenant_id",
                index.name
            );
        }
    }
    let expected: BTreeSet<String> = NOT_TENANT_FIRST.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(exceptions_seen, expected, "a documented exception is gone");
}

#[test]
fn index_and_foreign_key_names_follow_the_convention_and_fit_postgres() {
    let mut index_names = BTreeSet::new();
    for table in tables() {
        let name = table.name();
        for index in &table.indexes {
            let prefix = if index.unique { "ux_" } else { "ix_" };
            assert!(
                index.name.starts_with(&format!("{prefix}{name}_")),
                "{}",
                index.name
            );
            assert!(index.name.len() <= MAX_IDENTIFIER_LEN, "{}", index.name);
            assert!(
                index_names.insert(index.name.clone()),
                "duplicate {}",
                index.name
            );
        }
        for fk in table.create.get_foreign_key_create_stmts() {
            let fk_name = fk.get_foreign_key().get_name().unwrap_or_default();
            assert!(fk_name.starts_with(&format!("fk_{name}_")), "{fk_name}");
            assert!(fk_name.len() <= MAX_IDENTIFIER_LEN, "{fk_name}");
        }
    }
}

#[test]
fn every_table_has_a_uuid_id_and_a_creation_time() {
    for table in tables() {
        let columns = table.create.get_columns();
        let id = columns.first().expect("a first column");
        assert_eq!(id.get_column_name(), "id", "{}", table.name());
        assert!(
            matches!(id.get_column_type(), Some(ColumnType::Uuid)),
            "{}",
            table.name()
        );
        let time_column = if table.name() == "audit_events" {
            "occurred_at"
        } else {
            "created_at"
        };
        assert!(
            columns.iter().any(|c| c.get_column_name() == time_column
                && matches!(c.get_column_type(), Some(ColumnType::TimestampWithTimeZone))),
            "{} lacks {time_column}",
            table.name()
        );
    }
}

#[tokio::test]
async fn migrations_run_up_down_up_on_sqlite() {
    let db = Database::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite");
    exercise(&db).await;
}

#[tokio::test]
async fn migrations_run_up_down_up_on_postgres() {
    let Ok(url) = std::env::var("ROSTER_TEST_DATABASE_URL") else {
        return;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let schema = format!("migrations_test_{}_{nanos}", std::process::id());
    let admin = Database::connect(url.as_str()).await.expect("PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("create schema");
    let mut options = ConnectOptions::new(url.as_str());
    options.set_schema_search_path(schema.as_str());
    let db = Database::connect(options).await.expect("PostgreSQL");
    assert_eq!(db.get_database_backend(), DbBackend::Postgres);
    exercise(&db).await;
    db.close().await.expect("close");
    admin
        .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .expect("drop schema");
}

/// Up, down and up again, then the foreign-key actions: a removed OU leaves its users with no
/// OU, a removed tenant takes everything it owns with it.
async fn exercise(db: &DatabaseConnection) {
    let names: Vec<String> = tables().iter().map(|t| t.name()).collect();
    let manager = SchemaManager::new(db);

    Migrator::up(db, None).await.expect("up");
    for name in &names {
        assert!(manager.has_table(name).await.expect("has_table"), "{name}");
    }
    Migrator::down(db, None).await.expect("down");
    for name in &names {
        assert!(!manager.has_table(name).await.expect("has_table"), "{name}");
    }
    Migrator::up(db, None).await.expect("up again");

    let now = "'2026-11-23T10:00:00Z'";
    let tenant = "'0194f5a2-0000-7000-8000-000000000001'";
    let ou = "'0194f5a2-0000-7000-8000-000000000002'";
    let user = "'0194f5a2-0000-7000-8000-000000000003'";
    let catalog = "'0194f5a2-0000-7000-8000-000000000004'";
    for sql in [
        format!(
            "INSERT INTO tenants (id, slug, name, default_language, languages, settings, \
             descriptor, descriptor_hash, created_at, updated_at) \
             VALUES ({tenant}, 'acme', 'Acme', 'en', '[\"en\"]', '{{}}', '{{}}', 'h', {now}, {now})"
        ),
        format!(
            "INSERT INTO organisation_units (id, tenant_id, code, name, created_at, updated_at) \
             VALUES ({ou}, {tenant}, 'hq', 'HQ', {now}, {now})"
        ),
        format!(
            "INSERT INTO catalogs (id, tenant_id, code, name, created_at, updated_at) \
             VALUES ({catalog}, {tenant}, 'main', 'Main', {now}, {now})"
        ),
        format!(
            "INSERT INTO users (id, tenant_id, login, first_name, last_name, \
             organisation_unit_id, created_at, updated_at) \
             VALUES ({user}, {tenant}, 'jdoe', 'Jane', 'Doe', {ou}, {now}, {now})"
        ),
        format!(
            "INSERT INTO user_catalogs (id, tenant_id, user_id, catalog_id, created_at) \
             VALUES ('0194f5a2-0000-7000-8000-000000000005', {tenant}, {user}, {catalog}, {now})"
        ),
    ] {
        db.execute_unprepared(&sql).await.expect("insert");
    }
    // Defaults are in place.
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM users WHERE active = TRUE AND external_id_scope = '' \
             AND registration_state = 'active' AND must_change_password = FALSE"
        )
        .await,
        1
    );
    // The login is unique system-wide.
    let duplicate = format!(
        "INSERT INTO users (id, tenant_id, login, first_name, last_name, created_at, updated_at) \
         VALUES ('0194f5a2-0000-7000-8000-000000000006', {tenant}, 'jdoe', 'J', 'D', {now}, {now})"
    );
    assert!(db.execute_unprepared(&duplicate).await.is_err());

    db.execute_unprepared(&format!("DELETE FROM organisation_units WHERE id = {ou}"))
        .await
        .expect("delete OU");
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM users WHERE organisation_unit_id IS NULL"
        )
        .await,
        1
    );

    db.execute_unprepared(&format!("DELETE FROM tenants WHERE id = {tenant}"))
        .await
        .expect("delete tenant");
    for table in ["users", "catalogs", "user_catalogs"] {
        assert_eq!(
            count(db, &format!("SELECT COUNT(*) AS n FROM {table}")).await,
            0,
            "{table}"
        );
    }

    Migrator::down(db, None).await.expect("down at the end");
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}
