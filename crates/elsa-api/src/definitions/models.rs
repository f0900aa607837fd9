//! Elsa's definition payloads: `LinkedWorkflowDefinitionModel`, the list summary, the save
//! response and the HATEOAS links Studio reads as capability flags (elsa-api.md §1.9).

use crate::problem::{self, ApiError};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use elsa_model::WorkflowDefinition;
use elsa_runtime::{RuntimeError, SaveOutcome};
use serde_json::{Map, Value, json};

fn link(href: String, rel: &str, method: &str) -> Value {
    json!({"href": href, "rel": rel, "method": method})
}

/// HATEOAS links of one definition; Studio treats a definition without `publish` as read-only.
fn item_links(d: &WorkflowDefinition) -> Vec<Value> {
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
pub(super) fn list_links() -> Vec<Value> {
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

/// WorkflowDefinitionModel: the definition as Elsa's API writes it (and export files hold it).
pub(super) fn model(d: &WorkflowDefinition) -> Map<String, Value> {
    match serde_json::to_value(d) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// LinkedWorkflowDefinitionModel: the definition with its links.
pub(super) fn linked(d: &WorkflowDefinition) -> Value {
    let mut out = Map::new();
    out.insert("links".into(), Value::Array(item_links(d)));
    out.append(&mut model(d));
    Value::Object(out)
}

/// A stored version as `/versions` lists it: the model with the stored-only fields.
pub(super) fn stored(d: &WorkflowDefinition) -> Value {
    let mut out = model(d);
    out.insert("materializerName".into(), "Json".into());
    out.insert("providerName".into(), "Default".into());
    Value::Object(out)
}

/// WorkflowDefinitionSummary: a list row.
pub(super) fn summary(d: &WorkflowDefinition) -> Value {
    json!({
        "links": item_links(d),
        "id": d.id,
        "definitionId": d.definition_id,
        "name": d.name,
        "description": d.description,
        "version": d.version,
        "toolVersion": d.tool_version,
        "isLatest": d.is_latest,
        "isPublished": d.is_published,
        "providerName": "Default",
        "materializerName": "Json",
        "createdAt": d.created_at,
        "isReadonly": d.is_readonly,
        "isSystem": d.is_system,
        "isMaterializerAvailable": true,
    })
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
    Ok(Json(json!({
        "workflowDefinition": linked(&outcome.definition),
        "alreadyPublished": outcome.already_published,
        "consumingWorkflowCount": 0,
        "validationErrors": outcome.validation_errors,
    }))
    .into_response())
}
