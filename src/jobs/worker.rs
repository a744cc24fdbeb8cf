//! The background worker: claims due jobs and runs them. `roster serve` runs one; more
//! instances simply run more, the queue keeps them apart.

use std::time::Duration;

use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::app::AppState;

/// How long a claimed job is held before another worker may take it over.
pub const LEASE: Duration = Duration::from_secs(300);

/// Starts a worker task that polls for due jobs until the runtime stops.
pub fn spawn(state: AppState) -> JoinHandle<()> {
    let worker = format!("{}:{}", hostname(), uuid::Uuid::new_v4().simple());
    tokio::spawn(async move {
        loop {
            match run_once(&state, &worker).await {
                Ok(true) => continue,
                Ok(false) => tokio::time::sleep(Duration::from_secs(1)).await,
                Err(e) => {
                    tracing::warn!(error = %e, "job queue unavailable");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    })
}

/// Claims and runs at most one due job; `Ok(false)` when none was due.
pub async fn run_once(state: &AppState, worker: &str) -> crate::Result<bool> {
    let Some(job) = super::claim(&state.db, worker, LEASE).await? else {
        return Ok(false);
    };
    let span = tracing::info_span!("job", job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts);
    async {
        let work = super::handlers::run(state, &job);
        match super::holding(&state.db, &job, worker, LEASE, work).await {
            Ok(()) => {
                tracing::info!("job done");
                super::complete(&state.db, &job).await
            }
            Err(e) => {
                tracing::warn!(error = %e, "job failed");
                super::fail(&state.db, &job, &e.to_string()).await
            }
        }
    }
    .instrument(span)
    .await?;
    Ok(true)
}

/// Runs every due job, then returns (tests and `roster` one-shot commands).
pub async fn drain(state: &AppState) -> crate::Result<usize> {
    let mut n = 0;
    while run_once(state, "drain").await? {
        n += 1;
    }
    Ok(n)
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "roster".into())
}
