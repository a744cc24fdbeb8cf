//! The session layer (X4, R7): tower-sessions with the store chosen at start-up — in this
//! process by default, in Redis when a Redis URL is configured so that every instance sees
//! every session. The cookie `roster_session` is HttpOnly, SameSite=Lax, Secure behind
//! https (setting `secure_cookies`), and the session ends after `session_idle` without a
//! request.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use axum::Router;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::{Expiry, Session, SessionManagerLayer, SessionStore, session_store};

use crate::app::AppState;
use crate::auth::account;
use crate::auth::principal::{Principal, SESSION_KEY, STAMP_KEY};
use crate::auth::redis_store::RedisSessionStore;
use crate::store::TenantId;

/// R7: name of the session cookie.
pub const COOKIE_NAME: &str = "roster_session";

/// Sessions created between two sweeps of expired in-process sessions.
const SWEEP_EVERY: u64 = 256;

/// X4: in-process sessions, forgotten when they expire. tower-sessions' own `MemoryStore`
/// never drops an expired record, so a long-running single instance would grow without bound.
#[derive(Debug, Clone, Default)]
pub struct MemorySessions {
    records: Arc<Mutex<HashMap<Id, Record>>>,
    created: Arc<AtomicU64>,
}

impl MemorySessions {
    /// How many sessions are held (expired ones not yet swept included).
    pub async fn len(&self) -> usize {
        self.records.lock().await.len()
    }

    /// Whether no session is held.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }
}

#[async_trait]
impl SessionStore for MemorySessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut records = self.records.lock().await;
        if self.created.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            let now = OffsetDateTime::now_utc();
            records.retain(|_, r| r.expiry_date > now);
        }
        while records.contains_key(&record.id) {
            record.id = Id::default();
        }
        records.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.records.lock().await.insert(record.id, record.clone());
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        Ok(self
            .records
            .lock()
            .await
            .get(session_id)
            .filter(|r| r.expiry_date > now)
            .cloned())
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.records.lock().await.remove(session_id);
        Ok(())
    }
}

/// X4: the session store chosen at start-up.
#[derive(Debug, Clone)]
pub enum Store {
    /// One process (the embedded default).
    Memory(MemorySessions),
    /// Shared by every instance.
    Redis(RedisSessionStore),
}

impl Store {
    /// Redis when the state has a client, else in-process.
    pub fn for_state(state: &AppState) -> Self {
        match &state.redis {
            Some(client) => Self::Redis(RedisSessionStore::new(client.clone())),
            // The instance's one in-process store, shared by every router built from it.
            None => Self::Memory(state.sessions.clone()),
        }
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.create(record).await,
            Self::Redis(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.save(record).await,
            Self::Redis(s) => s.save(record).await,
        }
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Memory(s) => s.load(session_id).await,
            Self::Redis(s) => s.load(session_id).await,
        }
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.delete(session_id).await,
            Self::Redis(s) => s.delete(session_id).await,
        }
    }
}

/// R7, X4: the session layer for `state`'s settings and store.
pub fn layer(state: &AppState) -> SessionManagerLayer<Store> {
    let idle = time::Duration::try_from(state.settings.auth.session_idle)
        .unwrap_or(time::Duration::hours(8));
    SessionManagerLayer::new(Store::for_state(state))
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.auth.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
        // Save on every request of a signed-in session, so inactivity — not the last change —
        // ends it. Anonymous visitors get no session and no cookie.
        .with_always_save(true)
}

/// R7, X4: wraps `router` with the session layer, and inside it [`end_stale`].
pub fn apply(router: Router, state: &AppState) -> Router {
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            end_stale,
        ))
        .layer(layer(state))
}

/// R7 (ASVS 7.4.3): middleware that ends a signed-in session whose password stamp
/// ([`STAMP_KEY`]) is not the account's current one — the password was changed, reset or
/// replaced by a temporary one since the session was signed in — before anything reads the
/// session. Ending it deletes it from the store (memory or Redis) and removes the cookie; the
/// request goes on as anonymous. A store or database failure leaves the session to the guard.
pub async fn end_stale(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let Some(session) = request.extensions().get::<Session>().cloned()
        && let Ok(Some(p)) = session.get::<Principal>(SESSION_KEY).await
    {
        let held = session.get::<String>(STAMP_KEY).await.ok().flatten();
        let current = account::by_id(&state.db, TenantId(p.tenant_id), p.kind, p.id).await;
        let stale = match current {
            Ok(Some(a)) => held.as_deref() != Some(a.credential_stamp().as_str()),
            Ok(None) => true,
            Err(_) => false,
        };
        if stale && let Err(e) = session.flush().await {
            tracing::warn!(error = %e, "session store failed ending a stale session");
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expires_in: time::Duration) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::new(),
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn x4_memory_sessions_expire_and_are_swept() {
        let store = MemorySessions::default();
        let mut old = record(time::Duration::seconds(-1));
        store.create(&mut old).await.expect("create");
        assert_eq!(store.load(&old.id).await.expect("load"), None, "expired");
        for _ in 0..SWEEP_EVERY {
            store
                .create(&mut record(time::Duration::hours(1)))
                .await
                .expect("create");
        }
        assert_eq!(
            store.len().await,
            usize::try_from(SWEEP_EVERY).expect("fits")
        );
        let mut live = record(time::Duration::hours(1));
        store.create(&mut live).await.expect("create");
        assert_eq!(
            store.load(&live.id).await.expect("load"),
            Some(live.clone())
        );
        store.delete(&live.id).await.expect("delete");
        assert_eq!(store.load(&live.id).await.expect("load"), None);
    }
}
