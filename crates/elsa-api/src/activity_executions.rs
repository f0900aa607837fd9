//! `/activity-executions/*` and `/activity-execution-summaries/list` (elsa-api.md §2.6): the
//! records of each activity execution, which Studio's instance viewer reads (node badges come
//! from `report`).

use crate::AppState;
use crate::json::{LenientJson, Query};
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use elsa_model::ActivityExecutionRecord;
use elsa_store::ActivityRecordFilter;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
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

/// The record fields a summary leaves out (Elsa's `ActivityExecutionRecordSummary`).
const DETAIL_FIELDS: [&str; 5] = [
    "activityState",
    "payload",
    "outputs",
    "properties",
    "exception",
];

fn record_json(r: &ActivityExecutionRecord) -> Value {
    serde_json::to_value(r).unwrap_or_default()
}

fn summary_json(r: &ActivityExecutionRecord) -> Value {
    let mut v = record_json(r);
    if let Some(map) = v.as_object_mut() {
        for field in DETAIL_FIELDS {
            map.remove(field);
        }
    }
    v
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
    responses((status = 200, description = "`{items, count}` ordered by startedAt", body = Object),
        (status = 400, description = "A parameter is invalid")))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    listed(&state, raw.as_deref(), record_json).await
}

/// `GET /activity-execution-summaries/list?workflowInstanceId=&activityNodeId=&completed=`.
#[utoipa::path(get, path = "/activity-execution-summaries/list", tag = "activity-executions",
    params(("workflowInstanceId" = Option<String>, Query), ("activityNodeId" = Option<String>, Query),
        ("completed" = Option<bool>, Query)),
    responses((status = 200, description = "`{items, count}` ordered by startedAt", body = Object),
        (status = 400, description = "A parameter is invalid")))]
pub async fn summaries(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    listed(&state, raw.as_deref(), summary_json).await
}

/// The records the list query selects, each in the given shape, as `{items, count}`.
async fn listed(
    state: &AppState,
    raw: Option<&str>,
    shape: fn(&ActivityExecutionRecord) -> Value,
) -> Result<Json<Value>, ApiError> {
    let filter = list_filter(&Query::parse(raw))?;
    let records = state
        .runtime
        .instances()
        .find_activity_records(&filter)
        .await?;
    let items: Vec<Value> = records.iter().map(shape).collect();
    Ok(Json(json!({"items": items, "count": items.len()})))
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
    responses((status = 200, description = "The activity execution record", body = Object),
        (status = 400, description = "No id given"),
        (status = 404, description = "No such record")))]
pub async fn by_id_query(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let id = q
        .get("id")
        .ok_or_else(|| ApiError::bad_request("query parameter 'id' is required"))?;
    Ok(Json(record_json(&one(&state, id).await?)))
}

/// `GET /activity-executions/{id}`.
#[utoipa::path(get, path = "/activity-executions/{id}", tag = "activity-executions",
    params(("id" = String, Path)),
    responses((status = 200, description = "The activity execution record", body = Object),
        (status = 404, description = "No such record")))]
pub async fn by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(record_json(&one(&state, &id).await?)))
}

/// `GET /activity-executions/count?workflowInstanceId=&activityId=&completed=`.
#[utoipa::path(get, path = "/activity-executions/count", tag = "activity-executions",
    params(("workflowInstanceId" = Option<String>, Query), ("activityId" = Option<String>, Query),
        ("completed" = Option<bool>, Query)),
    responses((status = 200, description = "`{count}`", body = Object),
        (status = 400, description = "A parameter is invalid")))]
pub async fn count(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({"count": count})))
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
    responses((status = 200, description = "`{activityExecutionId, items, totalCount}`", body = Object),
        (status = 400, description = "A parameter is invalid"),
        (status = 404, description = "No such record")))]
pub async fn call_stack(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(raw.as_deref());
    q.bool("includeCrossWorkflowChain")?;
    let skip = q.parse_as::<u32>("skip")?;
    let take = q.parse_as::<u32>("take")?;
    let record = one(&state, &id).await?;
    let chain = chain(&state, record).await?;
    let items: Vec<Value> = chain
        .iter()
        .skip(skip.unwrap_or(0) as usize)
        .take(take.map_or(usize::MAX, |t| t as usize))
        .map(record_json)
        .collect();
    let mut response = json!({
        "activityExecutionId": id,
        "items": items,
        "totalCount": chain.len(),
    });
    if let Some(skip) = skip {
        response["skip"] = skip.into();
    }
    if let Some(take) = take {
        response["take"] = take.into();
    }
    Ok(Json(response))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ReportBody {
    workflow_instance_id: Option<String>,
    activity_node_ids: Option<Vec<String>>,
}

/// Per-node statistics of a set of records (Elsa's `ActivityExecutionStats`), in the order the
/// nodes first started.
fn stats(records: &[ActivityExecutionRecord]) -> Vec<Value> {
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
            json!({
                "activityId": group[0].activity_id,
                "activityNodeId": node,
                "startedCount": group.len(),
                "completedCount": completed,
                "uncompletedCount": group.len() - completed,
                "isBlocked": group.iter().any(|r| r.has_bookmarks),
                "isFaulted": faulted > 0,
                "aggregateFaultCount": faulted,
                "metadata": Map::new(),
            })
        })
        .collect()
}

/// `POST /activity-executions/report` with `{workflowInstanceId, activityNodeIds}`.
#[utoipa::path(post, path = "/activity-executions/report", tag = "activity-executions",
    request_body(content = Object, description = "`{workflowInstanceId, activityNodeIds}`"),
    responses((status = 200, description = "`{stats: [{activityId, activityNodeId, startedCount, completedCount, uncompletedCount, isBlocked, isFaulted, aggregateFaultCount, metadata}]}`", body = Object),
        (status = 400, description = "The body is invalid")))]
pub async fn report(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<ReportBody>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({"stats": stats(&records)})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

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
        let stats = stats(&records);
        assert_eq!(stats[0]["activityNodeId"], "W:B");
        assert_eq!(stats[0]["startedCount"], 2);
        assert_eq!(stats[0]["completedCount"], 1);
        assert_eq!(stats[0]["uncompletedCount"], 1);
        assert_eq!(stats[0]["isFaulted"], true);
        assert_eq!(stats[1]["activityId"], "A");
        assert_eq!(stats[1]["isBlocked"], true);
        let summary = summary_json(&records[0]);
        assert!(summary.get("activityState").is_none());
        assert_eq!(summary["status"], "Completed");
    }
}
