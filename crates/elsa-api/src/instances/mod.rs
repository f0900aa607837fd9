//! `/workflow-instances` and the instance actions of elsa-api.md §2.5: list, get, execution
//! state, delete and cancel (single and bulk), journal, variables, export and import.

mod actions;
mod export;
mod journal;
mod list;
mod variables;

use crate::AppState;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use elsa_model::{WorkflowInstance, WorkflowStatus, WorkflowSubStatus};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The workflow-instance routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list::list, list::search))
        .routes(routes!(get, actions::delete))
        .routes(routes!(execution_state))
        .routes(routes!(actions::cancel))
        .routes(routes!(actions::bulk_cancel))
        .routes(routes!(actions::bulk_delete))
        .routes(routes!(actions::bulk_delete_by_id))
        .routes(routes!(journal::list, journal::filtered))
        .routes(routes!(journal::last_of_activity))
        .routes(routes!(variables::list, variables::set))
        .routes(routes!(export::export_one_get, export::export_one))
        .routes(routes!(export::export_many_get, export::export_many))
        .merge(crate::uploads(routes!(export::import)))
}

/// The stored instance, or 404.
async fn instance(state: &AppState, id: &str) -> Result<WorkflowInstance, ApiError> {
    state
        .runtime
        .instances()
        .get(id)
        .await?
        .map(|(instance, _)| instance)
        .ok_or_else(|| ApiError::not_found(format!("workflow instance {id} was not found")))
}

/// `GET /workflow-instances/{id}`.
#[utoipa::path(get, path = "/workflow-instances/{id}", tag = "workflow-instances",
    operation_id = "getWorkflowInstance",
    params(("id" = String, Path)),
    responses((status = 200, description = "The workflow instance", body = WorkflowInstance),
        (status = 404, description = "No such instance")))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<WorkflowInstance>, ApiError> {
    Ok(Json(instance(&state, &id).await?))
}

/// `{status, subStatus, updatedAt}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionState {
    pub status: WorkflowStatus,
    pub sub_status: WorkflowSubStatus,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: elsa_model::Timestamp,
}

/// `GET /workflow-instances/{id}/execution-state`: what Studio polls while an instance runs.
#[utoipa::path(get, path = "/workflow-instances/{id}/execution-state", tag = "workflow-instances",
    params(("id" = String, Path)),
    responses((status = 200, description = "Where the instance stands", body = ExecutionState),
        (status = 404, description = "No such instance")))]
pub async fn execution_state(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ExecutionState>, ApiError> {
    let i = instance(&state, &id).await?;
    Ok(Json(ExecutionState {
        status: i.status,
        sub_status: i.sub_status,
        updated_at: i.updated_at,
    }))
}
