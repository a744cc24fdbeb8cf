//! SQLite: an import's WAL checkpoints, moved off the write's path.
//!
//! In WAL mode every commit appends pages to the write-ahead log, and the connection that
//! commits copies them back into the database file once the log holds `wal_autocheckpoint`
//! pages — on the import's writer, in the middle of its run of batches (a batch that
//! checkpointed took twice as long as the others). Here the writer's own automatic
//! checkpoint is pushed far out (a safety net only), and after each committed batch a
//! passive checkpoint runs on a connection of its own, beside the next batch's write: passive
//! checkpoints never block writers or readers. A passive checkpoint cannot restart the log
//! while the writer keeps appending to it, so once a checkpoint reports the log past
//! [`LIMIT`] pages, the writer itself checkpoints between two batches: by then only the pages
//! of the last batch or two are left to copy, and its next commit starts the log from the
//! beginning again. The log stays as bounded as with the automatic checkpoint.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// Pages in the log past which the writer catches up and restarts it: the pool's
/// `wal_autocheckpoint` (`store::connect`).
const LIMIT: i64 = 8192;

/// The writer's own automatic checkpoint, kept as a safety net (a checkpoint connection that
/// failed or fell behind), in multiples of the limit.
const SAFETY_NET: i64 = 4;

/// Batches after which the writer catches up even without a report from the checkpoint
/// connection (one that keeps failing, for instance).
const MAX_BATCHES: u32 = 16;

/// What a checkpoint reported: pages in the log.
#[derive(Debug, Clone, Copy)]
struct Wal {
    log: i64,
}

/// The checkpoints of one import's writer connection.
pub struct Checkpoints {
    conn: DatabaseConnection,
    limit: i64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    running: Option<JoinHandle<crate::Result<Wal>>>,
    batches: u32,
}

impl Checkpoints {
    /// Takes over the checkpoints of `writer` (an import's own SQLite connection) with
    /// `conn`, another connection to the same file.
    pub async fn start(
        writer: &DatabaseConnection,
        conn: DatabaseConnection,
    ) -> crate::Result<Arc<Self>> {
        Self::with_limit(writer, conn, LIMIT).await
    }

    /// [`Checkpoints::start`] with the log restarted past `limit` pages.
    async fn with_limit(
        writer: &DatabaseConnection,
        conn: DatabaseConnection,
        limit: i64,
    ) -> crate::Result<Arc<Self>> {
        writer
            .execute_unprepared(&format!(
                "PRAGMA wal_autocheckpoint = {}",
                SAFETY_NET * limit
            ))
            .await?;
        Ok(Arc::new(Self {
            conn,
            limit,
            state: Mutex::new(State::default()),
        }))
    }

    /// After a batch committed on `writer`: starts a checkpoint beside the next write, or,
    /// when the log has grown past its limit, finishes the checkpoint on `writer` so that
    /// its next commit restarts the log.
    /// A checkpoint that fails is logged, never the batch's failure: the batch has committed
    /// (the writer's automatic checkpoint stays as the safety net).
    pub async fn committed(&self, writer: &DatabaseConnection) {
        let mut state = self.state.lock().await;
        state.batches += 1;
        let mut full = state.batches >= MAX_BATCHES;
        if let Some(task) = state.running.take_if(|t| t.is_finished()) {
            match task.await {
                Ok(Ok(wal)) => full |= wal.log >= self.limit,
                Ok(Err(e)) => tracing::warn!(error = %e, "import checkpoint failed"),
                Err(e) => tracing::warn!(error = %e, "import checkpoint stopped"),
            }
        }
        if full {
            if let Some(task) = state.running.take() {
                let _ = task.await;
            }
            let t = std::time::Instant::now();
            match passive(writer).await {
                Ok(wal) => tracing::debug!(
                    log = wal.log,
                    ms = t.elapsed().as_millis() as u64,
                    "import checkpoint caught up"
                ),
                Err(e) => tracing::warn!(error = %e, "import checkpoint failed"),
            }
            state.batches = 0;
        } else if state.running.is_none() {
            let conn = self.conn.clone();
            state.running = Some(tokio::spawn(async move { passive(&conn).await }));
        }
    }

    /// Waits for a running checkpoint and closes the connection.
    pub async fn close(&self) {
        if let Some(task) = self.state.lock().await.running.take() {
            let _ = task.await;
        }
        self.conn.close_by_ref().await.ok();
    }
}

/// `PRAGMA wal_checkpoint(PASSIVE)` on `conn`: copies what it can without waiting for anyone.
async fn passive(conn: &DatabaseConnection) -> crate::Result<Wal> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA wal_checkpoint(PASSIVE)",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("wal_checkpoint returned no row"))?;
    let log: i64 = row.try_get_by_index(1)?;
    Ok(Wal { log })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn open(path: &std::path::Path) -> DatabaseConnection {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        crate::store::connect(&url).await.expect("open")
    }

    /// Pages in `db`'s log now (a checkpoint that copies nothing new: the log is checkpointed
    /// up to what the last one copied, or restarted).
    async fn log(db: &DatabaseConnection) -> i64 {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "PRAGMA wal_checkpoint(PASSIVE)",
            ))
            .await
            .expect("checkpoint")
            .expect("row");
        row.try_get_by_index(1).expect("log")
    }

    /// The writer's log restarts once it passes the limit, although the writer's automatic
    /// checkpoint is four times further out, and every row written is there. Without the
    /// writer's catching up, passive checkpoints beside a busy writer never let the log
    /// restart and it grows to the safety net.
    #[tokio::test]
    async fn the_log_restarts_past_its_limit_and_nothing_is_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.db");
        let pool = open(&file).await;
        pool.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            .await
            .expect("table");
        let writer = crate::store::dedicated(&pool)
            .await
            .expect("writer")
            .expect("file");
        let conn = crate::store::dedicated(&pool)
            .await
            .expect("conn")
            .expect("file");
        let limit = 64;
        let c = Checkpoints::with_limit(&writer, conn, limit)
            .await
            .expect("start");
        let mut highest = 0;
        for batch in 0..60 {
            let txn = sea_orm::TransactionTrait::begin(&writer)
                .await
                .expect("begin");
            for i in 0..20 {
                txn.execute_unprepared(&format!(
                    "INSERT INTO t (v) VALUES ('{batch}-{i}-{}')",
                    "x".repeat(1000)
                ))
                .await
                .expect("insert");
            }
            txn.commit().await.expect("commit");
            c.committed(&writer).await;
            let wal = std::fs::metadata(dir.path().join("c.db-wal"))
                .expect("wal")
                .len();
            highest = highest.max(wal);
        }
        c.close().await;
        // A page of the log is 4,096 bytes and a header of 24; the log file never shrinks, so
        // its size is the most it held.
        let pages = (highest / 4120) as i64;
        assert!(
            pages < 2 * limit,
            "the log grew to {pages} pages (limit {limit})"
        );
        let n = pool
            .query_one_raw(Statement::from_string(
                pool.get_database_backend(),
                "SELECT count(*) FROM t",
            ))
            .await
            .expect("count")
            .expect("row")
            .try_get_by_index::<i64>(0)
            .expect("n");
        assert_eq!(n, 1200);
        assert!(log(&writer).await < 2 * limit);
    }
}
