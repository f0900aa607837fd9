//! Changing definitions: save, publish, retract, revert, delete (one, a version, in bulk) and
//! pointing consumers at a new version. Read-only definitions answer 403.

use super::models::{
    DefinitionSummary, LinkedDefinition, SaveResponse, linked, save_response, summary,
};
use crate::AppState;
use crate::json::{LenientJson, from_value};
use crate::lists::Deleted;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use elsa_model::{VersionOptions, WorkflowDefinitionInput};
use elsa_runtime::RuntimeError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// `{model, publish}`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SaveRequest {
    /// The definition; bound (as a `WorkflowDefinitionInput`) after the envelope, so its errors
    /// name its own fields.
    #[schema(value_type = WorkflowDefinitionInput, required = true)]
    model: Option<Value>,
    #[serde(default)]
    publish: Option<bool>,
}

/// `POST /workflow-definitions`.
#[utoipa::path(post, path = "/workflow-definitions", tag = "workflow-definitions",
    request_body(content = SaveRequest),
    responses((status = 200, description = "The saved definition with its links", body = SaveResponse),
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
    responses((status = 200, description = "The published definition", body = SaveResponse),
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
    responses((status = 200, description = "The retracted version with its links", body = LinkedDefinition),
        (status = 400, description = "The definition is not published"),
        (status = 403, description = "The definition is read-only"),
        (status = 404, description = "No such definition")))]
pub async fn retract(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
) -> Result<Json<LinkedDefinition>, ApiError> {
    Ok(Json(linked(state.runtime.retract(&definition_id).await?)))
}

/// `POST /workflow-definitions/{definitionId}/revert/{version}`: a copy of that version
/// becomes the new latest draft.
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/revert/{version}", tag = "workflow-definitions",
    params(("definition_id" = String, Path), ("version" = i32, Path)),
    responses((status = 201, description = "Summary of the new draft", body = DefinitionSummary),
        (status = 403, description = "The definition is read-only"),
        (status = 404, description = "No such definition or version")))]
pub async fn revert(
    State(state): State<AppState>,
    Path((definition_id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let version = parse_version(&version)?;
    let draft = state.runtime.revert(&definition_id, version).await?;
    let location = format!("/elsa/api/workflow-definitions/by-id/{}", draft.id);
    let mut response = (StatusCode::CREATED, Json(summary(draft))).into_response();
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

/// `{definitionIds}`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionIds {
    #[schema(required = true)]
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

/// `{ids}`: version ids.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionIds {
    #[schema(required = true)]
    ids: Option<Vec<String>>,
}

/// `POST /bulk-actions/delete/workflow-definitions/by-definition-id`: read-only and unknown
/// definitions are skipped.
#[utoipa::path(post, path = "/bulk-actions/delete/workflow-definitions/by-definition-id", tag = "workflow-definitions",
    request_body(content = DefinitionIds),
    responses((status = 200, description = "How many definitions were deleted", body = Deleted),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_delete_by_definition_id(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<DefinitionIds>,
) -> Result<Json<Deleted>, ApiError> {
    let mut deleted = 0;
    for id in body.required()? {
        match state.runtime.delete_definition(&id).await {
            Ok(()) => deleted += 1,
            Err(RuntimeError::ReadOnly(_) | RuntimeError::DefinitionNotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(Deleted { deleted }))
}

/// `POST /bulk-actions/delete/workflow-definitions/by-id`: versions by version id.
#[utoipa::path(post, path = "/bulk-actions/delete/workflow-definitions/by-id", tag = "workflow-definitions",
    operation_id = "bulk_delete_workflow_definitions_by_id",
    request_body(content = VersionIds),
    responses((status = 200, description = "How many versions were deleted", body = Deleted),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_delete_by_id(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<VersionIds>,
) -> Result<Json<Deleted>, ApiError> {
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
    Ok(Json(Deleted { deleted }))
}

/// What a bulk publish did with each definition id.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkPublishResponse {
    pub published: Vec<String>,
    pub already_published: Vec<String>,
    pub not_found: Vec<String>,
    /// Read-only definitions.
    pub skipped: Vec<String>,
    /// Always empty: consumers are updated through `update-references`.
    pub updated_consumers: Vec<String>,
    pub failed: Vec<PublishFailure>,
    /// Always empty.
    pub warnings: Map<String, Value>,
}

/// A definition a bulk publish could not publish.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishFailure {
    pub definition_id: String,
    pub errors: Vec<String>,
}

/// `POST /bulk-actions/publish/workflow-definitions/by-definition-ids`.
#[utoipa::path(post, path = "/bulk-actions/publish/workflow-definitions/by-definition-ids", tag = "workflow-definitions",
    request_body(content = DefinitionIds),
    responses((status = 200, description = "What became of each definition", body = BulkPublishResponse),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_publish(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<DefinitionIds>,
) -> Result<Json<BulkPublishResponse>, ApiError> {
    let (mut published, mut already, mut not_found, mut skipped, mut failed) =
        (vec![], vec![], vec![], vec![], vec![]);
    for id in body.required()? {
        match state.runtime.publish(&id).await {
            Ok(outcome) if outcome.already_published => already.push(id),
            Ok(_) => published.push(id),
            Err(RuntimeError::DefinitionNotFound(_)) => not_found.push(id),
            Err(RuntimeError::ReadOnly(_)) => skipped.push(id),
            Err(e @ RuntimeError::InvalidWorkflow { .. }) => failed.push(PublishFailure {
                definition_id: id,
                errors: vec![e.to_string()],
            }),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(BulkPublishResponse {
        published,
        already_published: already,
        not_found,
        skipped,
        updated_consumers: Vec::new(),
        failed,
        warnings: Map::new(),
    }))
}

/// What a bulk retract did with each definition id.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkRetractResponse {
    pub retracted: Vec<String>,
    /// Always empty: a retracted definition counts as not published.
    pub already_retracted: Vec<String>,
    /// Read-only definitions.
    pub skipped: Vec<String>,
    pub not_published: Vec<String>,
    pub not_found: Vec<String>,
}

/// `POST /bulk-actions/retract/workflow-definitions/by-definition-ids`.
#[utoipa::path(post, path = "/bulk-actions/retract/workflow-definitions/by-definition-ids", tag = "workflow-definitions",
    request_body(content = DefinitionIds),
    responses((status = 200, description = "What became of each definition", body = BulkRetractResponse),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_retract(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<DefinitionIds>,
) -> Result<Json<BulkRetractResponse>, ApiError> {
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
    Ok(Json(BulkRetractResponse {
        retracted,
        already_retracted: Vec::new(),
        skipped,
        not_published,
        not_found,
    }))
}

/// `{affectedWorkflows}`: the consumers by name, else by definition id.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AffectedWorkflows {
    pub affected_workflows: Vec<String>,
}

/// `POST /workflow-definitions/{definitionId}/update-references`: consumers that name another
/// version of this definition get a draft naming its latest version.
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/update-references", tag = "workflow-definitions",
    params(("definition_id" = String, Path)),
    responses((status = 200, description = "The consumers that got a new draft", body = AffectedWorkflows),
        (status = 404, description = "No such definition")))]
pub async fn update_references(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
) -> Result<Json<AffectedWorkflows>, ApiError> {
    // Elsa names the consumers by name, else by definition id.
    let affected: Vec<String> = state
        .runtime
        .update_references(&definition_id)
        .await?
        .into_iter()
        .map(|d| d.name.unwrap_or(d.definition_id))
        .collect();
    Ok(Json(AffectedWorkflows {
        affected_workflows: affected,
    }))
}
