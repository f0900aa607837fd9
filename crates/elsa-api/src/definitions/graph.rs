//! The designer's drill-down into composite activities: one node of a version's activity tree
//! (`subgraph`), and the path from a node up to its outermost composite container
//! (`subgraph/segments`).

use crate::AppState;
use crate::json::Query;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use elsa_model::WorkflowDefinition;
use elsa_runtime::{ActivityNode, activity_nodes};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Containers the path skips, as Elsa's designer does not drill into them.
const TRANSPARENT: [&str; 2] = ["Elsa.Workflow", "Elsa.Flowchart"];

/// One activity of a definition's tree.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    pub node_id: String,
    /// The parent's property it hangs from (`Activities`, `Then`, ...); `Root` for the root.
    pub port: String,
    /// The activity as stored (free-form).
    pub activity: Value,
}

fn node_json(node: &ActivityNode) -> Node {
    Node {
        node_id: node.node_id.clone(),
        port: node.port.clone(),
        activity: node.activity.clone(),
    }
}

/// A composite activity on the way from the root to a node.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PathSegment {
    pub activity_node_id: String,
    /// The activity's `id` as stored (free-form).
    pub activity_id: Value,
    pub activity_type: String,
    /// The port of the composite the path goes through.
    pub port_name: String,
    /// The activity's name if it has one, else its type (free-form).
    pub activity_name: Value,
}

/// Where a node sits: the node, its innermost composite container, and the path to it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Segments {
    pub child_node: Node,
    pub container: Node,
    pub path_segments: Vec<PathSegment>,
}

async fn version(state: &AppState, id: &str) -> Result<WorkflowDefinition, ApiError> {
    state.runtime.definitions().get(id).await?.ok_or_else(|| {
        ApiError::not_found(format!("workflow definition version {id} was not found"))
    })
}

/// `GET /workflow-definitions/subgraph/{id}?parentNodeId=`: the node and its activity (with
/// its children); the root activity when the node is unknown or not given.
#[utoipa::path(get, path = "/workflow-definitions/subgraph/{id}", tag = "workflow-definitions",
    params(("id" = String, Path, description = "The version id"),
        ("parentNodeId" = Option<String>, Query, description = "The node to return")),
    responses((status = 200, description = "The node", body = Node),
        (status = 404, description = "No such version")))]
pub async fn subgraph(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Node>, ApiError> {
    let definition = version(&state, &id).await?;
    let q = Query::parse(raw.as_deref());
    let nodes = activity_nodes(&definition.root);
    let node = q
        .get("parentNodeId")
        .and_then(|wanted| nodes.iter().find(|n| n.node_id == wanted))
        .or(nodes.first())
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "workflow definition version {id} has no activities"
            ))
        })?;
    Ok(Json(node_json(node)))
}

/// `GET /workflow-definitions/subgraph/segments/{id}?childNodeId=`: the node, its outermost
/// composite container and the path segments between them (nearest container first).
#[utoipa::path(get, path = "/workflow-definitions/subgraph/segments/{id}", tag = "workflow-definitions",
    params(("id" = String, Path, description = "The version id"),
        ("childNodeId" = String, Query, description = "The node whose path is wanted")),
    responses((status = 200, description = "The node, its container and the path to it", body = Segments),
        (status = 400, description = "The node is unknown or inside no composite activity"),
        (status = 404, description = "No such version")))]
pub async fn segments(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Segments>, ApiError> {
    let definition = version(&state, &id).await?;
    let q = Query::parse(raw.as_deref());
    let wanted = q
        .get("childNodeId")
        .ok_or_else(|| ApiError::bad_request("query parameter 'childNodeId' is required"))?;
    let nodes = activity_nodes(&definition.root);
    let child = nodes
        .iter()
        .position(|n| n.node_id == wanted)
        .ok_or_else(|| ApiError::bad_request(format!("node '{wanted}' is not in version {id}")))?;
    let mut segments = Vec::new();
    let mut container = None;
    // Walk up from the parent; the first segment's port is "Root", later ones the port of the
    // node the walk came from (Elsa's numbering).
    let (mut previous, mut current) = (None::<usize>, nodes[child].parent);
    while let Some(index) = current {
        let node = &nodes[index];
        let activity_type = node.activity["type"].as_str().unwrap_or_default();
        if !TRANSPARENT.contains(&activity_type) {
            let port = previous.map_or("Root", |p| nodes[p].port.as_str());
            segments.push(PathSegment {
                activity_node_id: node.node_id.clone(),
                activity_id: node.activity["id"].clone(),
                activity_type: activity_type.to_owned(),
                port_name: port.to_owned(),
                activity_name: node
                    .activity
                    .get("name")
                    .filter(|n| n.is_string())
                    .unwrap_or(&node.activity["type"])
                    .clone(),
            });
            container = Some(node);
        }
        previous = Some(index);
        current = node.parent;
    }
    let container = container.ok_or_else(|| {
        ApiError::bad_request(format!(
            "node '{wanted}' is not inside a composite activity"
        ))
    })?;
    Ok(Json(Segments {
        child_node: node_json(&nodes[child]),
        container: node_json(container),
        path_segments: segments,
    }))
}
