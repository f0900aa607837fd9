//! This node in the cluster: what it has done since it started (claims, leases it took over
//! from nodes that stopped renewing them, how late due work and scheduled ticks were taken
//! up), written to its `Elsa_Nodes` row at start and on every heartbeat, so any node can list
//! every node with its figures. The heartbeat also refreshes the database's gauges of
//! `/metrics` (`gauges.rs`).

use crate::{Runtime, RuntimeError};
use chrono::TimeDelta;
use elsa_model::Timestamp;
use elsa_store::NodeRow;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often a node writes its row.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// A node not heard from for this long is reported lost (three missed beats).
const LOST_AFTER: TimeDelta = TimeDelta::seconds(15);
/// Rows of nodes not heard from for this long are removed, whenever a node starts.
const FORGET_AFTER: TimeDelta = TimeDelta::days(1);

/// How late things were taken up: count, total and longest, in milliseconds.
#[derive(Debug, Default)]
struct LatenessCounter {
    count: AtomicU64,
    total_ms: AtomicU64,
    max_ms: AtomicU64,
}

impl LatenessCounter {
    fn record(&self, due: Timestamp, now: Timestamp) {
        let late = u64::try_from((now - due).num_milliseconds()).unwrap_or(0);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.total_ms.fetch_add(late, Ordering::Relaxed);
        self.max_ms.fetch_max(late, Ordering::Relaxed);
    }

    fn report(&self) -> Lateness {
        let count = self.count.load(Ordering::Relaxed);
        Lateness {
            count,
            mean_ms: self
                .total_ms
                .load(Ordering::Relaxed)
                .checked_div(count)
                .unwrap_or(0),
            max_ms: self.max_ms.load(Ordering::Relaxed),
        }
    }
}

/// This node's counters since it started.
#[derive(Debug, Default)]
pub(crate) struct NodeCounters {
    claims: AtomicU64,
    expired_leases: AtomicU64,
    work: LatenessCounter,
    ticks: LatenessCounter,
}

impl NodeCounters {
    /// A claim of due work: how many items, how many of them another node's lease had held
    /// until it ran out, and how late each was.
    pub(crate) fn claimed(&self, claim: &elsa_store::Claimed, now: Timestamp) {
        self.claims
            .fetch_add(claim.items.len() as u64, Ordering::Relaxed);
        self.expired_leases
            .fetch_add(claim.expired_leases as u64, Ordering::Relaxed);
        metrics::counter!("elsa_work_claims_total").increment(claim.items.len() as u64);
        metrics::counter!("elsa_work_expired_leases_total").increment(claim.expired_leases as u64);
        for item in &claim.items {
            self.work.record(item.due_at, now);
            metrics::histogram!("elsa_work_lateness_seconds").record(seconds(item.due_at, now));
        }
    }

    /// A scheduled trigger's tick (cron, timer, start-at) fired.
    pub(crate) fn tick_fired(&self, scheduled: Timestamp, now: Timestamp) {
        self.ticks.record(scheduled, now);
        metrics::histogram!("elsa_tick_lateness_seconds").record(seconds(scheduled, now));
    }

    fn report(&self) -> NodeFigures {
        NodeFigures {
            claims: self.claims.load(Ordering::Relaxed),
            expired_leases: self.expired_leases.load(Ordering::Relaxed),
            work_lateness: self.work.report(),
            tick_lateness: self.ticks.report(),
        }
    }
}

/// How late something due at `due` was taken up at `now`, in seconds (0 when early).
fn seconds(due: Timestamp, now: Timestamp) -> f64 {
    (now - due).num_milliseconds().max(0) as f64 / 1000.0
}

/// How late work was taken up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lateness {
    pub count: u64,
    pub mean_ms: u64,
    pub max_ms: u64,
}

/// What a node reports in its row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeFigures {
    /// Work items this node claimed.
    pub claims: u64,
    /// Of those, items whose lease another node held until it ran out (that node died,
    /// stopped renewing, or lost the database).
    pub expired_leases: u64,
    /// Claim time minus due time of the items claimed: timers, dispatched and scheduled
    /// starts, retries.
    pub work_lateness: Lateness,
    /// Fire time minus scheduled time of the cron, timer and start-at ticks this node fired.
    pub tick_lateness: Lateness,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct NodeDocument {
    version: String,
    #[serde(flatten)]
    figures: NodeFigures,
}

/// Whether a node is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeState {
    /// Heard from within the last three heartbeats.
    Alive,
    /// Stopped gracefully.
    Stopped,
    /// Not heard from for three heartbeats and not stopped gracefully: it died, or it cannot
    /// reach the database. Its leases run out and other nodes take its work.
    Lost,
}

/// A node as its row tells.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeReport {
    pub node_id: String,
    pub state: NodeState,
    pub version: String,
    pub started_at: Timestamp,
    pub heartbeat_at: Timestamp,
    pub stopped_at: Option<Timestamp>,
    pub figures: NodeFigures,
    /// Whether it is the node answering.
    pub this_node: bool,
}

impl Runtime {
    /// A tag for the ids this node makes, different from every other live node's (see
    /// `elsa_engine::TimeOrderedIds`).
    pub async fn take_id_tag(&self) -> Result<u64, RuntimeError> {
        Ok(self.node_store.take_id_tag().await?)
    }

    /// Every node that wrote a row, by id.
    pub async fn nodes(&self) -> Result<Vec<NodeReport>, RuntimeError> {
        let now = self.clock.now();
        Ok(self
            .node_store
            .list()
            .await?
            .into_iter()
            .map(|row| {
                let document: NodeDocument = serde_json::from_value(row.data).unwrap_or_default();
                let state = match row.stopped_at {
                    Some(_) => NodeState::Stopped,
                    None if now - row.heartbeat_at > LOST_AFTER => NodeState::Lost,
                    None => NodeState::Alive,
                };
                NodeReport {
                    this_node: row.node_id == self.options.node_id,
                    node_id: row.node_id,
                    state,
                    version: document.version,
                    started_at: row.started_at,
                    heartbeat_at: row.heartbeat_at,
                    stopped_at: row.stopped_at,
                    figures: document.figures,
                }
            })
            .collect())
    }

    /// Writes this node's row now, then every [`HEARTBEAT`] until `shutdown`, and a last time
    /// saying it stopped. A beat that fails (the database is away) is tried at the next.
    pub async fn run_heartbeat(self: Arc<Self>, shutdown: CancellationToken) {
        let started_at = self.clock.now();
        let mut announced = false;
        loop {
            let stopping = shutdown.is_cancelled();
            match self.beat(started_at, stopping).await {
                Ok(()) if !announced => {
                    announced = true;
                    self.announce().await;
                }
                Ok(()) => {}
                Err(error) => tracing::warn!(%error, "could not write this node's heartbeat"),
            }
            if stopping {
                return;
            }
            if let Err(error) = self.refresh_gauges().await {
                tracing::debug!(%error, "could not read the figures of /metrics");
            }
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(HEARTBEAT) => {}
            }
        }
    }

    /// Once this node's row is written: removes the rows of nodes gone for good and logs the
    /// nodes sharing the database.
    async fn announce(&self) {
        let gone = self.clock.now() - FORGET_AFTER;
        if let Err(error) = self.node_store.forget_silent(gone).await {
            tracing::warn!(%error, "could not remove the rows of nodes gone for a day");
        }
        match self.nodes().await {
            Ok(nodes) => {
                let list: Vec<String> = nodes
                    .iter()
                    .map(|n| match (n.this_node, n.state) {
                        (true, _) => format!("{} (this node)", n.node_id),
                        (false, state) => format!("{} ({state:?})", n.node_id),
                    })
                    .collect();
                tracing::info!("Nodes sharing this database: {}", list.join(", "));
            }
            Err(error) => tracing::warn!(%error, "could not list the nodes"),
        }
    }

    async fn beat(&self, started_at: Timestamp, stopping: bool) -> Result<(), RuntimeError> {
        let now = self.clock.now();
        let document = NodeDocument {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            figures: self.counters.report(),
        };
        self.node_store
            .beat(&NodeRow {
                node_id: self.options.node_id.clone(),
                started_at,
                heartbeat_at: now,
                stopped_at: stopping.then_some(now),
                data: serde_json::to_value(document).expect("node documents serialise"),
            })
            .await?;
        Ok(())
    }
}
