//! `/workflow-definitions`: save, publish, list, get, execute.

use crate::AppState;
use crate::json::{LenientJson, Query, from_value};
use crate::problem::{self, ApiError};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use elsa_model::{VersionOptions, WorkflowDefinition, WorkflowDefinitionInput, WorkflowSubStatus};
use elsa_runtime::{ExecuteOutcome, ExecuteRequest, RuntimeError, SaveOutcome};
use elsa_store::{DefinitionFilter, DefinitionOrder, PageRequest};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The workflow-definition routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, save))
        .routes(routes!(execute_inline))
        .routes(routes!(get_by_definition_id))
        // Elsa's alias of by-definition-id; documented once under its canonical path.
        .route(
            "/workflow-definitions/{definition_id}",
            axum::routing::get(get_by_definition_id),
        )
        .routes(routes!(publish))
        .routes(routes!(execute))
}

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

fn list_links() -> Vec<Value> {
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

/// LinkedWorkflowDefinitionModel: the definition with its links.
fn linked(d: &WorkflowDefinition) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or_default();
    if let Value::Object(map) = &mut v {
        let mut out = Map::new();
        out.insert("links".into(), Value::Array(item_links(d)));
        out.append(map);
        return Value::Object(out);
    }
    v
}

/// WorkflowDefinitionSummary: a list row.
fn summary(d: &WorkflowDefinition) -> Value {
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
fn save_response(result: Result<SaveOutcome, RuntimeError>) -> Result<Response, ApiError> {
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveRequest {
    model: Option<Value>,
    #[serde(default)]
    publish: bool,
}

/// `POST /workflow-definitions`.
#[utoipa::path(post, path = "/workflow-definitions", tag = "workflow-definitions",
    request_body(content = Object, description = "`{\"model\": WorkflowDefinition, \"publish\": bool}`"),
    responses((status = 200, description = "The saved definition with its links", body = Object),
        (status = 400, description = "The model is missing or invalid")))]
pub async fn save(
    State(state): State<AppState>,
    LenientJson(request): LenientJson<SaveRequest>,
) -> Result<Response, ApiError> {
    let model = request.model.ok_or_else(|| {
        ApiError::bad_request("the request body needs a 'model' with the workflow definition")
    })?;
    let input: WorkflowDefinitionInput = from_value(model)?;
    save_response(state.runtime.save_definition(input, request.publish).await)
}

/// `POST /workflow-definitions/{definitionId}/publish`.
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/publish", tag = "workflow-definitions",
    params(("definition_id" = String, Path, description = "The definition id")),
    responses((status = 200, description = "The published definition", body = Object),
        (status = 404, description = "No such definition")))]
pub async fn publish(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
) -> Result<Response, ApiError> {
    save_response(state.runtime.publish(&definition_id).await)
}

/// `GET /workflow-definitions`.
#[utoipa::path(get, path = "/workflow-definitions", tag = "workflow-definitions",
    params(("versionOptions" = Option<String>, Query, description = "Latest, Published, LatestOrPublished, LatestAndPublished, Draft, AllVersions or a version number"),
        ("page" = Option<u32>, Query, description = "0-based page; paging applies when page and pageSize are both given"),
        ("pageSize" = Option<u32>, Query),
        ("searchTerm" = Option<String>, Query),
        ("isSystem" = Option<bool>, Query),
        ("definitionIds" = Option<Vec<String>>, Query),
        ("ids" = Option<Vec<String>>, Query),
        ("orderBy" = Option<String>, Query, description = "Name, Created or Version"),
        ("orderDirection" = Option<String>, Query, description = "Ascending or Descending")),
    responses((status = 200, description = "`{links, items, totalCount}`", body = Object),
        (status = 400, description = "A query parameter is invalid")))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let order_by = match q.get("orderBy").map(str::to_ascii_lowercase).as_deref() {
        None | Some("name") => DefinitionOrder::Name,
        Some("created") => DefinitionOrder::Created,
        Some("version") => DefinitionOrder::Version,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "query parameter 'orderBy' must be Name, Created or Version, got '{other}'"
            )));
        }
    };
    let descending = match q
        .get("orderDirection")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => order_by != DefinitionOrder::Name,
        Some("ascending") => false,
        Some("descending") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "query parameter 'orderDirection' must be Ascending or Descending, got '{other}'"
            )));
        }
    };
    let filter = DefinitionFilter {
        version_options: q.parse_as::<VersionOptions>("versionOptions")?,
        definition_ids: q.all("definitionIds"),
        ids: q.all("ids"),
        search_term: q.get("searchTerm").map(str::to_string),
        is_system: q.bool("isSystem")?,
        order_by,
        descending,
        page: page_request(&q)?,
    };
    let page = state.runtime.definitions().list(&filter).await?;
    Ok(Json(json!({
        "links": list_links(),
        "items": page.items.iter().map(summary).collect::<Vec<_>>(),
        "totalCount": page.total_count,
    })))
}

/// 0-based `page` and `pageSize`; paging applies only when both are given.
pub fn page_request(q: &Query) -> Result<Option<PageRequest>, ApiError> {
    let page = q.parse_as::<u32>("page")?;
    let size = q.parse_as::<u32>("pageSize")?;
    match (page, size) {
        (Some(_), Some(0)) => Err(ApiError::bad_request(
            "query parameter 'pageSize' must be at least 1",
        )),
        (Some(page), Some(page_size)) => Ok(Some(PageRequest { page, page_size })),
        _ => Ok(None),
    }
}

/// `GET /workflow-definitions/by-definition-id/{definitionId}` (and its alias).
#[utoipa::path(get, path = "/workflow-definitions/by-definition-id/{definition_id}", tag = "workflow-definitions",
    params(("definition_id" = String, Path), ("versionOptions" = Option<String>, Query, description = "Latest, Published, LatestOrPublished, LatestAndPublished, Draft, AllVersions or a version number")),
    responses((status = 200, description = "The definition with its links", body = Object),
        (status = 404, description = "No such definition")))]
pub async fn get_by_definition_id(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let options = q
        .parse_as::<VersionOptions>("versionOptions")?
        .unwrap_or_default();
    let d = state
        .runtime
        .definitions()
        .find(&definition_id, options)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "workflow definition {definition_id} ({options}) was not found"
            ))
        })?;
    Ok(Json(linked(&d)))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ExecuteBody {
    correlation_id: Option<String>,
    name: Option<String>,
    trigger_activity_id: Option<String>,
    version_options: Option<Value>,
    input: Option<Map<String, Value>>,
}

impl ExecuteBody {
    fn into_request(self) -> Result<ExecuteRequest, ApiError> {
        let version_options = match self.version_options {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.parse().map_err(ApiError::bad_request)?),
            Some(Value::Number(n)) => Some(VersionOptions::Specific(
                n.as_i64()
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(|| {
                        ApiError::bad_request("versionOptions must be a version number or a name")
                    })?,
            )),
            Some(_) => {
                return Err(ApiError::bad_request(
                    "versionOptions must be a string such as \"Published\"",
                ));
            }
        };
        Ok(ExecuteRequest {
            version_options,
            correlation_id: self.correlation_id,
            name: self.name,
            input: self.input.unwrap_or_default(),
            trigger_activity_id: self.trigger_activity_id,
            ..ExecuteRequest::default()
        })
    }
}

/// `POST /workflow-definitions/{definitionId}/execute`.
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/execute", tag = "workflow-definitions",
    params(("definition_id" = String, Path)),
    request_body(content = Object, description = "`{input, correlationId, versionOptions, name, triggerActivityId}`, read when the content type is JSON"),
    responses((status = 200, description = "`{workflowState}`; headers x-elsa-workflow-instance-id and x-elsa-workflow-cannot-start", body = Object),
        (status = 404, description = "No such definition"),
        (status = 500, description = "The workflow faulted; the body holds its state")))]
pub async fn execute(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // Elsa reads the body only when it is JSON; Studio's Run button sends `{"versionOptions":"Latest"}`.
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let body: ExecuteBody = if is_json {
        crate::json::parse_body(&body)?
    } else {
        ExecuteBody::default()
    };
    let outcome = state
        .runtime
        .execute(&definition_id, body.into_request()?)
        .await?;
    Ok(execute_response(outcome))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InlineExecuteBody {
    workflow: Option<Value>,
    #[serde(flatten)]
    options: ExecuteBody,
}

/// `POST /workflow-definitions/execute`: run a workflow given in the body, as the Kubernetes
/// guide does: `{"workflow":{"activities":[{"id":"1","type":"WriteLine","text":"..."}]}}`.
#[utoipa::path(post, path = "/workflow-definitions/execute", tag = "workflow-definitions",
    request_body(content = Object, description = "`{\"workflow\": {activities | root}, input, correlationId}`"),
    responses((status = 200, description = "`{workflowState}`", body = Object),
        (status = 400, description = "The workflow is missing or invalid")))]
pub async fn execute_inline(
    State(state): State<AppState>,
    LenientJson(body): LenientJson<InlineExecuteBody>,
) -> Result<Response, ApiError> {
    let workflow = body.workflow.ok_or_else(|| {
        ApiError::bad_request(
            "the request body needs a 'workflow' with 'activities' or a 'root' activity",
        )
    })?;
    let input: WorkflowDefinitionInput = from_value(workflow)?;
    if input.root.is_none() && input.activities.is_none() {
        return Err(ApiError::bad_request(
            "the workflow needs 'activities' or a 'root' activity",
        ));
    }
    let outcome = state
        .runtime
        .execute_inline(input, body.options.into_request()?)
        .await?;
    Ok(execute_response(outcome))
}

/// Elsa's execute response: the state, the instance id header and, when the workflow faulted,
/// status 500 (the workflow's outcome, reported as Elsa reports it).
fn execute_response(outcome: ExecuteOutcome) -> Response {
    let state = &outcome.instance.workflow_state;
    let status = if state.sub_status == WorkflowSubStatus::Faulted {
        axum::http::StatusCode::INTERNAL_SERVER_ERROR
    } else {
        axum::http::StatusCode::OK
    };
    let mut response = (status, Json(json!({"workflowState": state}))).into_response();
    let headers = response.headers_mut();
    if let Ok(id) = HeaderValue::from_str(&outcome.instance.id) {
        headers.insert("x-elsa-workflow-instance-id", id);
    }
    headers.insert(
        "x-elsa-workflow-cannot-start",
        HeaderValue::from_static("False"),
    );
    if status.is_success() {
        headers.insert("x-elsa-response", HeaderValue::from_static("true"));
    }
    response
}
