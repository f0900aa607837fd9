//! Import: a definition model (the body itself, not wrapped) stored as the latest draft, or
//! several from uploaded JSON files and zip archives.

use super::models::{LinkedDefinition, linked};
use crate::AppState;
use crate::json::{LenientJson, camel_case_keys};
use crate::lists::Count;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use elsa_model::WorkflowDefinitionInput;
use elsa_runtime::{definition_input, parse_definition_file};
use serde_json::Value;
use std::io::{Cursor, Read};

/// Most definitions one upload may carry (a zip can hold many small files).
const MAX_FILES: usize = 1_000;

/// Most bytes the zips of one upload may inflate to, all entries together: a small archive
/// must not expand into gigabytes.
const MAX_INFLATED: u64 = 64 << 20;

/// `POST /workflow-definitions/import`.
#[utoipa::path(post, path = "/workflow-definitions/import", tag = "workflow-definitions",
    operation_id = "import_workflow_definition",
    request_body(content = WorkflowDefinitionInput, description = "A WorkflowDefinitionModel (e.g. an exported file)"),
    responses((status = 201, description = "A new definition, stored as a draft", body = LinkedDefinition),
        (status = 200, description = "A new draft version of an existing definition", body = LinkedDefinition),
        (status = 400, description = "The model is invalid"),
        (status = 403, description = "The definition is read-only")))]
pub async fn import(
    State(state): State<AppState>,
    LenientJson(model): LenientJson<Value>,
) -> Result<Response, ApiError> {
    import_model(&state, model, None).await
}

/// `PUT /workflow-definitions/{definitionId}/import`: the model becomes that definition's draft.
#[utoipa::path(put, path = "/workflow-definitions/{definition_id}/import", tag = "workflow-definitions",
    params(("definition_id" = String, Path)),
    request_body(content = WorkflowDefinitionInput, description = "A WorkflowDefinitionModel"),
    responses((status = 201, description = "A new definition, stored as a draft", body = LinkedDefinition),
        (status = 200, description = "A new draft version of an existing definition", body = LinkedDefinition),
        (status = 400, description = "The model is invalid"),
        (status = 403, description = "The definition is read-only")))]
pub async fn import_into(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
    LenientJson(model): LenientJson<Value>,
) -> Result<Response, ApiError> {
    import_model(&state, model, Some(definition_id)).await
}

async fn import_model(
    state: &AppState,
    model: Value,
    definition_id: Option<String>,
) -> Result<Response, ApiError> {
    if !model.is_object() {
        return Err(ApiError::bad_request(
            "the request body must be a workflow definition object",
        ));
    }
    let mut input = definition_input(&model)?;
    if definition_id.is_some() {
        input.definition_id = definition_id;
    }
    let outcome = state.runtime.import(input).await?;
    let location = format!(
        "/elsa/api/workflow-definitions/by-definition-id/{}",
        outcome.definition.definition_id
    );
    let body = Json(linked(outcome.definition));
    if !outcome.is_new {
        return Ok(body.into_response());
    }
    let mut response = (StatusCode::CREATED, body).into_response();
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `POST /workflow-definitions/import-files`: multipart field `files`, each a JSON definition or
/// a zip of them; every definition is imported as a draft.
#[utoipa::path(post, path = "/workflow-definitions/import-files", tag = "workflow-definitions",
    request_body(content = crate::openapi::Upload, content_type = "multipart/form-data", description = "Field `files`: JSON files or zip archives"),
    responses((status = 200, description = "How many definitions were imported", body = Count),
        (status = 400, description = "A file is not a workflow definition or a zip of them")))]
pub async fn import_files(
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> Result<Json<Count>, ApiError> {
    let mut models = Vec::new();
    let mut budget = MAX_INFLATED;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("the multipart body is invalid: {e}")))?
    {
        let name = field.file_name().unwrap_or("upload").to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("file '{name}' could not be read: {e}")))?;
        read_models(&name, &bytes, &mut budget, &mut models)?;
        if models.len() > MAX_FILES {
            return Err(ApiError::bad_request(format!(
                "at most {MAX_FILES} definitions can be imported at once"
            )));
        }
    }
    // Every file is checked before anything is stored, so a bad upload changes nothing.
    let inputs = models
        .into_iter()
        .map(|(name, model)| {
            definition_input(&model)
                .map_err(|e| ApiError::bad_request(format!("file '{name}': {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut count = 0;
    for input in inputs {
        state.runtime.import(input).await?;
        count += 1;
    }
    Ok(Json(Count { count }))
}

/// The definitions in one uploaded file: a zip's `.json` entries, or the file itself.
fn read_models(
    name: &str,
    bytes: &[u8],
    budget: &mut u64,
    out: &mut Vec<(String, Value)>,
) -> Result<(), ApiError> {
    if bytes.starts_with(b"PK\x03\x04") {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
            ApiError::bad_request(format!("file '{name}' is not a readable zip archive: {e}"))
        })?;
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).map_err(|e| {
                ApiError::bad_request(format!("file '{name}': an entry cannot be read: {e}"))
            })?;
            let inner = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            if !entry.is_file() || !inner.to_ascii_lowercase().ends_with(".json") {
                continue;
            }
            let entry_name = format!("{name}/{inner}");
            let mut content = Vec::new();
            // Read one byte past the budget, to tell "exactly used up" from "too large".
            (&mut entry)
                .take(*budget + 1)
                .read_to_end(&mut content)
                .map_err(|e| {
                    ApiError::bad_request(format!("file '{entry_name}' cannot be read: {e}"))
                })?;
            *budget = budget.checked_sub(content.len() as u64).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "the zip archives inflate to more than {MAX_INFLATED} bytes"
                ))
            })?;
            out.push((entry_name.clone(), parse_model(&entry_name, &content)?));
            if out.len() > MAX_FILES {
                return Ok(());
            }
        }
        return Ok(());
    }
    out.push((name.to_owned(), parse_model(name, bytes)?));
    Ok(())
}

fn parse_model(name: &str, bytes: &[u8]) -> Result<Value, ApiError> {
    let value = parse_definition_file(bytes)
        .map_err(|e| ApiError::bad_request(format!("file '{name}': {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request(format!(
            "file '{name}' is not a workflow definition object"
        )));
    }
    if let Some(path) = elsa_model::nul_at(&value) {
        return Err(ApiError::bad_request(format!(
            "file '{name}' holds a NUL character at {path}, which cannot be stored"
        )));
    }
    Ok(camel_case_keys(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn zips_yield_their_json_entries_within_the_inflation_budget() {
        let archive = zip_of(&[
            ("a.json", br#"{"Name": "A"}"#),
            ("readme.txt", b"not a definition"),
        ]);
        let (mut budget, mut out) = (1_000, Vec::new());
        read_models("upload.zip", &archive, &mut budget, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, "upload.zip/a.json");
        assert_eq!(out[0].1, serde_json::json!({"name": "A"}));
        assert_eq!(budget, 1_000 - 13);

        // A megabyte of zeros compresses to a kilobyte; it must not inflate past the budget.
        let bomb = zip_of(&[("big.json", &vec![b' '; 1 << 20])]);
        let error = read_models("bomb.zip", &bomb, &mut 4_096, &mut Vec::new()).unwrap_err();
        assert!(error.message.contains("inflate"), "{}", error.message);

        let error = read_models("x.json", b"[1]", &mut 10, &mut Vec::new()).unwrap_err();
        assert!(error.message.contains("x.json"));
    }
}
