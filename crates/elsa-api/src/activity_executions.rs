//! `/activity-executions/*` and `/activity-execution-summaries/list` (elsa-api.md §2.6): the
//! records of each activity execution, which Studio's instance viewer reads (node badges come
//! from `report`).

use crate::AppState;
use crate::json::{LenientJson, Query};
use crate::lists::{Count, ListResponse};
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use elsa_model::ActivityExecutionRecord;
use elsa_store::ActivityRecordFilter;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The activity-execution routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(summaries))
        .routes(routes!(by_id_query))
        .routes(routes!(count))
        .routes(routes!(report))
        .routes(routes!(by_id))
        .routes(routes!(call_stack))
}

/// Elsa's `ActivityExecutionRecordSummary`: a record without its details (state, payload,
/// outputs, exception).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityExecutionSummary {
    pub id: String,
    pub workflow_instance_id: String,
    pub activity_id: String,
    pub activity_node_id: String,
    pub activity_type: String,
    pub activity_type_version: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_name: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: elsa_model::Timestamp,
    pub has_bookmarks: bool,
    /// `Running`, `Completed`, `Canceled` or `Faulted`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<elsa_model::Timestamp>,
}

impl From<ActivityExecutionRecord> for ActivityExecutionSummary {
    fn from(r: ActivityExecutionRecord) -> Self {
        Self {
            id: r.id,
            workflow_instance_id: r.workflow_instance_id.to_string(),
            activity_id: r.activity_id.to_string(),
            activity_node_id: r.activity_node_id.to_string(),
            activity_type: r.activity_type.to_string(),
            activity_type_version: r.activity_type_version,
            activity_name: r.activity_name.map(|n| n.to_string()),
            started_at: r.started_at,
            has_bookmarks: r.has_bookmarks,
            status: r.status,
            completed_at: r.completed_at,
        }
    }
}

/// `workflowInstanceId`, `activityNodeId` and `completed` of the list query.
fn list_filter(q: &Query) -> Result<ActivityRecordFilter, ApiError> {
    Ok(ActivityRecordFilter {
        workflow_instance_id: q.get("workflowInstanceId").map(str::to_owned),
        activity_id: None,
        activity_node_ids: q.get("activityNodeId").map(|n| vec![n.to_owned()]),
        completed: q.bool("completed")?,
    })
}

/// `GET /activity-executions/list?workflowInstanceId=&activityNodeId=&completed=`.
#[utoipa::path(get, path = "/activity-executions/list", tag = "activity-executions",
    operation_id = "listActivityExecutions",
    params(("workflowInstanceId" = Option<String>, Query), ("activityNodeId" = Option<String>, Query),
        ("completed" = Option<bool>, Query)),
    responses((status = 200, description = "The records, ordered by startedAt", body = ListResponse<ActivityExecutionRecord>),
        (status = 400, description = "A parameter is invalid")))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListResponse<ActivityExecutionRecord>>, ApiError> {
    listed(&state, raw.as_deref()).await
}

/// `GET /activity-execution-summaries/list?workflowInstanceId=&activityNodeId=&completed=`.
#[utoipa::path(get, path = "/activity-execution-summaries/list", tag = "activity-executions",
    params(("workflowInstanceId" = Option<String>, Query), ("activityNodeId" = Option<String>, Query),
        ("completed" = Option<bool>, Query)),
    responses((status = 200, description = "The summaries, ordered by startedAt", body = ListResponse<ActivityExecutionSummary>),
        (status = 400, description = "A parameter is invalid")))]
pub async fn summaries(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListResponse<ActivityExecutionSummary>>, ApiError> {
    listed(&state, raw.as_deref()).await
}

/// The records the list query selects, each in the given shape, as `{items, count}`.
async fn listed<T: From<ActivityExecutionRecord>>(
    state: &AppState,
    raw: Option<&str>,
) -> Result<Json<ListResponse<T>>, ApiError> {
    let filter = list_filter(&Query::parse(raw))?;
    let records = state
        .runtime
        .instances()
        .find_activity_records(&filter)
        .await?;
    let items: Vec<T> = records.into_iter().map(T::from).collect();
    Ok(Json(items.into()))
}

async fn one(state: &AppState, id: &str) -> Result<ActivityExecutionRecord, ApiError> {
    state
        .runtime
        .instances()
        .activity_record(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("activity execution {id} was not found")))
}

/// `GET /activity-executions/by-id?id=`.
#[utoipa::path(get, path = "/activity-executions/by-id", tag = "activity-executions",
    params(("id" = String, Query)),
    responses((status = 200, description = "The activity execution record", body = ActivityExecutionRecord),
        (status = 400, description = "No id given"),
        (status = 404, description = "No such record")))]
pub async fn by_id_query(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ActivityExecutionRecord>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let id = q
        .get("id")
        .ok_or_else(|| ApiError::bad_request("query parameter 'id' is required"))?;
    Ok(Json(one(&state, id).await?))
}

/// `GET /activity-executions/{id}`.
#[utoipa::path(get, path = "/activity-executions/{id}", tag = "activity-executions",
    params(("id" = String, Path)),
    responses((status = 200, description = "The activity execution record", body = ActivityExecutionRecord),
        (status = 404, description = "No such record")))]
pub async fn by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ActivityExecutionRecord>, ApiError> {
    Ok(Json(one(&state, &id).await?))
}

/// `GET /activity-executions/count?workflowInstanceId=&activityId=&completed=`.
#[utoipa::path(get, path = "/activity-executions/count", tag = "activity-executions",
    params(("workflowInstanceId" = Option<String>, Query), ("activityId" = Option<String>, Query),
        ("completed" = Option<bool>, Query)),
    responses((status = 200, description = "How many records match", body = Count),
        (status = 400, description = "A parameter is invalid")))]
pub async fn count(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Count>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let filter = ActivityRecordFilter {
        workflow_instance_id: q.get("workflowInstanceId").map(str::to_owned),
        activity_id: q.get("activityId").map(str::to_owned),
        activity_node_ids: None,
        completed: q.bool("completed")?,
    };
    let count = state
        .runtime
        .instances()
        .count_activity_records(&filter)
        .await?;
    Ok(Json(Count { count }))
}

/// The execution chain of `record` from the workflow's root down to it: each activity
/// execution's parent is the one that scheduled it, as the journal records it
/// (`parentActivityInstanceId`; an activity execution record's id is its activity instance id).
async fn chain(
    state: &AppState,
    record: ActivityExecutionRecord,
) -> Result<Vec<ActivityExecutionRecord>, ApiError> {
    let store = state.runtime.instances();
    let instance = record.workflow_instance_id.clone();
    let parents: HashMap<Arc<str>, Arc<str>> = store
        .journal(&instance, 0, i64::MAX)
        .await?
        .items
        .into_iter()
        .filter_map(|r| Some((r.activity_instance_id, r.parent_activity_instance_id?)))
        .collect();
    let mut records: HashMap<String, ActivityExecutionRecord> = store
        .activity_records(&instance)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let mut chain = vec![record];
    // Each step removes a record from the map, so a malformed cycle ends the walk.
    while let Some(parent) = parents
        .get(chain[chain.len() - 1].id.as_str())
        .and_then(|p| records.remove(&**p))
    {
        chain.push(parent);
    }
    chain.reverse();
    Ok(chain)
}

/// `GET /activity-executions/{id}/call-stack?includeCrossWorkflowChain=&skip=&take=`: the
/// executions from the root down to this one. The chain stays within the instance (the
/// records do not link a child workflow to the activity that started it).
#[utoipa::path(get, path = "/activity-executions/{id}/call-stack", tag = "activity-executions",
    params(("id" = String, Path), ("includeCrossWorkflowChain" = Option<bool>, Query),
        ("skip" = Option<i64>, Query), ("take" = Option<i64>, Query)),
    responses((status = 200, description = "The record's ancestors and itself, outermost first", body = CallStack),
        (status = 400, description = "A parameter is invalid"),
        (status = 404, description = "No such record")))]
pub async fn call_stack(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<CallStack>, ApiError> {
    let q = Query::parse(raw.as_deref());
    q.bool("includeCrossWorkflowChain")?;
    let skip = q.parse_as::<u32>("skip")?;
    let take = q.parse_as::<u32>("take")?;
    let record = one(&state, &id).await?;
    let chain = chain(&state, record).await?;
    let total_count = chain.len();
    let items = chain
        .into_iter()
        .skip(skip.unwrap_or(0) as usize)
        .take(take.map_or(usize::MAX, |t| t as usize))
        .collect();
    Ok(Json(CallStack {
        activity_execution_id: id,
        items,
        total_count,
        skip,
        take,
    }))
}

/// The call stack of one record: its ancestors' records and its own, one page of them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallStack {
    pub activity_execution_id: String,
    pub items: Vec<ActivityExecutionRecord>,
    pub total_count: usize,
    /// As asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<u32>,
    /// As asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub take: Option<u32>,
}

/// `{workflowInstanceId, activityNodeIds?}`.
#[derive(Deserialize, Serialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ReportBody {
    #[schema(required = true)]
    workflow_instance_id: Option<String>,
    activity_node_ids: Option<Vec<String>>,
}

/// Per-node statistics of a set of records (Elsa's `ActivityExecutionStats`), in the order the
/// nodes first started.
/// How the executions of one activity node went.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityStats {
    pub activity_id: String,
    pub activity_node_id: String,
    pub started_count: usize,
    pub completed_count: usize,
    pub uncompleted_count: usize,
    /// Waiting on a bookmark.
    pub is_blocked: bool,
    pub is_faulted: bool,
    pub aggregate_fault_count: usize,
    /// Always empty.
    pub metadata: Map<String, Value>,
}

/// `{stats}`: one entry a node, in the order the nodes first started.
#[derive(Serialize, ToSchema)]
pub struct Report {
    pub stats: Vec<ActivityStats>,
}

fn stats(records: &[ActivityExecutionRecord]) -> Vec<ActivityStats> {
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, Vec<&ActivityExecutionRecord>> = HashMap::new();
    for r in records {
        let node = &*r.activity_node_id;
        groups
            .entry(node)
            .or_insert_with(|| {
                order.push(node);
                Vec::new()
            })
            .push(r);
    }
    order
        .into_iter()
        .map(|node| {
            let group = &groups[node];
            let completed = group.iter().filter(|r| r.completed_at.is_some()).count();
            let faulted = group.iter().filter(|r| r.status == "Faulted").count();
            ActivityStats {
                activity_id: group[0].activity_id.to_string(),
                activity_node_id: node.to_owned(),
                started_count: group.len(),
                completed_count: completed,
                uncompleted_count: group.len() - completed,
                is_blocked: group.iter().any(|r| r.has_bookmarks),
                is_faulted: faulted > 0,
                aggregate_fault_count: faulted,
                metadata: Map::new(),
            }
        })
        .collect()
}

/// `POST /activity-executions/report` with `{workflowInstanceId, activityNodeIds}`.
#[utoipa::path(post, path = "/activity-executions/report", tag = "activity-executions",
    request_body(content = ReportBody),
    responses((status = 200, description = "The figures of each activity node", body = Report),
        (status = 400, description = "The body is invalid")))]
pub async fn report(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<ReportBody>,
) -> Result<Json<Report>, ApiError> {
    let instance_id = body
        .workflow_instance_id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("'workflowInstanceId' is required"))?;
    let filter = ActivityRecordFilter {
        workflow_instance_id: Some(instance_id),
        activity_node_ids: body.activity_node_ids,
        ..Default::default()
    };
    let records = state
        .runtime
        .instances()
        .find_activity_records(&filter)
        .await?;
    Ok(Json(Report {
        stats: stats(&records),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn record(
        id: &str,
        node: &str,
        status: &str,
        completed: bool,
        bookmarks: bool,
    ) -> ActivityExecutionRecord {
        ActivityExecutionRecord {
            id: id.into(),
            workflow_instance_id: "i".into(),
            activity_id: node.rsplit(':').next().unwrap().into(),
            activity_node_id: node.into(),
            activity_type: "Elsa.WriteLine".into(),
            activity_type_version: 1,
            activity_name: None,
            activity_state: Some(json!({"Text": "x"})),
            outputs: None,
            payload: None,
            exception: None,
            started_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            has_bookmarks: bookmarks,
            status: status.into(),
            completed_at: completed.then(|| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 1).unwrap()),
        }
    }

    #[test]
    fn stats_group_by_node_in_start_order() {
        let records = [
            record("1", "W:B", "Completed", true, false),
            record("2", "W:A", "Running", false, true),
            record("3", "W:B", "Faulted", false, false),
        ];
        let stats = serde_json::to_value(stats(&records)).unwrap();
        assert_eq!(stats[0]["activityNodeId"], "W:B");
        assert_eq!(stats[0]["startedCount"], 2);
        assert_eq!(stats[0]["completedCount"], 1);
        assert_eq!(stats[0]["uncompletedCount"], 1);
        assert_eq!(stats[0]["isFaulted"], true);
        assert_eq!(stats[1]["activityId"], "A");
        assert_eq!(stats[1]["isBlocked"], true);
        let summary =
            serde_json::to_value(ActivityExecutionSummary::from(records[0].clone())).unwrap();
        assert!(summary.get("activityState").is_none());
        assert_eq!(summary["status"], "Completed");
    }
}
