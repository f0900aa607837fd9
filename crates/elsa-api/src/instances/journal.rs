//! `/workflow-instances/{id}/journal`: the instance's execution log, in sequence order.

use crate::AppState;
use crate::json::{LenientJson, Query};
use crate::lists::PagedList;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use elsa_model::WorkflowExecutionLogRecord;
use elsa_store::JournalFilter;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

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

/// A journal entry as Elsa's API shows it (`nodeId`, no workflow ids; absent values left out).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JournalRecord {
    pub id: String,
    pub activity_instance_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_activity_instance_id: Option<String>,
    pub activity_id: String,
    pub activity_type: String,
    pub activity_type_version: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_name: Option<String>,
    pub node_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: elsa_model::Timestamp,
    pub sequence: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What the entry carries (free-form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
}

fn log_record(r: WorkflowExecutionLogRecord) -> JournalRecord {
    JournalRecord {
        id: r.id,
        activity_instance_id: r.activity_instance_id.to_string(),
        parent_activity_instance_id: r.parent_activity_instance_id.map(|p| p.to_string()),
        activity_id: r.activity_id.to_string(),
        activity_type: r.activity_type.to_string(),
        activity_type_version: r.activity_type_version,
        activity_name: r.activity_name.map(|n| n.to_string()),
        node_id: r.activity_node_id.to_string(),
        timestamp: r.timestamp,
        sequence: r.sequence,
        event_name: r.event_name.map(Into::into),
        message: r.message,
        source: r.source,
        payload: r.payload.filter(|p| !p.is_null()),
    }
}

async fn page(
    state: &AppState,
    id: &str,
    filter: &JournalFilter,
    raw: Option<&str>,
) -> Result<Json<PagedList<JournalRecord>>, ApiError> {
    let (skip, take) = paging(&Query::parse(raw))?;
    let page = state
        .runtime
        .instances()
        .journal_filtered(id, filter, skip, take)
        .await?;
    Ok(Json(PagedList {
        items: page.items.into_iter().map(log_record).collect(),
        total_count: page.total_count,
    }))
}

/// `GET /workflow-instances/{id}/journal?skip=&take=` (or `page`/`pageSize`).
#[utoipa::path(get, path = "/workflow-instances/{id}/journal", tag = "workflow-instances",
    operation_id = "getJournal",
    params(("id" = String, Path), ("skip" = Option<i64>, Query), ("take" = Option<i64>, Query),
        ("page" = Option<i64>, Query), ("pageSize" = Option<i64>, Query)),
    responses((status = 200, description = "A page of journal entries", body = PagedList<JournalRecord>),
        (status = 400, description = "Paging is invalid")))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<PagedList<JournalRecord>>, ApiError> {
    page(&state, &id, &JournalFilter::default(), raw.as_deref()).await
}

/// `{filter}`.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct FilteredBody {
    filter: Option<FilterBody>,
}

/// Which entries: each list given narrows the journal.
#[derive(Deserialize, Serialize, Default, ToSchema)]
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
    request_body(content = FilteredBody),
    responses((status = 200, description = "A page of journal entries", body = PagedList<JournalRecord>),
        (status = 400, description = "Paging or the body is invalid")))]
pub async fn filtered(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    LenientJson(body): LenientJson<FilteredBody>,
) -> Result<Json<PagedList<JournalRecord>>, ApiError> {
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
    responses((status = 200, description = "The last journal record of the activity", body = JournalRecord),
        (status = 404, description = "The activity has no journal record")))]
pub async fn last_of_activity(
    State(state): State<AppState>,
    Path((instance_id, activity_id)): Path<(String, String)>,
) -> Result<Json<JournalRecord>, ApiError> {
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
