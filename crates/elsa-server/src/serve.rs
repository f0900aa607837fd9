//! `elsa-server serve`: open the databases, migrate if configured, and serve HTTP until
//! SIGTERM or Ctrl-C, draining in-flight requests.

use crate::api_key;
use crate::config::ServerSettings;
use crate::databases::ModuleDatabases;
use elsa_api::{ApiKeyAuth, AppState, Health};
use elsa_engine::{Engine, EngineOptions, RandomIds, SystemClock};
use elsa_runtime::Runtime;
use elsa_store::{ApiKeyStore, Module, migrate};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::TcpListener;

pub async fn run(settings: ServerSettings, databases: ModuleDatabases) -> anyhow::Result<()> {
    let management = databases.get(Module::Management).clone();
    let key_store = ApiKeyStore::new(management.clone());
    let auth = Arc::new(ApiKeyAuth::new(
        settings.api_key.as_ref().map(|k| k.expose()),
        Some(key_store.clone()),
    ));

    let stdout: elsa_runtime::ConsoleSink = Arc::new(|line: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    });
    let runtime = Arc::new(Runtime::new(
        Engine::new(EngineOptions {
            flowchart_mode: settings.flowchart_mode.value,
            ..EngineOptions::default()
        }),
        management,
        databases.get(Module::Runtime).clone(),
        Arc::new(SystemClock),
        Arc::new(RandomIds),
        stdout,
    ));
    let health = Arc::new(Health {
        databases: databases
            .modules
            .iter()
            .map(|(m, _, db)| (*m, db.clone()))
            .collect(),
        accepting: AtomicBool::new(true),
    });
    let app = elsa_api::router(AppState { runtime }, auth, health.clone())
        .merge(crate::studio::router(&settings.studio_path.value))
        .layer(elsa_api::cors::layer(&settings.cors_origins.value));

    let shutdown = tokio_util::sync::CancellationToken::new();
    let mut servers = tokio::task::JoinSet::new();
    for addr in &settings.listen.addrs {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        tracing::info!("Now listening on: http://{}", listener.local_addr()?);
        let app = app.clone();
        let token = shutdown.clone();
        servers.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { token.cancelled().await })
                .await
        });
    }
    // Listening comes first, so liveness answers at once; readiness stays 503 until the
    // database answers and its schema is current.
    let started = async {
        let schema_current = prepare_schema(&settings, &databases).await?;
        if settings.api_key.is_none() {
            show_generated_key(&key_store, schema_current).await?;
        }
        anyhow::Ok(())
    };
    if let Err(e) = started.await {
        shutdown.cancel();
        return Err(e);
    }
    tracing::info!("Application started. Press Ctrl+C to shut down.");

    shutdown_signal().await;
    tracing::info!("Application is shutting down...");
    health.accepting.store(false, Ordering::Relaxed);
    shutdown.cancel();
    while let Some(result) = servers.join_next().await {
        result??;
    }
    databases.close().await;
    Ok(())
}

/// Migrates the modules that auto-migrate and checks the others; true when every schema is
/// current. A failed migration stops the server (Kubernetes restarts it).
async fn prepare_schema(
    settings: &ServerSettings,
    databases: &ModuleDatabases,
) -> anyhow::Result<bool> {
    let mut schema_current = true;
    for ((module, db_settings, db), configured) in databases.modules.iter().zip(settings.modules())
    {
        if configured.auto_migrate.value {
            migrate::migrate(db_settings, db, *module, &mut |id| {
                tracing::info!("Applying migration '{id}' ({})", module.name())
            })
            .await?;
            continue;
        }
        match migrate::pending(db, *module).await {
            Ok(p) if p.is_empty() => {}
            Ok(p) => {
                schema_current = false;
                tracing::warn!(
                    "The {} schema is behind: {} migration(s) pending and Elsa:AutoMigrate is off; run: elsa-server migrate",
                    module.name(),
                    p.len()
                );
            }
            Err(e) => {
                schema_current = false;
                tracing::warn!("Could not read the {} schema version: {e}", module.name());
            }
        }
    }
    Ok(schema_current)
}

/// With no configured API key, the first server to start makes one and shows it once.
async fn show_generated_key(key_store: &ApiKeyStore, schema_current: bool) -> anyhow::Result<()> {
    if !schema_current {
        tracing::warn!(
            "No API key is configured and none can be created until the schema is migrated"
        );
        return Ok(());
    }
    if let Some(key) = api_key::bootstrap(key_store).await? {
        // Shown once, on the terminal only: the database keeps a hash, logs never see it.
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "\n  Generated API key (shown once; keep it): {key}\n  Use it as: Authorization: ApiKey {key}\n"
        );
    }
    Ok(())
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
        _ = ctrl_c => {},
        _ = term => {},
    }
}
