//! The process's Prometheus metrics: the recorder `/metrics` renders, and every metric the
//! crates record, described here with its help text and shown from the first scrape — a counter
//! at 0, a histogram with no samples — so rates, alerts (deploy/kubernetes/overlays/postgres/
//! monitoring.yaml) and dashboards (deploy/grafana) see every series before its first event.

use crate::databases::ModuleDatabases;
use std::sync::Arc;

/// Every metric: name, kind, labels, help.
const METRICS: &[(&str, Kind, &[&str], &str)] = &[
    (
        "http_requests_total",
        Kind::Counter,
        &["method", "status"],
        "HTTP requests answered",
    ),
    (
        "http_request_duration_seconds",
        Kind::Histogram,
        &["method", "status"],
        "Time to answer an HTTP request",
    ),
    (
        "elsa_workflow_executions_total",
        Kind::Counter,
        &[],
        "Workflow runs committed (starts and resumptions)",
    ),
    (
        "elsa_workflow_execution_failed_total",
        Kind::Counter,
        &[],
        "Workflow runs that ended faulted",
    ),
    (
        "elsa_active_workflows_total",
        Kind::Gauge,
        &[],
        "Workflow instances running or suspended, in the whole database (aggregate replicas with max)",
    ),
    (
        "elsa_database_connections_active",
        Kind::Gauge,
        &["module"],
        "Connections each module's pool has checked out",
    ),
    (
        "elsa_database_connection_errors_total",
        Kind::Counter,
        &[],
        "API requests answered 503 because the database could not be reached",
    ),
    (
        "elsa_work_queue_depth",
        Kind::Gauge,
        &["state"],
        "Work items by state: due, leased, scheduled, dead_lettered (whole database)",
    ),
    (
        "elsa_work_queue_oldest_due_seconds",
        Kind::Gauge,
        &[],
        "How long the longest-waiting due work item has waited (whole database)",
    ),
    (
        "elsa_work_claims_total",
        Kind::Counter,
        &[],
        "Work items this node claimed",
    ),
    (
        "elsa_work_expired_leases_total",
        Kind::Counter,
        &[],
        "Claimed work items whose previous lease had run out (another node died or was cut off)",
    ),
    (
        "elsa_work_lateness_seconds",
        Kind::Histogram,
        &[],
        "Claim time minus due time of work items",
    ),
    (
        "elsa_tick_lateness_seconds",
        Kind::Histogram,
        &[],
        "Fire time minus scheduled time of cron, timer and start-at triggers",
    ),
];

enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Gives every metric its help text and shows the unlabelled ones at once (a labelled one
/// appears with its first labels: an unlabelled zero beside them would be a bogus series).
fn describe() {
    for (name, kind, labels, help) in METRICS {
        let show = labels.is_empty();
        match kind {
            Kind::Counter => {
                metrics::describe_counter!(*name, *help);
                if show {
                    metrics::counter!(*name).increment(0);
                }
            }
            Kind::Gauge => metrics::describe_gauge!(*name, *help),
            Kind::Histogram => {
                metrics::describe_histogram!(*name, *help);
                if show {
                    let _ = metrics::histogram!(*name);
                }
            }
        }
    }
}

/// Installs the process's metrics recorder and returns how `/metrics` renders it: with the
/// connections each module's pool has checked out at that moment.
pub fn install(databases: &ModuleDatabases) -> anyhow::Result<elsa_api::metrics::Render> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    // Durations as histograms with Prometheus' default buckets, so `histogram_quantile` works
    // across replicas (the exporter's default, a per-process summary, cannot be aggregated).
    const BUCKETS: [f64; 11] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|e| anyhow::anyhow!("cannot install the metrics recorder: {e}"))?;
    describe();
    let pools: Vec<(&'static str, elsa_store::Database)> = databases
        .modules
        .iter()
        .map(|(module, _, db)| (module.name(), db.clone()))
        .collect();
    Ok(Arc::new(move || {
        for (module, db) in &pools {
            metrics::gauge!("elsa_database_connections_active", "module" => *module)
                .set(db.connections_in_use() as f64);
        }
        handle.render()
    }))
}
