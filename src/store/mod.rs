//! Storage: the database connection, migrations, sea-orm entities, and the tenant-scoped
//! query API (T4) through which every tenant-owned row is reached.

pub mod entity;
pub mod scope;

use std::time::Duration;

use roster_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

pub use scope::{TenantId, TenantOwned};

/// Opens the database; on SQLite the file and its directory are created when missing.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = sqlite_file(url)
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite:") { 8 } else { 20 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    // SQLite, on every pooled connection (a PRAGMA run once reaches only one): WAL lets
    // readers proceed while the worker writes; `synchronous = NORMAL` is the setting WAL is
    // designed for (a commit is durable once the WAL is synced at checkpoints; a power cut
    // can lose the last commits, never corrupt); a 16 MiB page cache per pooled connection
    // (the default is 2 MiB; an import's own connection gets 16 MiB, see `dedicated`); busy waits
    // up to 10 s for the writer lock instead of failing at once; `PRAGMA optimize` (after
    // imports) samples at most 1,000 rows per index instead of reading whole tables.
    options.map_sqlx_sqlite_opts(|o| {
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        o.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", POOL_CACHE)
            .pragma("temp_store", "MEMORY")
            .pragma("analysis_limit", "1000")
            .pragma("wal_autocheckpoint", "8192")
    });
    let db = Database::connect(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database: {e}"))?;
    Ok(db)
}

/// Begins a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: the writer lock is
/// taken up front, waiting up to the busy timeout for another writer to finish. A deferred
/// `BEGIN` would start as a reader and fail at its first write with "database is locked"
/// (`SQLITE_BUSY_SNAPSHOT`, which no busy timeout waits out) whenever another connection
/// committed in between — under concurrent writes (the API while the job worker runs) that
/// answered 500. PostgreSQL: a plain `BEGIN`. Inside a transaction it opens a savepoint.
/// Use this for every transaction in `src`; a read-only snapshot may use `begin()`.
pub async fn begin_write<C>(db: &C) -> Result<C::Transaction, sea_orm::DbErr>
where
    C: sea_orm::TransactionTrait + ?Sized,
{
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// SQLite page cache of each pooled connection, in KiB (negative: a size, not pages).
const POOL_CACHE: &str = "-16384";

/// SQLite page cache of an import's own connection, in MiB (the pool's connections have
/// 16 too, but an import's stays warm for its whole run). 32 and 64 MiB measured no faster
/// (a page the cache misses is read from the operating system's cache) and held 16 and
/// 48 MB more (docs/performance.md). The environment variable
/// `ROSTER_SQLITE_IMPORT_CACHE_MB` overrides it (memory against speed).
const IMPORT_CACHE_MB: u32 = 16;

fn import_cache() -> String {
    let mb = std::env::var("ROSTER_SQLITE_IMPORT_CACHE_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|mb| (1..=65_536).contains(mb))
        .unwrap_or(IMPORT_CACHE_MB);
    format!("-{}", mb * 1024)
}

/// SQLite: a pool of one connection to the same database file as `db`, for a long run of
/// statements (an import) that should find its pages in one warm page cache, instead of
/// alternating between the pool's connections, each with its own cache (and memory). `None`
/// on PostgreSQL and for in-memory databases (a new connection would open an empty one).
/// The caller must not need a second connection while it holds this one's transaction or
/// stream: the pool has only one.
pub async fn dedicated(db: &DatabaseConnection) -> anyhow::Result<Option<DatabaseConnection>> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return Ok(None);
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    if !options.get_filename().is_file() {
        return Ok(None);
    }
    let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(60))
        .connect_with((*options).clone().pragma("cache_size", import_cache()))
        .await?;
    Ok(Some(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(
        pool,
    )))
}

fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// Checks the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    db.ping().await
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_file("sqlite://data/roster.db?mode=rwc"),
            Some("data/roster.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x"), None);
    }
}
