//! Exporting instances as files and importing them back (elsa-api.md §2.5). A file is Elsa's
//! `ExportedWorkflowState` — `{"WorkflowState", "Bookmarks", "ActivityExecutionRecords",
//! "WorkflowExecutionLogRecords"}`, PascalCase as Elsa's default serializer writes it — named
//! `workflow-instance-<id>.json`; several instances travel as `workflow-instances.zip`.

use crate::AppState;
use crate::json::{Query, camel_case_keys, parse_body};
use crate::lists::Count;
use crate::openapi::{Binary, Upload};
use crate::problem::ApiError;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use elsa_model::{
    ActivityExecutionRecord, Bookmark, WorkflowExecutionLogRecord, WorkflowInstance, WorkflowState,
};
use elsa_runtime::ImportedInstance;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{Cursor, Read, Write};
use utoipa::ToSchema;

/// Which instances, and what to export with each (query parameters of the same names win).
#[derive(Deserialize, Serialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ExportBody {
    id: Option<String>,
    ids: Option<Vec<String>>,
    include_bookmarks: Option<bool>,
    include_activity_execution_log: Option<bool>,
    include_workflow_execution_log: Option<bool>,
}

impl ExportBody {
    /// Body first, then the query (later sources win, as FastEndpoints binds).
    fn bind(raw: Option<&str>, body: &[u8]) -> Result<Self, ApiError> {
        let mut b: Self = parse_body(body)?;
        let q = Query::parse(raw);
        if let Some(ids) = q.all("ids") {
            b.ids = Some(ids);
        }
        for (key, slot) in [
            ("includeBookmarks", &mut b.include_bookmarks),
            (
                "includeActivityExecutionLog",
                &mut b.include_activity_execution_log,
            ),
            (
                "includeWorkflowExecutionLog",
                &mut b.include_workflow_execution_log,
            ),
        ] {
            if let Some(v) = q.bool(key)? {
                *slot = Some(v);
            }
        }
        Ok(b)
    }
}

/// An exported instance, with PascalCase keys as Elsa writes the file; the records asked for.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceFile {
    workflow_state: WorkflowState,
    #[serde(skip_serializing_if = "Option::is_none")]
    bookmarks: Option<Vec<Bookmark>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    activity_execution_records: Option<Vec<ActivityExecutionRecord>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workflow_execution_log_records: Option<Vec<WorkflowExecutionLogRecord>>,
}

/// One instance as an export file's JSON.
async fn exported(
    state: &AppState,
    instance: WorkflowInstance,
    b: &ExportBody,
) -> Result<Vec<u8>, ApiError> {
    let store = state.runtime.instances();
    let id = instance.id;
    let file = InstanceFile {
        workflow_state: instance.workflow_state,
        bookmarks: match b.include_bookmarks {
            Some(true) => Some(store.bookmarks(&id).await?),
            _ => None,
        },
        activity_execution_records: match b.include_activity_execution_log {
            Some(true) => Some(store.activity_records(&id).await?),
            _ => None,
        },
        workflow_execution_log_records: match b.include_workflow_execution_log {
            Some(true) => Some(store.journal(&id, 0, i64::MAX).await?.items),
            _ => None,
        },
    };
    Ok(serde_json::to_vec(&file).unwrap_or_default())
}

fn file_name(id: &str) -> String {
    format!("workflow-instance-{}.json", id.to_lowercase())
}

fn download(bytes: Vec<u8>, name: &str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn export(state: &AppState, b: ExportBody) -> Result<Response, ApiError> {
    let ids: Vec<String> =
        b.id.clone()
            .into_iter()
            .chain(b.ids.clone().unwrap_or_default())
            .collect();
    if let [id] = ids.as_slice() {
        let (instance, _) =
            state.runtime.instances().get(id).await?.ok_or_else(|| {
                ApiError::not_found(format!("workflow instance {id} was not found"))
            })?;
        let bytes = exported(state, instance, &b).await?;
        return Ok(download(bytes, &file_name(id), "application/json"));
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut any = false;
    for id in &ids {
        let Some((instance, _)) = state.runtime.instances().get(id).await? else {
            continue;
        };
        let bytes = exported(state, instance, &b).await?;
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file(file_name(id), options)
            .and_then(|()| zip.write_all(&bytes).map_err(Into::into))
            .map_err(|e| ApiError::bad_request(format!("the archive could not be written: {e}")))?;
        any = true;
    }
    if !any {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let bytes = zip
        .finish()
        .map_err(|e| ApiError::bad_request(format!("the archive could not be written: {e}")))?
        .into_inner();
    Ok(download(bytes, "workflow-instances.zip", "application/zip"))
}

/// `GET /workflow-instances/{id}/export?includeBookmarks=&includeActivityExecutionLog=&includeWorkflowExecutionLog=`.
#[utoipa::path(get, path = "/workflow-instances/{id}/export", tag = "workflow-instances",
    operation_id = "exportWorkflowInstanceGet",
    params(("id" = String, Path), ("includeBookmarks" = Option<bool>, Query),
        ("includeActivityExecutionLog" = Option<bool>, Query), ("includeWorkflowExecutionLog" = Option<bool>, Query)),
    responses((status = 200, description = "The instance file", body = InstanceFile),
        (status = 400, description = "A parameter is invalid"),
        (status = 404, description = "No such instance")))]
pub async fn export_one_get(
    state: State<AppState>,
    id: Path<String>,
    raw: RawQuery,
) -> Result<Response, ApiError> {
    export_one(state, id, raw, Bytes::new()).await
}

/// `POST /workflow-instances/{id}/export` with the same options as JSON.
#[utoipa::path(post, path = "/workflow-instances/{id}/export", tag = "workflow-instances",
    operation_id = "exportWorkflowInstancePost",
    params(("id" = String, Path), ("includeBookmarks" = Option<bool>, Query),
        ("includeActivityExecutionLog" = Option<bool>, Query), ("includeWorkflowExecutionLog" = Option<bool>, Query)),
    request_body(content = ExportBody, description = "`id` and `ids` are ignored: the route names the instance"),
    responses((status = 200, description = "The instance file", body = InstanceFile),
        (status = 400, description = "A parameter is invalid"),
        (status = 404, description = "No such instance")))]
pub async fn export_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut b = ExportBody::bind(raw.as_deref(), &body)?;
    b.id = Some(id);
    b.ids = None;
    export(&state, b).await
}

/// `GET /bulk-actions/export/workflow-instances?ids=a&ids=b&include...=`: one instance as a
/// JSON file, several as a zip, none found = 204.
#[utoipa::path(get, path = "/bulk-actions/export/workflow-instances", tag = "workflow-instances",
    operation_id = "exportWorkflowInstancesGet",
    params(("ids" = Option<Vec<String>>, Query), ("includeBookmarks" = Option<bool>, Query),
        ("includeActivityExecutionLog" = Option<bool>, Query), ("includeWorkflowExecutionLog" = Option<bool>, Query)),
    responses((status = 200, description = "The instance file, or a zip of them when there are several", content(
            (InstanceFile = "application/json"), (Binary = "application/zip"))),
        (status = 204, description = "None of the instances exists"),
        (status = 400, description = "A parameter is invalid")))]
pub async fn export_many_get(state: State<AppState>, raw: RawQuery) -> Result<Response, ApiError> {
    export_many(state, raw, Bytes::new()).await
}

/// `POST /bulk-actions/export/workflow-instances` with the options as JSON.
#[utoipa::path(post, path = "/bulk-actions/export/workflow-instances", tag = "workflow-instances",
    operation_id = "exportWorkflowInstancesPost",
    params(("ids" = Option<Vec<String>>, Query), ("includeBookmarks" = Option<bool>, Query),
        ("includeActivityExecutionLog" = Option<bool>, Query), ("includeWorkflowExecutionLog" = Option<bool>, Query)),
    request_body(content = ExportBody),
    responses((status = 200, description = "The instance file, or a zip of them when there are several", content(
            (InstanceFile = "application/json"), (Binary = "application/zip"))),
        (status = 204, description = "None of the instances exists"),
        (status = 400, description = "A parameter is invalid")))]
pub async fn export_many(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    export(&state, ExportBody::bind(raw.as_deref(), &body)?).await
}

/// An export file as read back: keys in any case.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportedFile {
    workflow_state: WorkflowState,
    #[serde(default)]
    activity_execution_records: Option<Vec<ActivityExecutionRecord>>,
    #[serde(default)]
    workflow_execution_log_records: Option<Vec<WorkflowExecutionLogRecord>>,
}

/// Stores one imported instance. A new one comes with its journal and records; one that
/// exists already gets the imported state and bookmarks (its journal and records stay).
async fn import_file(state: &AppState, name: &str, bytes: &[u8]) -> Result<(), ApiError> {
    let invalid = |e: String| {
        ApiError::bad_request(format!("{name} is not an exported workflow instance: {e}"))
    };
    let value: Value = elsa_model::parse_bounded(bytes).map_err(invalid)?;
    if let Some(path) = elsa_model::nul_at(&value) {
        return Err(invalid(format!(
            "a NUL character at {path} cannot be stored"
        )));
    }
    let file: ImportedFile =
        serde_json::from_value(camel_case_keys(value)).map_err(|e| invalid(e.to_string()))?;
    state
        .runtime
        .import_instance(ImportedInstance {
            state: file.workflow_state,
            journal: file.workflow_execution_log_records.unwrap_or_default(),
            activity_records: file.activity_execution_records.unwrap_or_default(),
        })
        .await?;
    Ok(())
}

/// `POST /bulk-actions/import/workflow-instances`: multipart field `files`, each an export
/// file or a zip of them.
#[utoipa::path(post, path = "/bulk-actions/import/workflow-instances", tag = "workflow-instances",
    request_body(content = Upload, content_type = "multipart/form-data", description = "field `files`: JSON files or zips"),
    responses((status = 200, description = "How many instances were imported", body = Count),
        (status = 400, description = "A file is not an exported instance")))]
pub async fn import(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<axum::Json<Count>, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::bad_request(format!(
            "the body must be multipart/form-data with field 'files': {e}"
        ))
    })?;
    let mut count = 0;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("the multipart body is invalid: {e}")))?
    {
        let name = field.file_name().unwrap_or("file").to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("{name} could not be read: {e}")))?;
        let files = if bytes.starts_with(b"PK") {
            unzip(&name, bytes)?
        } else {
            vec![(name, bytes.to_vec())]
        };
        for (name, content) in files {
            import_file(&state, &name, &content).await?;
            count += 1;
        }
    }
    Ok(axum::Json(Count { count }))
}

/// The `.json` entries of a zip, with their names.
fn unzip(name: &str, bytes: Bytes) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    let bad =
        |e: zip::result::ZipError| ApiError::bad_request(format!("{name} is not a valid zip: {e}"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(bad)?;
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(bad)?;
        let entry_name = entry.name().map_err(bad)?.into_owned();
        if !entry.is_file() || !entry_name.to_lowercase().ends_with(".json") {
            continue;
        }
        let mut content = Vec::new();
        entry
            .read_to_end(&mut content)
            .map_err(|e| ApiError::bad_request(format!("{entry_name} could not be read: {e}")))?;
        files.push((entry_name, content));
    }
    Ok(files)
}
