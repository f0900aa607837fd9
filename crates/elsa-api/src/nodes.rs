//! `GET /cluster/nodes` (ours, not Elsa's): the server processes sharing this database, read
//! from their heartbeat rows — which are alive, and what each did since it started: work items
//! claimed, leases taken over from nodes that stopped renewing them, how late due work and
//! scheduled ticks were taken up.

use crate::AppState;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::State;
use elsa_model::Timestamp;
use elsa_runtime::{Lateness, NodeReport, NodeState};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// How late work was taken up, in milliseconds.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LatenessModel {
    pub count: u64,
    pub mean_ms: u64,
    pub max_ms: u64,
}

impl From<Lateness> for LatenessModel {
    fn from(l: Lateness) -> Self {
        Self {
            count: l.count,
            mean_ms: l.mean_ms,
            max_ms: l.max_ms,
        }
    }
}

/// One node, as its last heartbeat told.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeModel {
    pub node_id: String,
    /// `Alive` (heard from within three heartbeats), `Stopped` (gracefully) or `Lost`
    /// (silent: it died or cannot reach the database; its leases run out).
    pub state: String,
    /// Whether this is the node that answered.
    pub this_node: bool,
    pub version: String,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub heartbeat_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stopped_at: Option<Timestamp>,
    /// Work items claimed since the node started.
    pub claims: u64,
    /// Of those, items another node's lease held until it ran out.
    pub expired_leases: u64,
    /// Claim time minus due time of the claimed items (timers, starts, retries).
    pub work_lateness: LatenessModel,
    /// Fire time minus scheduled time of the cron, timer and start-at ticks it fired.
    pub tick_lateness: LatenessModel,
}

impl From<NodeReport> for NodeModel {
    fn from(n: NodeReport) -> Self {
        Self {
            node_id: n.node_id,
            state: match n.state {
                NodeState::Alive => "Alive",
                NodeState::Stopped => "Stopped",
                NodeState::Lost => "Lost",
            }
            .to_owned(),
            this_node: n.this_node,
            version: n.version,
            started_at: n.started_at,
            heartbeat_at: n.heartbeat_at,
            stopped_at: n.stopped_at,
            claims: n.figures.claims,
            expired_leases: n.figures.expired_leases,
            work_lateness: n.figures.work_lateness.into(),
            tick_lateness: n.figures.tick_lateness.into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeList {
    pub items: Vec<NodeModel>,
}

/// `GET /cluster/nodes`: every node that shares this database, by id.
#[utoipa::path(get, path = "/cluster/nodes", tag = "cluster",
    operation_id = "listNodes",
    responses((status = 200, description = "The nodes and their figures", body = NodeList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<NodeList>, ApiError> {
    let nodes = state.runtime.nodes().await?;
    Ok(Json(NodeList {
        items: nodes.into_iter().map(Into::into).collect(),
    }))
}
