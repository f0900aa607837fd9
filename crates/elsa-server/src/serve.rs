//! `elsa-server serve`: open the databases, migrate if configured, and serve HTTP until
//! SIGTERM or Ctrl-C, draining in-flight requests.

use crate::api_key;
use crate::config::ServerSettings;
use crate::connections::{self, ConnectionLimits};
use crate::databases::ModuleDatabases;
use axum::Router;
use elsa_api::{AppState, Health, Identity, IdentityOptions, TokenOptions};
use elsa_engine::{Engine, EngineOptions, SystemClock, TimeOrderedIds};
use elsa_runtime::{RetentionOptions, Runtime, RuntimeOptions};
use elsa_store::{ApiKeyStore, IdentityStore, Module, migrate};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::TcpListener;
use tower::Layer;
use tower::util::MapRequestLayer;

pub async fn run(settings: ServerSettings, databases: ModuleDatabases) -> anyhow::Result<()> {
    let refusals = settings.production_refusals();
    if !refusals.is_empty() {
        anyhow::bail!(
            "refusing to start in the Production environment:\n  - {}",
            refusals.join("\n  - ")
        );
    }
    let _sqlite_locks = databases.lock_sqlite_files()?;
    // The metrics recorder's clock calibrates itself once per process by spinning (quanta: a few
    // ms, over 10 ms on a busy machine); begun here on a thread of its own, it runs while the
    // runtime and the routes are built, and the recorder finds it done.
    std::thread::spawn(quanta::Clock::new);
    let management = databases.get(Module::Management).clone();
    let key_store = ApiKeyStore::new(management.clone());
    let identity = Arc::new(Identity::new(
        identity_options(&settings),
        IdentityStore::new(management.clone()),
        key_store.clone(),
    ));

    // One WriteLine, one line of stdout: a workflow's text cannot break the stream into lines
    // that read as the server's own (log collectors often merge stdout and stderr).
    let stdout: elsa_runtime::ConsoleSink = Arc::new(|line: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", elsa_runtime::escape_controls(line));
    });
    let rt = &settings.runtime_settings;
    let ids = Arc::new(TimeOrderedIds::new());
    let runtime = Arc::new(
        Runtime::new(
            Engine::new(EngineOptions {
                flowchart_mode: settings.flowchart_mode.value,
                max_run_duration: Some(rt.max_run_duration.value),
                max_activity_executions: rt.max_activity_executions.value,
                max_journal_entries_per_run: rt.max_journal_entries.value,
                max_journal_bytes_per_run: rt.max_journal_bytes.value,
                max_activity_records_per_run: rt.max_activity_records.value,
                max_state_size: rt.max_state_size.value,
                ..EngineOptions::default()
            }),
            management,
            databases.get(Module::Runtime).clone(),
            Arc::new(SystemClock),
            ids.clone(),
            stdout,
        )
        .with_fail_on_validation_errors(settings.fail_on_validation_errors.value)
        .with_options(RuntimeOptions {
            node_id: rt.node_id.value.clone(),
            engine_threads: rt.engine_threads.value,
            max_uncommitted_run_memory: rt.max_uncommitted_run_memory.value,
            workers: rt.workers.value,
            lease: rt.lease.value,
            max_attempts: i32::try_from(rt.max_attempts.value).unwrap_or(i32::MAX),
            http_timeout: rt.http_timeout.value,
            ..RuntimeOptions::default()
        }),
    );
    let health = Arc::new(Health::new(
        databases
            .modules
            .iter()
            .map(|(m, _, db)| (*m, db.clone()))
            .collect(),
    ));
    let http = &settings.http;
    elsa_model::json_shape::set_json_limits(elsa_model::JsonLimits {
        max_depth: http.max_json_depth.value,
        max_elements: http.max_json_elements.value,
    });
    let app = elsa_api::router(
        AppState {
            runtime: runtime.clone(),
        },
        identity.clone(),
        health.clone(),
        elsa_api::BodyLimits {
            max_body: http.max_body.value,
            max_import: http.max_import.value,
        },
    )
    .merge(crate::studio::router(&settings.studio_path.value))
    .merge(elsa_api::metrics::router(crate::metrics::install(
        &databases,
    )?))
    .layer(axum::middleware::from_fn(elsa_api::metrics::track))
    .layer(elsa_api::cors::layer(&settings.cors_origins.value));
    // Before routing, so either spelling of a route matches.
    let app = Router::new()
        .fallback_service(MapRequestLayer::new(elsa_api::trim_trailing_slash).layer(app));

    let open_files = connections::raise_open_file_limit();
    let limits = ConnectionLimits {
        request_headers_timeout: http.request_headers_timeout.value,
        keep_alive_timeout: http.keep_alive_timeout.value,
        max_connections: connections::connection_cap(
            http.max_connections.as_ref().map(|c| c.value),
            open_files,
        ),
        max_requests: http.max_requests.value,
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    let mut servers = tokio::task::JoinSet::new();
    for addr in &settings.listen.addrs {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        tracing::info!("Now listening on: http://{}", listener.local_addr()?);
        let app = app.clone();
        let token = shutdown.clone();
        servers.spawn(connections::serve(listener, app, limits, token));
    }
    // Listening comes first, so liveness answers at once. Readiness stays 503 until the
    // database answers, its schema is current and the start-up work is done, which waits for
    // that: pods started before the migration Job finished start by themselves once it has.
    let signal = shutdown_signal();
    tokio::pin!(signal);
    let started =
        start_when_schema_current(&settings, &databases, &key_store, &identity, &runtime, &ids);
    tokio::select! {
        result = started => if let Err(e) = result {
            shutdown.cancel();
            return Err(e);
        },
        () = &mut signal => {
            tracing::info!("Application is shutting down...");
            shutdown.cancel();
            while servers.join_next().await.is_some() {}
            databases.close().await;
            return Ok(());
        }
    }
    health.started.store(true, Ordering::Relaxed);
    // Background work starts after readiness: past-due timers are caught up by a ready node,
    // at the pace its worker slots allow, never before it serves.
    let background = tokio_util::sync::CancellationToken::new();
    let mut workers = tokio::task::JoinSet::new();
    tracing::info!(
        "Node {} runs background work: {} worker slots, {} engine threads",
        rt.node_id.value,
        rt.workers.value,
        rt.engine_threads.value
    );
    workers.spawn(runtime.clone().run_worker(background.clone()));
    workers.spawn(runtime.clone().run_heartbeat(background.clone()));
    workers.spawn(runtime.clone().run_change_watch(background.clone()));
    let retention = RetentionOptions {
        finished_instance_ttl: rt.finished_instance_ttl.as_ref().map(|s| s.value),
        sweep_interval: rt.sweep_interval.value,
        ..RetentionOptions::default()
    };
    workers.spawn(runtime.clone().run_retention(retention, background.clone()));
    tracing::info!("Application started. Press Ctrl+C to shut down.");

    signal.await;
    tracing::info!("Application is shutting down...");
    // Not ready at once and no new work is claimed, but requests are still served for the
    // shutdown delay: Kubernetes removes a terminating pod from its Services' endpoints while it
    // sends SIGTERM, and requests routed before that lands must not be refused. Then the
    // listeners close and requests and work in hand may finish.
    health.accepting.store(false, Ordering::Relaxed);
    background.cancel();
    tokio::time::sleep(rt.shutdown_delay.value).await;
    shutdown.cancel();
    let drained = async {
        while let Some(result) = servers.join_next().await {
            result?;
        }
        while workers.join_next().await.is_some() {}
        anyhow::Ok(())
    };
    match tokio::time::timeout(rt.shutdown_timeout.value, drained).await {
        Ok(result) => result?,
        Err(_) => tracing::warn!(
            "Work still in hand after Elsa:Runtime:ShutdownTimeout ({} s); it is taken up again once its lease runs out",
            rt.shutdown_timeout.value.as_secs()
        ),
    }
    databases.close().await;
    Ok(())
}

/// Token settings for the API.
fn identity_options(settings: &ServerSettings) -> IdentityOptions {
    let identity = &settings.identity;
    if !identity.enabled.value {
        tracing::warn!(
            "Elsa:Identity:Enabled is false: the API is anonymous, anyone who can reach it can read, change and run workflows"
        );
    }
    IdentityOptions {
        enabled: identity.enabled.value,
        tokens: TokenOptions {
            // Without one, the key the cluster shares is read once the database is ready.
            signing_key: identity
                .signing_key
                .as_ref()
                .map(|key| key.expose().as_bytes().to_vec()),
            issuer: identity.issuer.value.clone(),
            audience: identity.audience.value.clone(),
            access_token_lifetime: identity.access_token_lifetime.value,
            refresh_token_lifetime: identity.refresh_token_lifetime.value,
        },
        api_key: settings.api_key.as_ref().map(|k| k.expose().to_owned()),
        lockout: identity.lockout(),
    }
}

/// Without a configured JWT signing key, every node signs with one key stored in the Management
/// database, generated by the first node that starts: tokens from any node work on every
/// other, and across restarts.
async fn use_shared_signing_key(identity: &Identity, runtime: &Runtime) -> anyhow::Result<()> {
    if identity.has_signing_key() {
        return Ok(());
    }
    let secret = runtime.cluster_secret(SHARED_SIGNING_KEY).await?;
    identity.use_signing_key(&secret.bytes);
    if secret.generated {
        tracing::info!(
            "Elsa:Identity:Tokens:SigningKey is not set: generated and stored a token signing key in Elsa_ServerSecrets, which every node sharing this database uses"
        );
    } else {
        tracing::info!(
            "Elsa:Identity:Tokens:SigningKey is not set: using the token signing key stored in Elsa_ServerSecrets"
        );
    }
    Ok(())
}

/// Name of the shared JWT signing key in `Elsa_ServerSecrets`.
const SHARED_SIGNING_KEY: &str = "identity-token-signing-key";

/// How often a server whose schema is not current checks it again.
const SCHEMA_RECHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Waits until every module's schema is current (migrating those that auto-migrate), then does
/// what needs it: the API key and admin user of a first start, the shared signing key, the
/// trigger index. Says once why it waits, and again whenever the reason changes.
async fn start_when_schema_current(
    settings: &ServerSettings,
    databases: &ModuleDatabases,
    key_store: &ApiKeyStore,
    identity: &Identity,
    runtime: &Runtime,
    ids: &TimeOrderedIds,
) -> anyhow::Result<()> {
    let mut reported: Vec<String> = Vec::new();
    loop {
        let waiting = prepare_schema(settings, databases).await?;
        if waiting.is_empty() {
            break;
        }
        for reason in waiting.iter().filter(|r| !reported.contains(r)) {
            tracing::warn!("{reason}");
        }
        if reported.is_empty() {
            tracing::warn!(
                "Not ready until the schema is current: the server checks every {} s and starts by itself once it is",
                SCHEMA_RECHECK.as_secs()
            );
        }
        reported = waiting;
        tokio::time::sleep(SCHEMA_RECHECK).await;
    }
    if !reported.is_empty() {
        tracing::info!("The schema is current: starting");
    }
    // From here on this node's ids differ from those of every other node (see TimeOrderedIds).
    ids.set_tag(runtime.take_id_tag().await?);
    if settings.api_key.is_none() {
        show_generated_key(key_store).await?;
    }
    use_shared_signing_key(identity, runtime).await?;
    let admin = &settings.identity;
    let password = admin.admin_password.as_ref().map(|p| p.expose());
    if let Some(stored) = identity
        .ensure_admin(&admin.admin_user.value, password)
        .await?
    {
        tokio::spawn(show_admin_once_stored(
            admin.admin_user.value.clone(),
            stored,
        ));
    }
    // Published versions stored before the trigger index existed get indexed before the node
    // serves, so their HTTP routes, events and schedules work at once.
    let indexed = runtime.index_unindexed().await?;
    if indexed > 0 {
        tracing::info!("Indexed the triggers of {indexed} published workflow version(s)");
    }
    Ok(())
}

/// Migrates the modules that auto-migrate and checks the others; returns why a schema is not
/// current (nothing when every one is). A failed migration stops the server (Kubernetes
/// restarts it).
async fn prepare_schema(
    settings: &ServerSettings,
    databases: &ModuleDatabases,
) -> anyhow::Result<Vec<String>> {
    let mut waiting = Vec::new();
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
            Ok(p) => waiting.push(format!(
                "The {} schema is behind: {} migration(s) pending and Elsa:AutoMigrate is off; run: elsa-server migrate",
                module.name(),
                p.len()
            )),
            Err(e) => waiting.push(format!(
                "Could not read the {} schema version: {}",
                module.name(),
                db.explain(e).await
            )),
        }
    }
    Ok(waiting)
}

/// Waits for the first-start admin user, being stored in the background while the server is
/// ready, and shows its password if it was generated. A failure leaves no user stored, so the
/// next start tries again.
async fn show_admin_once_stored(
    name: String,
    stored: tokio::task::JoinHandle<elsa_store::Result<Option<String>>>,
) {
    match stored
        .await
        .map_err(anyhow::Error::from)
        .and_then(|r| Ok(r?))
    {
        Ok(Some(generated)) => {
            // Shown once, on the terminal only: the database keeps a hash, logs never see it.
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "\n  Created user '{name}' with role admin; generated password (shown once; keep it): {generated}\n  Log in with: POST /elsa/api/identity/login {{\"username\":\"{name}\",\"password\":\"...\"}}\n"
            );
        }
        Ok(None) => {}
        Err(e) => tracing::error!("Could not store the admin user '{name}': {e}"),
    }
}

/// With no configured API key, the first server to start makes one and shows it once.
async fn show_generated_key(key_store: &ApiKeyStore) -> anyhow::Result<()> {
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
