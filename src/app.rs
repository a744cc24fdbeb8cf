//! Shared state of a running instance and the assembly of its router.
//!
//! Nothing here may hold state that only works in one process: the database is the source of
//! truth, Redis (when configured) carries what instances share.

use std::sync::Arc;

use axum::Router;
use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::mail::Mailer;

/// Everything a request handler may need.
pub struct App {
    /// Server settings.
    pub settings: Settings,
    /// Database pool.
    pub db: DatabaseConnection,
    /// Redis client, when configured.
    pub redis: Option<redis::Client>,
    /// Outgoing mail.
    pub mailer: Mailer,
    /// Per-tenant authorization policies.
    pub authz: crate::authz::enforcer::Registry,
    /// Parsed tenant contexts (settings, languages), per tenant.
    pub tenants: crate::tenancy::Tenants,
    /// In-process sessions (used when no Redis is configured).
    pub sessions: crate::web::sessions::MemorySessions,
}

/// Cheap-to-clone handle on [`App`].
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    /// Builds the state from settings and an open database.
    pub fn new(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        let mailer = Mailer::from_settings(&settings)?;
        Self::with_mailer(settings, db, mailer)
    }

    /// Builds the state with a given mailer (tests use [`Mailer::memory`]).
    pub fn with_mailer(
        settings: Settings,
        db: DatabaseConnection,
        mailer: Mailer,
    ) -> anyhow::Result<Self> {
        let redis = settings
            .redis_url
            .as_deref()
            .map(redis::Client::open)
            .transpose()
            .map_err(|e| anyhow::anyhow!("invalid Redis URL: {e}"))?;
        Ok(Self(Arc::new(App {
            settings,
            db,
            redis,
            mailer,
            authz: Default::default(),
            tenants: Default::default(),
            sessions: Default::default(),
        })))
    }

    /// The complete HTTP application.
    pub fn router(&self) -> Router {
        crate::web::router(self.clone())
    }
}
