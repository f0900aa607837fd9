//! Kubernetes probes: `/health/live` (the process answers) and `/health/ready` (every module's
//! database answers and its schema is current).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use elsa_store::{Database, Module, migrate};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What readiness looks at.
pub struct Health {
    pub databases: Vec<(Module, Database)>,
    /// Cleared when shutdown begins, so the load balancer stops sending traffic first.
    pub accepting: AtomicBool,
    /// Set once start-up work is done (the schema is current, the signing key is known), so a
    /// login right after readiness works. The first admin user's password hash is not waited
    /// for: logins wait for it instead (`Identity::ensure_admin`).
    pub started: AtomicBool,
    /// The last database check, when it was made and whether start-up was done then: probes
    /// arriving together share one check, so a flood of `/health/ready` costs the database one
    /// query per [`CHECK_REUSE`].
    last_check: tokio::sync::Mutex<Option<(tokio::time::Instant, bool, DatabaseCheck)>>,
}

impl Health {
    pub fn new(databases: Vec<(Module, Database)>) -> Self {
        Self {
            databases,
            accepting: AtomicBool::new(true),
            started: AtomicBool::new(false),
            last_check: tokio::sync::Mutex::new(None),
        }
    }

    /// The databases' state, checked anew unless a check finished within [`CHECK_REUSE`]. A
    /// check made during start-up is not reused once start-up is done: it saw the schema before
    /// the migrations, and reusing it kept a node not ready for up to [`CHECK_REUSE`] longer.
    async fn databases_state(&self) -> DatabaseCheck {
        let started = self.started.load(Ordering::Relaxed);
        let mut last = self.last_check.lock().await;
        if let Some((at, started_then, check)) = last.as_ref()
            && at.elapsed() < CHECK_REUSE
            && *started_then == started
        {
            return check.clone();
        }
        let check = self.check_databases().await;
        *last = Some((tokio::time::Instant::now(), started, check.clone()));
        check
    }

    async fn check_databases(&self) -> DatabaseCheck {
        let mut entries = serde_json::Map::new();
        let mut ok = true;
        // A database that accepts connections but does not answer (a partition, a full pool)
        // must read as 503, not as a probe that timed out.
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        for (module, db) in &self.databases {
            let check = async {
                // The pool retries a refused connection for its whole acquire timeout (15 s by
                // default): past two thirds of the time left a direct attempt says why.
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                match db.ping_within(left * 2 / 3).await {
                    Err(e) => format!("database unreachable: {e}"),
                    Ok(()) => match migrate::ensure_current(db, *module).await {
                        Ok(()) => "Healthy".to_string(),
                        Err(e) => e.to_string(),
                    },
                }
            };
            let status = tokio::time::timeout_at(deadline, check)
                .await
                .unwrap_or_else(|_| {
                    format!(
                        "database unreachable: no answer within {} ms",
                        READY_TIMEOUT.as_millis()
                    )
                });
            ok &= status == "Healthy";
            entries.insert(module.name().to_string(), json!(status));
        }
        DatabaseCheck { ok, entries }
    }
}

#[derive(Clone)]
struct DatabaseCheck {
    ok: bool,
    entries: serde_json::Map<String, serde_json::Value>,
}

/// How long one database check answers for: a fraction of any probe period, so readiness
/// follows the database within a second.
const CHECK_REUSE: std::time::Duration = std::time::Duration::from_millis(500);

/// How long `/health/ready` waits for all databases together: within Kubernetes' default probe
/// timeout of 1 s (the guide's probes set none).
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(900);

pub async fn live() -> impl IntoResponse {
    Json(json!({"status": "Healthy"}))
}

pub async fn ready(State(health): State<Arc<Health>>) -> impl IntoResponse {
    if !health.accepting.load(Ordering::Relaxed) {
        return unhealthy(json!({"server": "shutting down"}));
    }
    let DatabaseCheck {
        mut ok,
        mut entries,
    } = health.databases_state().await;
    if !health.started.load(Ordering::Relaxed) {
        ok = false;
        entries.insert("server".into(), json!("starting"));
    }
    if ok {
        (
            StatusCode::OK,
            Json(json!({"status": "Healthy", "entries": entries})),
        )
    } else {
        unhealthy(serde_json::Value::Object(entries))
    }
}

fn unhealthy(entries: serde_json::Value) -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "Unhealthy", "entries": entries})),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use elsa_store::{DbSettings, SqliteSettings};

    #[tokio::test]
    async fn ready_as_soon_as_start_up_is_done() {
        let settings = DbSettings::Sqlite(SqliteSettings {
            filename: ":memory:".into(),
            ..Default::default()
        });
        let db = Database::connect(&settings).await.unwrap();
        let health = Arc::new(Health::new(vec![(Module::Management, db.clone())]));
        let status = |health: &Arc<Health>| {
            let health = health.clone();
            async move { ready(State(health)).await.into_response().status() }
        };
        // Probed while the schema is still behind: that check must not outlive start-up.
        assert_eq!(status(&health).await, StatusCode::SERVICE_UNAVAILABLE);
        migrate::migrate(&settings, &db, Module::Management, &mut |_| {})
            .await
            .unwrap();
        health.started.store(true, Ordering::Relaxed);
        assert_eq!(status(&health).await, StatusCode::OK);
    }
}
