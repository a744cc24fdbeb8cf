//! Sessions in Redis (X4: several stateless instances share them), on the `redis` crate itself
//! rather than `tower-sessions-redis-store`, which pulls a second Redis client (fred).
//!
//! One key per session, `roster:session:<id>`, holding the tower-sessions record as JSON and
//! expiring with it (`SET … EX`), so Redis forgets idle sessions on its own.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use time::OffsetDateTime;
use tokio::sync::OnceCell;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

/// X4: prefix of session keys in Redis.
pub const SESSION_PREFIX: &str = "roster:session:";

/// A Redis connection opened on first use and re-established by the connection manager when
/// Redis restarts (X4). Opening lazily keeps start-up independent of Redis being up.
pub struct LazyRedis {
    client: redis::Client,
    conn: OnceCell<ConnectionManager>,
}

impl fmt::Debug for LazyRedis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyRedis")
            .field("connected", &self.conn.initialized())
            .finish()
    }
}

impl LazyRedis {
    /// Wraps a client; nothing is opened yet.
    pub fn new(client: redis::Client) -> Self {
        Self {
            client,
            conn: OnceCell::new(),
        }
    }

    /// A handle on the shared connection, connecting first if needed. Timeouts are short: a
    /// request waiting on an unreachable Redis should fail fast, not hang.
    pub async fn get(&self) -> redis::RedisResult<ConnectionManager> {
        let conn = self
            .conn
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_number_of_retries(1)
                    .set_connection_timeout(Some(Duration::from_secs(2)))
                    .set_response_timeout(Some(Duration::from_secs(2)));
                self.client.get_connection_manager_with_config(config).await
            })
            .await?;
        Ok(conn.clone())
    }
}

/// X4: the session store shared by every instance, used when a Redis URL is configured.
#[derive(Debug, Clone)]
pub struct RedisSessionStore {
    redis: Arc<LazyRedis>,
}

impl RedisSessionStore {
    /// A store over `client`.
    pub fn new(client: redis::Client) -> Self {
        Self {
            redis: Arc::new(LazyRedis::new(client)),
        }
    }

    async fn conn(&self) -> session_store::Result<ConnectionManager> {
        self.redis.get().await.map_err(backend)
    }
}

/// X4: the Redis key of session `id`.
pub fn session_key(id: &Id) -> String {
    format!("{SESSION_PREFIX}{id}")
}

fn backend(e: redis::RedisError) -> session_store::Error {
    session_store::Error::Backend(format!("redis: {e}"))
}

fn encode(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))
}

/// Seconds until the record expires; at least one, since `EX 0` is an error.
fn ttl_seconds(record: &Record) -> i64 {
    (record.expiry_date - OffsetDateTime::now_utc())
        .whole_seconds()
        .max(1)
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut conn = self.conn().await?;
        // `SET NX` refuses an id that is already taken; draw another (a 128-bit collision is
        // practically impossible, but the store must not overwrite someone else's session).
        loop {
            let created: Option<String> = redis::cmd("SET")
                .arg(session_key(&record.id))
                .arg(encode(record)?)
                .arg("NX")
                .arg("EX")
                .arg(ttl_seconds(record))
                .query_async(&mut conn)
                .await
                .map_err(backend)?;
            if created.is_some() {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut conn = self.conn().await?;
        redis::cmd("SET")
            .arg(session_key(&record.id))
            .arg(encode(record)?)
            .arg("EX")
            .arg(ttl_seconds(record))
            .query_async::<()>(&mut conn)
            .await
            .map_err(backend)
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let mut conn = self.conn().await?;
        let raw: Option<String> = redis::cmd("GET")
            .arg(session_key(session_id))
            .query_async(&mut conn)
            .await
            .map_err(backend)?;
        let Some(raw) = raw else {
            return Ok(None);
        };
        let record: Record =
            serde_json::from_str(&raw).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok((record.expiry_date > OffsetDateTime::now_utc()).then_some(record))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        let mut conn = self.conn().await?;
        redis::cmd("DEL")
            .arg(session_key(session_id))
            .query_async::<()>(&mut conn)
            .await
            .map_err(backend)
    }
}
