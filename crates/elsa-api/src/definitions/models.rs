//! Elsa's definition payloads: `LinkedWorkflowDefinitionModel`, the list summary, the save
//! response and the HATEOAS links Studio reads as capability flags (elsa-api.md §1.9).

use crate::problem::{self, ApiError};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use elsa_model::WorkflowDefinition;
use elsa_runtime::{RuntimeError, SaveOutcome, ValidationError};
use serde::Serialize;
use utoipa::ToSchema;

/// A HATEOAS link.
#[derive(Serialize, ToSchema)]
pub struct Link {
    pub href: String,
    pub rel: &'static str,
    pub method: &'static str,
}

fn link(href: String, rel: &'static str, method: &'static str) -> Link {
    Link { href, rel, method }
}

/// HATEOAS links of one definition; Studio treats a definition without `publish` as read-only.
fn item_links(d: &WorkflowDefinition) -> Vec<Link> {
    let base = format!("/workflow-definitions/{}", d.definition_id);
    let mut links = vec![
        link(base.clone(), "self", "GET"),
        link(
            format!("/workflow-definitions/by-definition-id/{}", d.definition_id),
            "self",
            "GET",
        ),
        link(format!("{base}/versions"), "versions", "GET"),
        link(format!("{base}/execute"), "execute", "POST"),
        link(format!("{base}/dispatch"), "dispatch", "POST"),
        link(format!("{base}/bulk-dispatch"), "bulk-dispatch", "POST"),
        link(format!("{base}/export"), "export", "GET"),
    ];
    if !d.is_readonly {
        links.extend([
            link(format!("{base}/publish"), "publish", "POST"),
            link(format!("{base}/retract"), "retract", "POST"),
            link(base.clone(), "delete", "DELETE"),
            link(format!("{base}/import"), "import", "PUT"),
            link(
                format!("{base}/update-references"),
                "update-references",
                "POST",
            ),
        ]);
    }
    links
}

/// Links of the definition list; without `bulk-publish` Studio shows the list read-only.
pub(super) fn list_links() -> Vec<Link> {
    let base = "/workflow-definitions";
    vec![
        link(base.into(), "self", "GET"),
        link(
            format!("{base}/validation/is-name-unique"),
            "is-name-unique",
            "GET",
        ),
        link(format!("{base}/query/count"), "count", "GET"),
        link(format!("{base}/many-by-id"), "many-by-id", "GET"),
        link(
            "/bulk-actions/delete/workflow-definitions/by-definition-id".into(),
            "bulk-delete-by-definition-id",
            "POST",
        ),
        link(
            "/bulk-actions/delete/workflow-definitions/by-id".into(),
            "bulk-delete-by-id",
            "POST",
        ),
        link(
            "/bulk-actions/publish/workflow-definitions/by-definition-ids".into(),
            "bulk-publish",
            "POST",
        ),
        link(
            "/bulk-actions/retract/workflow-definitions/by-definition-ids".into(),
            "bulk-retract",
            "POST",
        ),
        link(format!("{base}/import"), "import", "POST"),
        link(format!("{base}/import-files"), "import-files", "POST"),
        link(base.into(), "create", "POST"),
    ]
}

/// LinkedWorkflowDefinitionModel: the definition (WorkflowDefinitionModel) with its links.
#[derive(Serialize, ToSchema)]
pub struct LinkedDefinition {
    pub links: Vec<Link>,
    #[serde(flatten)]
    pub definition: WorkflowDefinition,
}

pub(super) fn linked(d: WorkflowDefinition) -> LinkedDefinition {
    LinkedDefinition {
        links: item_links(&d),
        definition: d,
    }
}

/// A stored version as `/versions` lists it: the model with the stored-only fields.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredDefinition {
    #[serde(flatten)]
    pub definition: WorkflowDefinition,
    /// Always `Json`.
    pub materializer_name: &'static str,
    /// Always `Default`.
    pub provider_name: &'static str,
}

pub(super) fn stored(definition: WorkflowDefinition) -> StoredDefinition {
    StoredDefinition {
        definition,
        materializer_name: "Json",
        provider_name: "Default",
    }
}

/// WorkflowDefinitionSummary: a list row.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionSummary {
    pub links: Vec<Link>,
    pub id: String,
    pub definition_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub version: i32,
    pub tool_version: Option<String>,
    pub is_latest: bool,
    pub is_published: bool,
    /// Always `Default`.
    pub provider_name: &'static str,
    /// Always `Json`.
    pub materializer_name: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: elsa_model::Timestamp,
    pub is_readonly: bool,
    pub is_system: bool,
    pub is_materializer_available: bool,
}

pub(super) fn summary(d: WorkflowDefinition) -> DefinitionSummary {
    DefinitionSummary {
        links: item_links(&d),
        id: d.id,
        definition_id: d.definition_id,
        name: d.name,
        description: d.description,
        version: d.version,
        tool_version: d.tool_version,
        is_latest: d.is_latest,
        is_published: d.is_published,
        provider_name: "Default",
        materializer_name: "Json",
        created_at: d.created_at,
        is_readonly: d.is_readonly,
        is_system: d.is_system,
        is_materializer_available: true,
    }
}

/// Elsa's `WorkflowValidationError`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationErrorModel {
    pub message: String,
    pub activity_id: Option<String>,
}

impl From<ValidationError> for ValidationErrorModel {
    fn from(e: ValidationError) -> Self {
        Self {
            message: e.message,
            activity_id: e.activity_id,
        }
    }
}

/// Elsa's save/publish response.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SaveResponse {
    pub workflow_definition: LinkedDefinition,
    pub already_published: bool,
    /// Always 0: consumers are updated through `update-references`.
    pub consuming_workflow_count: i32,
    /// Warnings only: errors fail the publish with a 400 problem.
    pub validation_errors: Vec<ValidationErrorModel>,
}

/// Elsa's save/publish response; a publish that validation failed is a 400 problem listing
/// every message (Elsa: `errors.generalErrors`), since its `FailOnValidationErrors` is on.
pub(super) fn save_response(
    result: Result<SaveOutcome, RuntimeError>,
) -> Result<Response, ApiError> {
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(RuntimeError::ValidationFailed(errors)) => {
            let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
            return Ok(problem::problem(
                StatusCode::BAD_REQUEST,
                "The workflow has validation errors and cannot be published.",
                &messages,
            ));
        }
        Err(error) => return Err(error.into()),
    };
    Ok(Json(SaveResponse {
        workflow_definition: linked(outcome.definition),
        already_published: outcome.already_published,
        consuming_workflow_count: 0,
        validation_errors: outcome
            .validation_errors
            .into_iter()
            .map(Into::into)
            .collect(),
    })
    .into_response())
}
