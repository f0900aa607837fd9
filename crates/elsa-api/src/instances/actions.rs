//! Deleting and cancelling instances, one at a time or in bulk.

use crate::AppState;
use crate::definitions::version_options_schema;
use crate::json::LenientJson;
use crate::lists::Deleted;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use elsa_model::{VersionOptions, WorkflowStatus};
use elsa_store::{DefinitionFilter, InstanceFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// `DELETE /workflow-instances/{id}`: the instance with its bookmarks, journal and records.
#[utoipa::path(delete, path = "/workflow-instances/{id}", tag = "workflow-instances",
    operation_id = "deleteWorkflowInstance",
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such instance")))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state
        .runtime
        .delete_instances(std::slice::from_ref(&id))
        .await?
        > 0
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "workflow instance {id} was not found"
        )))
    }
}

/// `POST /cancel/workflow-instances/{id}` (an empty body is fine). A finished instance stays
/// as it is.
#[utoipa::path(post, path = "/cancel/workflow-instances/{id}", tag = "workflow-instances",
    params(("id" = String, Path)),
    responses((status = 200, description = "Cancelled (or already finished)"),
        (status = 404, description = "No such instance"),
        (status = 409, description = "The instance changed meanwhile")))]
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.runtime.cancel(&id).await?;
    Ok(StatusCode::OK)
}

/// Which instances to cancel: by id, and the running ones of a version or of a definition.
#[derive(Deserialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct BulkCancelBody {
    ids: Option<Vec<String>>,
    definition_version_id: Option<String>,
    definition_id: Option<String>,
    /// The versions of `definitionId` (default all).
    #[schema(schema_with = version_options_schema)]
    version_options: Option<Value>,
}

/// `{cancelled}`: how many instances a bulk cancel stopped.
#[derive(Serialize, ToSchema)]
pub struct Cancelled {
    pub cancelled: u64,
}

/// `POST /bulk-actions/cancel/workflow-instances`: `{ids?, definitionVersionId?,
/// definitionId?, versionOptions?}`; every selected instance that has not finished is
/// cancelled.
#[utoipa::path(post, path = "/bulk-actions/cancel/workflow-instances", tag = "workflow-instances",
    request_body(content = BulkCancelBody),
    responses((status = 200, description = "How many instances were cancelled", body = Cancelled),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_cancel(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<BulkCancelBody>,
) -> Result<Json<Cancelled>, ApiError> {
    let options = match body.version_options {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.parse::<VersionOptions>().map_err(ApiError::bad_request)?),
        Some(Value::Number(n)) => Some(
            n.to_string()
                .parse::<VersionOptions>()
                .map_err(ApiError::bad_request)?,
        ),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "'versionOptions' must be a string or a version number, got {other}"
            )));
        }
    };
    let running = Some(vec![WorkflowStatus::Running]);
    let mut ids: Vec<String> = body.ids.unwrap_or_default();
    // Instances of definition versions: by version id, or by definition id and version options.
    let mut versions = Vec::new();
    if let Some(version_id) = &body.definition_version_id
        && let Some(definition) = state.runtime.definitions().get(version_id).await?
    {
        versions.push(definition);
    }
    if let Some(definition_id) = &body.definition_id {
        let filter = DefinitionFilter {
            definition_ids: Some(vec![definition_id.clone()]),
            version_options: Some(options.unwrap_or(VersionOptions::AllVersions)),
            ..Default::default()
        };
        versions.extend(state.runtime.definitions().list(&filter).await?.items);
    }
    for version in versions {
        let filter = InstanceFilter {
            definition_ids: Some(vec![version.definition_id]),
            version: Some(version.version),
            statuses: running.clone(),
            ..Default::default()
        };
        ids.extend(state.runtime.instances().ids(&filter).await?);
    }
    ids.sort();
    ids.dedup();
    let mut cancelled = 0;
    for id in ids {
        match state.runtime.cancel(&id).await {
            Ok(true) => cancelled += 1,
            Ok(false) => {}
            // Deleted meanwhile: nothing to cancel.
            Err(elsa_runtime::RuntimeError::InstanceNotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(Cancelled { cancelled }))
}

/// Which instances to delete: by id, and every instance of the definitions named.
#[derive(Deserialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct BulkDeleteBody {
    ids: Option<Vec<String>>,
    workflow_definition_id: Option<String>,
    workflow_definition_ids: Option<Vec<String>>,
}

/// `POST /bulk-actions/delete/workflow-instances`: `{ids?, workflowDefinitionId?,
/// workflowDefinitionIds?}`; a body selecting nothing deletes nothing.
#[utoipa::path(post, path = "/bulk-actions/delete/workflow-instances", tag = "workflow-instances",
    request_body(content = BulkDeleteBody),
    responses((status = 200, description = "How many instances were deleted", body = Deleted),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    body: LenientJson<BulkDeleteBody>,
) -> Result<Json<Deleted>, ApiError> {
    delete_selected(&state, body.0).await
}

/// `POST /bulk-actions/delete/workflow-instances/by-id`: the deprecated alias Studio calls.
#[utoipa::path(post, path = "/bulk-actions/delete/workflow-instances/by-id", tag = "workflow-instances",
    request_body(content = BulkDeleteBody),
    responses((status = 200, description = "How many instances were deleted", body = Deleted),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_delete_by_id(
    State(state): State<AppState>,
    body: LenientJson<BulkDeleteBody>,
) -> Result<Json<Deleted>, ApiError> {
    delete_selected(&state, body.0).await
}

async fn delete_selected(
    state: &AppState,
    body: BulkDeleteBody,
) -> Result<Json<Deleted>, ApiError> {
    let mut ids = body.ids.unwrap_or_default();
    let definition_ids: Vec<String> = body
        .workflow_definition_id
        .into_iter()
        .chain(body.workflow_definition_ids.unwrap_or_default())
        .collect();
    if !definition_ids.is_empty() {
        let filter = InstanceFilter {
            definition_ids: Some(definition_ids),
            ..Default::default()
        };
        ids.extend(state.runtime.instances().ids(&filter).await?);
    }
    ids.sort();
    ids.dedup();
    let deleted = state.runtime.delete_instances(&ids).await?;
    Ok(Json(Deleted { deleted }))
}
