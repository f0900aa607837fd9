//! `GET /work-items` (ours, not Elsa's): the runtime's work queue, read-only — what is due,
//! what is being retried and why, and what was dead-lettered after its attempts ran out.

use crate::AppState;
use crate::definitions::page_request;
use crate::json::Query;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{RawQuery, State};
use elsa_model::Timestamp;
use elsa_store::{WorkFilter, WorkItem, WorkStatus};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// One queued work item.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkItemModel {
    pub id: String,
    /// `Start`, `Resume`, `SendHttp` or `PublishEvent`.
    pub kind: String,
    /// `Pending` or `DeadLettered`.
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    pub workflow_instance_id: Option<String>,
    /// What the work is about (the instance to start, the bookmark to resume, ...).
    #[schema(value_type = Object)]
    pub payload: Value,
    /// Attempts so far; a pending item with attempts failed before and waits for a retry.
    pub attempts: i32,
    pub last_error: Option<String>,
    /// The node working on it, while it does.
    pub locked_by: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub locked_until: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<WorkItem> for WorkItemModel {
    fn from(w: WorkItem) -> Self {
        Self {
            id: w.id,
            kind: w.kind,
            status: w.status.as_str().to_owned(),
            due_at: w.due_at,
            workflow_instance_id: w.workflow_instance_id,
            payload: w.payload,
            attempts: w.attempts,
            last_error: w.last_error,
            locked_by: w.locked_by,
            locked_until: w.locked_until,
            created_at: w.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkItemList {
    pub items: Vec<WorkItemModel>,
    pub total_count: i64,
}

/// `GET /work-items?status=&kind=&workflowInstanceId=&page=&pageSize=`, earliest due first.
#[utoipa::path(get, path = "/work-items", tag = "work-items",
    operation_id = "listWorkItems",
    params(("status" = Option<String>, Query, description = "Pending or DeadLettered"),
        ("kind" = Option<String>, Query, description = "Start, Resume, SendHttp or PublishEvent"),
        ("workflowInstanceId" = Option<String>, Query),
        ("page" = Option<u32>, Query, description = "0-based"),
        ("pageSize" = Option<u32>, Query)),
    responses((status = 200, description = "A page of work items", body = WorkItemList),
        (status = 400, description = "A query parameter is invalid")))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<WorkItemList>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let status = q
        .get("status")
        .map(|s| {
            ["Pending", "DeadLettered"]
                .into_iter()
                .find(|name| name.eq_ignore_ascii_case(s))
                .and_then(|name| name.parse::<WorkStatus>().ok())
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "query parameter 'status' must be Pending or DeadLettered, got '{s}'"
                    ))
                })
        })
        .transpose()?;
    let filter = WorkFilter {
        status,
        kind: q.get("kind").map(str::to_owned),
        workflow_instance_id: q.get("workflowInstanceId").map(str::to_owned),
        page: page_request(&q)?,
    };
    let page = state.runtime.work().list(&filter).await?;
    Ok(Json(WorkItemList {
        items: page.items.into_iter().map(Into::into).collect(),
        total_count: page.total_count,
    }))
}
