//! Running definitions: execute (synchronously, in the request), inline execute, dispatch and
//! bulk dispatch (the instance is stored Pending and its run queued before the id is answered;
//! the background worker runs it).

use super::{idempotency, version_options_of, version_options_schema};
use crate::AppState;
use crate::json::{LenientJson, Query, from_value};
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use elsa_model::{VersionOptions, WorkflowDefinitionInput, WorkflowState, WorkflowSubStatus};
use elsa_runtime::{ExecuteOutcome, ExecuteRequest};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::future::Future;
use utoipa::ToSchema;

/// Most instances one bulk dispatch may start.
const MAX_BULK_DISPATCH: u32 = 1_000;

/// How to run a definition: `{input, correlationId, versionOptions, name, triggerActivityId}`.
#[derive(Deserialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ExecuteBody {
    correlation_id: Option<String>,
    name: Option<String>,
    trigger_activity_id: Option<String>,
    #[schema(schema_with = version_options_schema)]
    version_options: Option<Value>,
    /// The workflow's input: free-form values by name.
    input: Option<Map<String, Value>>,
}

/// Elsa's execute response: the instance's state after the run.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteResponse<'a> {
    pub workflow_state: &'a WorkflowState,
}

impl ExecuteBody {
    fn into_request(self) -> Result<ExecuteRequest, ApiError> {
        Ok(ExecuteRequest {
            version_options: version_options_of(self.version_options.as_ref())?,
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
    params(("definition_id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key answers the first request's instance instead of running again")),
    request_body(content = ExecuteBody, description = "Read when the content type is JSON"),
    responses((status = 200, description = "The state; headers x-elsa-workflow-instance-id and x-elsa-workflow-cannot-start", body = ExecuteResponse),
        (status = 404, description = "No such definition"),
        (status = 500, description = "The workflow faulted; the body holds its state", body = ExecuteResponse)))]
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
    keyed_execute(
        &state,
        &headers,
        ("execute", &definition_id),
        body.into_request()?,
        |request| state.runtime.execute(&definition_id, request),
    )
    .await
}

/// Runs an execute request under its `Idempotency-Key`, if it has one: a retry answers the
/// first request's instance as it stands instead of running again.
async fn keyed_execute<F>(
    state: &AppState,
    headers: &HeaderMap,
    (route, definition_id): (&str, &str),
    mut request: ExecuteRequest,
    run: impl FnOnce(ExecuteRequest) -> F,
) -> Result<Response, ApiError>
where
    F: Future<Output = Result<ExecuteOutcome, elsa_runtime::RuntimeError>>,
{
    let keyed = idempotency::instance_id(headers, route, definition_id)?;
    if let Some(instance) = idempotency::first(state, keyed.as_deref()).await? {
        return Ok(execute_response(ExecuteOutcome { instance }));
    }
    if keyed.is_some() {
        request.instance_id.clone_from(&keyed);
    }
    let outcome = run(request).await.map_err(ApiError::from);
    let outcome = idempotency::settle(state, keyed.as_deref(), outcome, |instance| {
        ExecuteOutcome { instance }
    })
    .await?;
    Ok(execute_response(outcome))
}

/// `GET /workflow-definitions/{definitionId}/execute`: the same, from the query string.
#[utoipa::path(get, path = "/workflow-definitions/{definition_id}/execute", tag = "workflow-definitions",
    params(("definition_id" = String, Path),
        ("versionOptions" = Option<String>, Query, description = "Default Published"),
        ("correlationId" = Option<String>, Query),
        ("name" = Option<String>, Query),
        ("triggerActivityId" = Option<String>, Query),
        ("input" = Option<String>, Query, description = "A JSON object")),
    responses((status = 200, description = "The state after the run", body = ExecuteResponse),
        (status = 400, description = "A query parameter is invalid"),
        (status = 404, description = "No such definition"),
        (status = 500, description = "The workflow faulted; the body holds its state", body = ExecuteResponse)))]
pub async fn execute_get(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref());
    let input = match q.get("input") {
        None => Map::new(),
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(ApiError::bad_request(
                    "query parameter 'input' must be a JSON object",
                ));
            }
        },
    };
    let request = ExecuteRequest {
        version_options: q.parse_as::<VersionOptions>("versionOptions")?,
        correlation_id: q.get("correlationId").map(str::to_owned),
        name: q.get("name").map(str::to_owned),
        trigger_activity_id: q.get("triggerActivityId").map(str::to_owned),
        input,
        ..ExecuteRequest::default()
    };
    let outcome = state.runtime.execute(&definition_id, request).await?;
    Ok(execute_response(outcome))
}

/// A workflow to run without storing a definition, and how to run it.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InlineExecuteBody {
    /// Bound (as a `WorkflowDefinitionInput`) after the envelope, so its errors name its own
    /// fields; it needs `activities` or a `root`.
    #[schema(value_type = WorkflowDefinitionInput, required = true)]
    workflow: Option<Value>,
    #[serde(flatten)]
    options: ExecuteBody,
}

/// `POST /workflow-definitions/execute`: run a workflow given in the body, as the Kubernetes
/// guide does: `{"workflow":{"activities":[{"id":"1","type":"WriteLine","text":"..."}]}}`.
#[utoipa::path(post, path = "/workflow-definitions/execute", tag = "workflow-definitions",
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key answers the first request's instance instead of running again")),
    request_body(content = InlineExecuteBody),
    responses((status = 200, description = "The state after the run", body = ExecuteResponse),
        (status = 400, description = "The workflow is missing or invalid"),
        (status = 500, description = "The workflow faulted; the body holds its state", body = ExecuteResponse)))]
pub async fn execute_inline(
    State(state): State<AppState>,
    headers: HeaderMap,
    LenientJson(body): LenientJson<InlineExecuteBody>,
) -> Result<Response, ApiError> {
    let workflow = body.workflow.ok_or_else(|| {
        ApiError::bad_request(
            "the request body needs a 'workflow' with 'activities' or a 'root' activity",
        )
    })?;
    let request = body.options.into_request()?;
    // A workflow sent before runs as loaded then, without being made a definition again.
    let content = elsa_runtime::inline_content_key(&workflow);
    if let Some(known) = state.runtime.inline_workflow(&content) {
        return keyed_execute(
            &state,
            &headers,
            ("execute-inline", ""),
            request,
            |request| state.runtime.run_inline(known, request),
        )
        .await;
    }
    let input: WorkflowDefinitionInput = from_value(workflow)?;
    if input.root.is_none() && input.activities.is_none() {
        return Err(ApiError::bad_request(
            "the workflow needs 'activities' or a 'root' activity",
        ));
    }
    keyed_execute(
        &state,
        &headers,
        ("execute-inline", ""),
        request,
        |request| {
            state
                .runtime
                .execute_inline_sent(input, Some(content), request)
        },
    )
    .await
}

/// Elsa's execute response: the state, the instance id header and, when the workflow faulted,
/// status 500 (the workflow's outcome, reported as Elsa reports it).
fn execute_response(outcome: ExecuteOutcome) -> Response {
    let state = &outcome.instance.workflow_state;
    let status = if state.sub_status == WorkflowSubStatus::Faulted {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    let body = ExecuteResponse {
        workflow_state: state,
    };
    let mut response = (status, Json(body)).into_response();
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
    } else {
        response
            .extensions_mut()
            .insert(crate::FaultedWorkflow(outcome.instance.id.clone()));
    }
    response
}

/// How to dispatch: `{instanceId, correlationId, triggerActivityId, versionOptions, input}`,
/// and `count` for bulk dispatch.
#[derive(Deserialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DispatchBody {
    instance_id: Option<String>,
    correlation_id: Option<String>,
    trigger_activity_id: Option<String>,
    /// Default `Published`.
    #[schema(schema_with = version_options_schema)]
    version_options: Option<Value>,
    /// The workflow's input: free-form values by name.
    #[schema(value_type = Option<Map<String, Value>>)]
    input: Option<Value>,
    /// Bulk dispatch only: how many instances (default 1, at most 1000).
    count: Option<u32>,
}

/// `{workflowInstanceId}`: the instance dispatched, Pending until the worker runs it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DispatchResponse {
    pub workflow_instance_id: String,
}

/// `{workflowInstanceIds}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkDispatchResponse {
    pub workflow_instance_ids: Vec<String>,
}

impl DispatchBody {
    /// The request one dispatched instance runs with (default version: Published).
    fn request(&self) -> Result<ExecuteRequest, ApiError> {
        let input = match &self.input {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => return Err(ApiError::bad_request("'input' must be a JSON object")),
        };
        Ok(ExecuteRequest {
            version_options: Some(
                version_options_of(self.version_options.as_ref())?
                    .unwrap_or(VersionOptions::Published),
            ),
            correlation_id: self.correlation_id.clone(),
            trigger_activity_id: self.trigger_activity_id.clone(),
            input,
            ..ExecuteRequest::default()
        })
    }
}

/// Queues one run and answers its instance id: the instance exists (Pending) when this
/// returns, and runs on the background worker.
async fn dispatch_one(
    state: &AppState,
    definition_id: &str,
    request: ExecuteRequest,
) -> Result<String, ApiError> {
    Ok(state.runtime.dispatch(definition_id, request).await?)
}

/// `POST /workflow-definitions/{definitionId}/dispatch`.
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/dispatch", tag = "workflow-definitions",
    params(("definition_id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key answers the first request's instance instead of running again")),
    request_body(content = DispatchBody),
    responses((status = 200, description = "The instance; the run continues in the background", body = DispatchResponse),
        (status = 400, description = "The body is invalid"),
        (status = 404, description = "No such definition")))]
pub async fn dispatch(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
    headers: HeaderMap,
    LenientJson(body): LenientJson<DispatchBody>,
) -> Result<Json<DispatchResponse>, ApiError> {
    let mut request = body.request()?;
    // A retry under the same key answers the instance the first request queued.
    let keyed = idempotency::instance_id(&headers, "dispatch", &definition_id)?;
    if let Some(first) = idempotency::first(&state, keyed.as_deref()).await? {
        return Ok(Json(DispatchResponse {
            workflow_instance_id: first.id,
        }));
    }
    request.instance_id = keyed.clone().or_else(|| body.instance_id.clone());
    let outcome = dispatch_one(&state, &definition_id, request).await;
    let id = idempotency::settle(&state, keyed.as_deref(), outcome, |first| first.id).await?;
    Ok(Json(DispatchResponse {
        workflow_instance_id: id,
    }))
}

/// `POST /workflow-definitions/{definitionId}/bulk-dispatch`: `count` instances (default 1).
#[utoipa::path(post, path = "/workflow-definitions/{definition_id}/bulk-dispatch", tag = "workflow-definitions",
    params(("definition_id" = String, Path)),
    request_body(content = DispatchBody),
    responses((status = 200, description = "The instances, Pending until the worker runs them", body = BulkDispatchResponse),
        (status = 400, description = "The body is invalid"),
        (status = 404, description = "No such definition")))]
pub async fn bulk_dispatch(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
    LenientJson(body): LenientJson<DispatchBody>,
) -> Result<Json<BulkDispatchResponse>, ApiError> {
    let count = body.count.unwrap_or(1);
    if count > MAX_BULK_DISPATCH {
        return Err(ApiError::bad_request(format!(
            "'count' must be at most {MAX_BULK_DISPATCH}, got {count}"
        )));
    }
    let requests = (0..count)
        .map(|_| body.request())
        .collect::<Result<Vec<_>, _>>()?;
    let ids = state
        .runtime
        .dispatch_many(&definition_id, requests)
        .await?;
    Ok(Json(BulkDispatchResponse {
        workflow_instance_ids: ids,
    }))
}
