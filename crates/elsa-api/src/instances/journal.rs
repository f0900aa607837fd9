//! `/workflow-instances/{id}/journal`: the instance's execution log, in sequence order.

use crate::AppState;
use crate::json::{LenientJson, Query};
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use elsa_model::WorkflowExecutionLogRecord;
use elsa_store::JournalFilter;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Records returned when the request names no complete `skip`/`take` or `page`/`pageSize`.
const DEFAULT_TAKE: i64 = 100;

/// `(skip, take)` from `skip`/`take` or `page`/`pageSize` (0-based); negative values are a 400.
fn paging(q: &Query) -> Result<(i64, i64), ApiError> {
    let non_negative = |key: &str| -> Result<Option<i64>, ApiError> {
        match q.parse_as::<i64>(key)? {
            Some(v) if v < 0 => Err(ApiError::bad_request(format!(
                "query parameter '{key}' must be 0 or more"
            ))),
            other => Ok(other),
        }
    };
    let (skip, take) = (non_negative("skip")?, non_negative("take")?);
    let (page, size) = (non_negative("page")?, non_negative("pageSize")?);
    Ok(match (skip, take, page, size) {
        (Some(skip), Some(take), _, _) => (skip, take),
        (_, _, Some(page), Some(size)) => (page.saturating_mul(size), size),
        _ => (0, DEFAULT_TAKE),
    })
}

/// A journal record as Elsa's `ExecutionLogRecord` model shows it.
fn log_record(r: WorkflowExecutionLogRecord) -> Value {
    let mut v = Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            v.insert(key.to_owned(), value);
        }
    };
    put("id", r.id.into());
    put("activityInstanceId", Value::from(&*r.activity_instance_id));
    put(
        "parentActivityInstanceId",
        r.parent_activity_instance_id.as_deref().into(),
    );
    put("activityId", Value::from(&*r.activity_id));
    put("activityType", Value::from(&*r.activity_type));
    put("activityTypeVersion", r.activity_type_version.into());
    put("activityName", r.activity_name.as_deref().into());
    put("nodeId", Value::from(&*r.activity_node_id));
    put(
        "timestamp",
        serde_json::to_value(r.timestamp).unwrap_or_default(),
    );
    put("sequence", r.sequence.into());
    put("eventName", r.event_name.into());
    put("message", r.message.into());
    put("source", r.source.into());
    put("payload", r.payload.unwrap_or_default());
    Value::Object(v)
}

async fn page(
    state: &AppState,
    id: &str,
    filter: &JournalFilter,
    raw: Option<&str>,
) -> Result<Json<Value>, ApiError> {
    let (skip, take) = paging(&Query::parse(raw))?;
    let page = state
        .runtime
        .instances()
        .journal_filtered(id, filter, skip, take)
        .await?;
    let items: Vec<Value> = page.items.into_iter().map(log_record).collect();
    Ok(Json(
        json!({"items": items, "totalCount": page.total_count}),
    ))
}

/// `GET /workflow-instances/{id}/journal?skip=&take=` (or `page`/`pageSize`).
#[utoipa::path(get, path = "/workflow-instances/{id}/journal", tag = "workflow-instances",
    operation_id = "getJournal",
    params(("id" = String, Path), ("skip" = Option<i64>, Query), ("take" = Option<i64>, Query),
        ("page" = Option<i64>, Query), ("pageSize" = Option<i64>, Query)),
    responses((status = 200, description = "`{items, totalCount}`", body = Object),
        (status = 400, description = "Paging is invalid")))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    page(&state, &id, &JournalFilter::default(), raw.as_deref()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FilteredBody {
    filter: Option<FilterBody>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct FilterBody {
    activity_ids: Option<Vec<String>>,
    activity_node_ids: Option<Vec<String>>,
    excluded_activity_types: Option<Vec<String>>,
    event_names: Option<Vec<String>>,
}

/// `POST /workflow-instances/{id}/journal?skip=&take=` with `{"filter": {activityIds,
/// activityNodeIds, excludedActivityTypes, eventNames}}` (what Studio's viewer calls).
#[utoipa::path(post, path = "/workflow-instances/{id}/journal", tag = "workflow-instances",
    operation_id = "getFilteredJournal",
    params(("id" = String, Path), ("skip" = Option<i64>, Query), ("take" = Option<i64>, Query),
        ("page" = Option<i64>, Query), ("pageSize" = Option<i64>, Query)),
    request_body(content = Object, description = "`{filter: {activityIds, activityNodeIds, excludedActivityTypes, eventNames}}`"),
    responses((status = 200, description = "`{items, totalCount}`", body = Object),
        (status = 400, description = "Paging or the body is invalid")))]
pub async fn filtered(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    LenientJson(body): LenientJson<FilteredBody>,
) -> Result<Json<Value>, ApiError> {
    let f = body.filter.unwrap_or_default();
    let filter = JournalFilter {
        activity_ids: f.activity_ids.unwrap_or_default(),
        activity_node_ids: f.activity_node_ids.unwrap_or_default(),
        excluded_activity_types: f.excluded_activity_types.unwrap_or_default(),
        event_names: f.event_names.unwrap_or_default(),
    };
    page(&state, &id, &filter, raw.as_deref()).await
}

/// `GET /workflow-instances/{workflowInstanceId}/journal/{activityId}`: the activity's last
/// journal record.
#[utoipa::path(get, path = "/workflow-instances/{workflow_instance_id}/journal/{activity_id}", tag = "workflow-instances",
    params(("workflow_instance_id" = String, Path), ("activity_id" = String, Path)),
    responses((status = 200, description = "The last journal record of the activity", body = Object),
        (status = 404, description = "The activity has no journal record")))]
pub async fn last_of_activity(
    State(state): State<AppState>,
    Path((instance_id, activity_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    state
        .runtime
        .instances()
        .last_journal_record(&instance_id, &activity_id)
        .await?
        .map(|r| Json(log_record(r)))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "workflow instance {instance_id} has no journal record of activity {activity_id}"
            ))
        })
}
