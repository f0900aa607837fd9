//! Export: one definition as a JSON file (Elsa's model with a leading `$schema`), or a zip of
//! several — the requested versions and, when asked, every definition that consumes them.

use crate::AppState;
use crate::json::{LenientJson, Query};
use crate::openapi::Binary;
use crate::problem::ApiError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use elsa_model::{VersionOptions, WorkflowDefinition};
use elsa_store::DefinitionFilter;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::Write;
use utoipa::ToSchema;

/// The schema Elsa stamps on exported definitions.
const SCHEMA: &str = "https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json";

/// `GET /workflow-definitions/{definitionId}/export`.
#[utoipa::path(get, path = "/workflow-definitions/{definition_id}/export", tag = "workflow-definitions",
    params(("definition_id" = String, Path),
        ("versionOptions" = Option<String>, Query, description = "Which version; empty means Latest"),
        ("includeConsumingWorkflows" = Option<bool>, Query, description = "True: a zip with every definition that uses this one")),
    responses((status = 200, description = "The definition file, or a zip with its consumers", content(
            (DefinitionFile = "application/json"), (Binary = "application/zip"))),
        (status = 400, description = "A query parameter is invalid"),
        (status = 404, description = "No such definition")))]
pub async fn export(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref());
    let options = q
        .parse_as::<VersionOptions>("versionOptions")?
        .unwrap_or(VersionOptions::Latest);
    let include_consumers = q.bool("includeConsumingWorkflows")?.unwrap_or(false);
    let definition = state
        .runtime
        .definitions()
        .find(&definition_id, options)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "workflow definition {definition_id} ({options}) was not found"
            ))
        })?;
    if !include_consumers {
        return Ok(download(
            file_json(&definition)?,
            &file_name(&definition),
            "application/json",
        ));
    }
    let mut ids = vec![definition.definition_id.clone()];
    ids.extend(state.runtime.consumers(&definition_id).await?);
    zip_response(latest_of(&state, ids).await?)
}

/// `POST /workflow-definitions/{definitionId}/export`: Elsa accepts both verbs.
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/export", tag = "workflow-definitions",
    operation_id = "export_post",
    params(("definition_id" = String, Path),
        ("versionOptions" = Option<String>, Query, description = "Which version; empty means Latest"),
        ("includeConsumingWorkflows" = Option<bool>, Query, description = "True: a zip with every definition that uses this one")),
    responses((status = 200, description = "The definition file, or a zip with its consumers", content(
            (DefinitionFile = "application/json"), (Binary = "application/zip"))),
        (status = 400, description = "A query parameter is invalid"),
        (status = 404, description = "No such definition")))]
pub async fn export_post(
    state: State<AppState>,
    definition_id: Path<String>,
    query: RawQuery,
) -> Result<Response, ApiError> {
    export(state, definition_id, query).await
}

/// `{ids, includeConsumingWorkflows}`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkExport {
    /// Version ids.
    ids: Option<Vec<String>>,
    #[serde(default)]
    include_consuming_workflows: Option<bool>,
}

/// `POST /bulk-actions/export/workflow-definitions`: a zip of the given versions (by version
/// id), with their consumers' latest versions when asked; 204 when none exists.
#[utoipa::path(post, path = "/bulk-actions/export/workflow-definitions", tag = "workflow-definitions",
    request_body(content = BulkExport),
    responses((status = 200, description = "`workflow-definitions.zip`", body = Binary, content_type = "application/zip"),
        (status = 204, description = "None of the versions exists"),
        (status = 400, description = "The body is invalid")))]
pub async fn bulk_export(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<BulkExport>,
) -> Result<Response, ApiError> {
    let Some(ids) = body.ids.filter(|ids| !ids.is_empty()) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let definitions = state
        .runtime
        .definitions()
        .list(&DefinitionFilter {
            ids: Some(ids),
            ..Default::default()
        })
        .await?
        .items;
    if definitions.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if !body.include_consuming_workflows.unwrap_or(false) {
        return zip_response(definitions);
    }
    let mut ids: Vec<String> = Vec::new();
    for d in &definitions {
        ids.push(d.definition_id.clone());
        ids.extend(state.runtime.consumers(&d.definition_id).await?);
    }
    zip_response(latest_of(&state, ids).await?)
}

/// The latest versions of the given definitions (Elsa exports consumers at their latest).
async fn latest_of(
    state: &AppState,
    mut definition_ids: Vec<String>,
) -> Result<Vec<WorkflowDefinition>, ApiError> {
    let mut seen = HashSet::new();
    definition_ids.retain(|id| seen.insert(id.clone()));
    Ok(state
        .runtime
        .definitions()
        .list(&DefinitionFilter {
            version_options: Some(VersionOptions::Latest),
            definition_ids: Some(definition_ids),
            ..Default::default()
        })
        .await?
        .items)
}

/// The exported document: `$schema` first, then the model (WorkflowDefinitionModel).
#[derive(Serialize, ToSchema)]
pub struct DefinitionFile<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(flatten)]
    definition: &'a WorkflowDefinition,
}

fn file_json(definition: &WorkflowDefinition) -> Result<Vec<u8>, ApiError> {
    let document = DefinitionFile {
        schema: SCHEMA,
        definition,
    };
    serde_json::to_vec_pretty(&document)
        .map_err(|e| ApiError::bad_request(format!("the definition cannot be exported: {e}")))
}

/// Elsa's file name: `workflow-definition-<name or definition id, dasherized>.json`.
fn file_name(d: &WorkflowDefinition) -> String {
    let name = d
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&d.definition_id);
    format!("workflow-definition-{}.json", dasherize(name))
}

/// Humanizer's `Underscore().Dasherize().ToLowerInvariant()`: word boundaries of PascalCase,
/// spaces and underscores become dashes (`"RefGraphChild"` → `ref-graph-child`).
fn dasherize(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() || c == '_' || c == '-' {
            out.push('-');
            continue;
        }
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('-');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// A zip of the definitions, one file each (a name used twice gets the definition id).
fn zip_response(definitions: Vec<WorkflowDefinition>) -> Result<Response, ApiError> {
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "writing an export archive failed");
        ApiError::bad_request("the export archive could not be written")
    };
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut names = HashSet::new();
    for d in &definitions {
        let mut name = file_name(d);
        if !names.insert(name.clone()) {
            name = format!(
                "workflow-definition-{}-{}.json",
                dasherize(d.name.as_deref().unwrap_or_default()),
                d.definition_id
            );
            names.insert(name.clone());
        }
        writer.start_file(name, options).map_err(|e| failed(&e))?;
        writer.write_all(&file_json(d)?).map_err(|e| failed(&e))?;
    }
    let bytes = writer.finish().map_err(|e| failed(&e))?.into_inner();
    Ok(download(
        bytes,
        "workflow-definitions.zip",
        "application/zip",
    ))
}

/// A file download: the body with an attachment Content-Disposition naming the file.
fn download(bytes: Vec<u8>, file_name: &str, content_type: &'static str) -> Response {
    // The plain `filename` must be ASCII; `filename*` carries the exact name.
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != ';' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = form_urlencoded::byte_serialize(file_name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let disposition = format!("attachment; filename={ascii}; filename*=UTF-8''{encoded}");
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    if let Ok(value) = header::HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::dasherize;

    #[test]
    fn names_are_dasherized_like_humanizer() {
        assert_eq!(dasherize("RefGraphChild"), "ref-graph-child");
        assert_eq!(dasherize("Order intake"), "order-intake");
        assert_eq!(dasherize("HTTPRequest"), "http-request");
        assert_eq!(dasherize("sum_of two"), "sum-of-two");
        assert_eq!(dasherize("Step2Done"), "step2-done");
    }
}
