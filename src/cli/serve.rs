//! `roster serve`: migrate, apply `tenants/`, create first administrators, serve HTTP.

use std::process::ExitCode;

use tokio::net::TcpListener;

use crate::app::AppState;
use crate::config::Settings;
use crate::tenancy;

/// Runs the server until Ctrl-C or SIGTERM, then drains open requests.
pub async fn run(settings: Settings) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&settings.data_dir)?;
    let db = crate::store::connect(&settings.database_url).await?;
    crate::store::migrate(&db).await?;

    let mut first_admins = Vec::new();
    if settings.tenants_dir.is_dir() {
        let loaded = match tenancy::load_all(std::slice::from_ref(&settings.tenants_dir)) {
            Ok(l) => l,
            Err(problems) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                eprintln!(
                    "{} problem(s) in {}; fix them (check with `roster tenant validate`) and start again",
                    problems.len(),
                    settings.tenants_dir.display()
                );
                return Ok(ExitCode::FAILURE);
            }
        };
        for (slug, tenant) in super::tenant::apply_all(&db, &loaded, false).await? {
            if let Some(admin) =
                crate::auth::bootstrap::ensure_first_admin(&db, tenant, &slug).await?
            {
                first_admins.push((slug, admin));
            }
        }
    } else {
        tracing::warn!(dir = %settings.tenants_dir.display(), "tenant directory not found; serving no descriptors");
    }

    let state = AppState::new(settings.clone(), db)?;
    // J1: this instance also works the queue; B3: and follows policy changes of others.
    crate::jobs::worker::spawn(state.clone());
    crate::authz::enforcer::spawn_watchers(state.clone());
    let listener = TcpListener::bind(&settings.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
    let addr = listener.local_addr()?;
    println!(
        "Roster is listening on http://{addr} (public URL {})",
        settings.public_url
    );
    for (slug, admin) in &first_admins {
        println!(
            "First administrator of tenant `{slug}`: login `{}`, temporary password `{}` (role {}; shown once, must be changed at first sign-in)",
            admin.login, admin.password, admin.role
        );
    }
    axum::serve(
        listener,
        state
            .router()
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down; finishing open requests");
}
