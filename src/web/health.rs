//! Liveness and readiness for load balancers and operators.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::error::Error;

/// A plain pointer for people who open the root URL.
pub async fn index() -> &'static str {
    concat!(
        "Roster ",
        env!("CARGO_PKG_VERSION"),
        " is running. Health: /healthz, readiness: /readyz.\n"
    )
}

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers and, when configured, Redis does too.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, Error> {
    crate::store::ping(&state.db).await.map_err(|e| {
        tracing::warn!(error = %e, "database not ready");
        Error::Unavailable("database".into())
    })?;
    let redis = match &state.redis {
        None => "not configured",
        Some(client) => {
            ping_redis(client).await.map_err(|e| {
                tracing::warn!(error = %e, "redis not ready");
                Error::Unavailable("redis".into())
            })?;
            "ok"
        }
    };
    Ok(Json(
        json!({ "status": "ok", "database": "ok", "redis": redis }),
    ))
}

async fn ping_redis(client: &redis::Client) -> anyhow::Result<()> {
    let attempt = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
        anyhow::ensure!(pong == "PONG", "unexpected answer {pong}");
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(2), attempt)
        .await
        .map_err(|_| anyhow::anyhow!("timed out"))?
}
