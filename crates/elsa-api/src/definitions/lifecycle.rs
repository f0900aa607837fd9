//! Changing definitions: save, publish, retract, revert, delete (one, a version, in bulk) and
//! pointing consumers at a new version. Read-only definitions answer 403.

use super::models::{linked, save_response, summary};
use crate::AppState;
use crate::json::{LenientJson, from_value};
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use elsa_model::{VersionOptions, WorkflowDefinitionInput};
use elsa_runtime::RuntimeError;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveRequest {
    model: Option<Value>,
    #[serde(default)]
    publish: Option<bool>,
}

/// `POST /workflow-definitions`.
#[utoipa::path(post, path = "/workflow-definitions", tag = "workflow-definitions",
    request_body(content = Object, description = "`{\"model\": WorkflowDefinition, \"publish\": bool}`"),
    responses((status = 200, description = "The saved definition with its links", body = Object),
        (status = 400, description = "The model is missing or invalid"),
        (status = 403, description = "The definition is read-only")))]
pub async fn save(
    State(state): State<AppState>,
    LenientJson(request): LenientJson<SaveRequest>,
) -> Result<Response, ApiError> {
    let model = request.model.ok_or_else(|| {
        ApiError::bad_request("the request body needs a 'model' with the workflow definition")
    })?;
    let input: WorkflowDefinitionInput = from_value(model)?;
    let publish = request.publish.unwrap_or(false);
    save_response(state.runtime.save_definition(input, publish).await)
}

/// `POST /workflow-definitions/{definitionId}/publish`.
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/publish", tag = "workflow-definitions",
    params(("definition_id" = String, Path, description = "The definition id")),
    responses((status = 200, description = "The published definition", body = Object),
        (status = 403, description = "The definition is read-only"),
        (status = 404, description = "No such definition")))]
pub async fn publish(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
) -> Result<Response, ApiError> {
    save_response(state.runtime.publish(&definition_id).await)
}

/// `POST /workflow-definitions/{definitionId}/retract`.
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/retract", tag = "workflow-definitions",
    params(("definition_id" = String, Path)),
    responses((status = 200, description = "The retracted version with its links", body = Object),
        (status = 400, description = "The definition is not published"),
        (status = 403, description = "The definition is read-only"),
        (status = 404, description = "No such definition")))]
pub async fn retract(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(linked(&state.runtime.retract(&definition_id).await?)))
}

/// `POST /workflow-definitions/{definitionId}/revert/{version}`: a copy of that version
/// becomes the new latest draft.
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/revert/{version}", tag = "workflow-definitions",
    params(("definition_id" = String, Path), ("version" = i32, Path)),
    responses((status = 201, description = "Summary of the new draft", body = Object),
        (status = 403, description = "The definition is read-only"),
        (status = 404, description = "No such definition or version")))]
pub async fn revert(
    State(state): State<AppState>,
    Path((definition_id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let version = parse_version(&version)?;
    let draft = state.runtime.revert(&definition_id, version).await?;
    let location = format!("/elsa/api/workflow-definitions/by-id/{}", draft.id);
    let mut response = (StatusCode::CREATED, Json(summary(&draft))).into_response();
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

fn parse_version(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>().ok().filter(|v| *v >= 1).ok_or_else(|| {
        ApiError::bad_request(format!(
            "route value 'version' must be a version number (1 or more), got '{raw}'"
        ))
    })
}

/// `DELETE /workflow-definitions/{definitionId}`: every version and every instance.
#[utoipa::path(delete, path = "/workflow-definitions/{definition_id}", tag = "workflow-definitions",
    params(("definition_id" = String, Path)),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "The definition is read-only"),
        (status = 404, description = "No such definition")))]
pub async fn delete(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.runtime.delete_definition(&definition_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /workflow-definition-versions/{id}`: one version by its version id.
#[utoipa::path(delete, path = "/workflow-definition-versions/{id}", tag = "workflow-definitions",
    params(("id" = String, Path, description = "The version id")),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "The definition is read-only"),
        (status = 404, description = "No such version")))]
pub async fn delete_version(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.runtime.delete_version(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /workflow-definitions/{definitionId}/version/{version}`.
#[utoipa::path(delete, path = "/workflow-definitions/{definition_id}/version/{version}", tag = "workflow-definitions",
    params(("definition_id" = String, Path), ("version" = i32, Path)),
    responses((status = 200, description = "Deleted"),
        (status = 403, description = "The definition is read-only"),
        (status = 404, description = "No such version")))]
pub async fn delete_version_by_number(
    State(state): State<AppState>,
    Path((definition_id, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let version = parse_version(&version)?;
    let found = state
        .runtime
        .definitions()
        .find(&definition_id, VersionOptions::Specific(version))
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "workflow definition {definition_id} has no version {version}"
            ))
        })?;
    state.runtime.delete_version(&found.id).await?;
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionIds {
    definition_ids: Option<Vec<String>>,
}

impl DefinitionIds {
    fn required(self) -> Result<Vec<String>, ApiError> {
        self.definition_ids.ok_or_else(|| {
            ApiError::bad_request(
                "the request body needs 'definitionIds', a list of definition ids",
            )
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionIds {
    ids: Option<Vec<String>>,
}

/// `POST /bulk-actions/delete/workflow-definitions/by-definition-id`: read-only and unknown
/// definitions are skipped.
#[utoipa::path(post, path = "/bulk-actions/delete/workflow-definitions/by-definition-id", tag = "workflow-definitions",
    request_body(content = Object, description = "`{\"definitionIds\": [..]}`"),
    responses((status = 200, description = "`{deleted}`", body = Object),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_delete_by_definition_id(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<DefinitionIds>,
) -> Result<Json<Value>, ApiError> {
    let mut deleted = 0;
    for id in body.required()? {
        match state.runtime.delete_definition(&id).await {
            Ok(()) => deleted += 1,
            Err(RuntimeError::ReadOnly(_) | RuntimeError::DefinitionNotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(json!({"deleted": deleted})))
}

/// `POST /bulk-actions/delete/workflow-definitions/by-id`: versions by version id.
#[utoipa::path(post, path = "/bulk-actions/delete/workflow-definitions/by-id", tag = "workflow-definitions",
    operation_id = "bulk_delete_workflow_definitions_by_id",
    request_body(content = Object, description = "`{\"ids\": [..]}`"),
    responses((status = 200, description = "`{deleted}`", body = Object),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_delete_by_id(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<VersionIds>,
) -> Result<Json<Value>, ApiError> {
    let ids = body.ids.ok_or_else(|| {
        ApiError::bad_request("the request body needs 'ids', a list of version ids")
    })?;
    let mut deleted = 0;
    for id in ids {
        match state.runtime.delete_version(&id).await {
            Ok(_) => deleted += 1,
            Err(RuntimeError::ReadOnly(_) | RuntimeError::DefinitionNotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(json!({"deleted": deleted})))
}

/// `POST /bulk-actions/publish/workflow-definitions/by-definition-ids`.
#[utoipa::path(post, path = "/bulk-actions/publish/workflow-definitions/by-definition-ids", tag = "workflow-definitions",
    request_body(content = Object, description = "`{\"definitionIds\": [..]}`"),
    responses((status = 200, description = "`{published, alreadyPublished, notFound, skipped, updatedConsumers, failed, warnings}`", body = Object),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_publish(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<DefinitionIds>,
) -> Result<Json<Value>, ApiError> {
    let (mut published, mut already, mut not_found, mut skipped, mut failed) =
        (vec![], vec![], vec![], vec![], vec![]);
    for id in body.required()? {
        match state.runtime.publish(&id).await {
            Ok(outcome) if outcome.already_published => already.push(id),
            Ok(_) => published.push(id),
            Err(RuntimeError::DefinitionNotFound(_)) => not_found.push(id),
            Err(RuntimeError::ReadOnly(_)) => skipped.push(id),
            Err(e @ RuntimeError::InvalidWorkflow { .. }) => {
                failed.push(json!({"definitionId": id, "errors": [e.to_string()]}))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(json!({
        "published": published,
        "alreadyPublished": already,
        "notFound": not_found,
        "skipped": skipped,
        "updatedConsumers": [],
        "failed": failed,
        "warnings": {},
    })))
}

/// `POST /bulk-actions/retract/workflow-definitions/by-definition-ids`.
#[utoipa::path(post, path = "/bulk-actions/retract/workflow-definitions/by-definition-ids", tag = "workflow-definitions",
    request_body(content = Object, description = "`{\"definitionIds\": [..]}`"),
    responses((status = 200, description = "`{retracted, alreadyRetracted, skipped, notPublished, notFound}`", body = Object),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_retract(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<DefinitionIds>,
) -> Result<Json<Value>, ApiError> {
    let (mut retracted, mut skipped, mut not_published, mut not_found) =
        (vec![], vec![], vec![], vec![]);
    for id in body.required()? {
        match state.runtime.retract(&id).await {
            Ok(_) => retracted.push(id),
            Err(RuntimeError::DefinitionNotFound(_)) => not_found.push(id),
            Err(RuntimeError::ReadOnly(_)) => skipped.push(id),
            Err(RuntimeError::NotPublished(_)) => not_published.push(id),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(json!({
        "retracted": retracted,
        "alreadyRetracted": [],
        "skipped": skipped,
        "notPublished": not_published,
        "notFound": not_found,
    })))
}

/// `POST /workflow-definitions/{definitionId}/update-references`: consumers that name another
/// version of this definition get a draft naming its latest version.
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/update-references", tag = "workflow-definitions",
    params(("definition_id" = String, Path)),
    responses((status = 200, description = "`{affectedWorkflows}`", body = Object),
        (status = 404, description = "No such definition")))]
pub async fn update_references(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    // Elsa names the consumers by name, else by definition id.
    let affected: Vec<String> = state
        .runtime
        .update_references(&definition_id)
        .await?
        .into_iter()
        .map(|d| d.name.unwrap_or(d.definition_id))
        .collect();
    Ok(Json(json!({"affectedWorkflows": affected})))
}
