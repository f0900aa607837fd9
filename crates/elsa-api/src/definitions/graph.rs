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
use serde_json::{Value, json};

/// Containers the path skips, as Elsa's designer does not drill into them.
const TRANSPARENT: [&str; 2] = ["Elsa.Workflow", "Elsa.Flowchart"];

fn node_json(node: &ActivityNode) -> Value {
    json!({"nodeId": node.node_id, "port": node.port, "activity": node.activity})
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
    responses((status = 200, description = "`{nodeId, port, activity}`", body = Object),
        (status = 404, description = "No such version")))]
pub async fn subgraph(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
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
    responses((status = 200, description = "`{childNode, container, pathSegments}`", body = Object),
        (status = 400, description = "The node is unknown or inside no composite activity"),
        (status = 404, description = "No such version")))]
pub async fn segments(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
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
            segments.push(json!({
                "activityNodeId": node.node_id,
                "activityId": node.activity["id"],
                "activityType": activity_type,
                "portName": port,
                "activityName": node.activity.get("name").filter(|n| n.is_string()).unwrap_or(&node.activity["type"]),
            }));
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
    Ok(Json(json!({
        "childNode": node_json(&nodes[child]),
        "container": node_json(container),
        "pathSegments": segments,
    })))
}
