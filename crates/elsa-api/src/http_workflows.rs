//! HTTP workflows under `/workflows/...` (Elsa's `HttpWorkflowsMiddleware`, elsa-api.md §2.9):
//! the request goes to the runtime, which starts or resumes the matching workflow; the answer
//! is what `Elsa.WriteHttpResponse` wrote, 200 with an empty body when nothing was written and
//! 500 (empty) when the run faulted without writing. Anonymous unless the endpoint asks for a
//! caller (`authorize`: 401 without valid credentials) or a permission (`policy`: 403 without
//! it).

use crate::AppState;
use crate::identity::{ClientAddr, SharedIdentity};
use crate::problem::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use elsa_model::WorkflowSubStatus;
use elsa_runtime::{HttpOutcome, HttpRequest, WrittenResponse};
use serde_json::{Value, json};

/// Where HTTP workflows are served (Elsa's default `HttpActivityOptions.BasePath`).
pub const BASE_PATH: &str = "/workflows";

/// Any method on `/workflows` and below.
pub async fn handle(
    State(state): State<AppState>,
    Extension(identity): Extension<SharedIdentity>,
    client: ClientAddr,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = identity.caller(client, authorization).await;
    let request = HttpRequest {
        method: method.as_str().to_owned(),
        path: uri
            .path()
            .strip_prefix(BASE_PATH)
            .unwrap_or_default()
            .to_owned(),
        query: form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        headers: headers
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.to_vec(),
        caller,
    };
    Ok(match state.runtime.handle_http(&request).await? {
        HttpOutcome::NotFound => StatusCode::NOT_FOUND.into_response(),
        HttpOutcome::Ambiguous(definition_ids) => {
            let workflows: Vec<Value> = definition_ids
                .iter()
                .map(|id| json!({ "workflowDefinitionId": id }))
                .collect();
            let body = json!({
                "errorMessage": "The call is ambiguous and matches multiple workflows.",
                "workflows": workflows,
            });
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
        }
        HttpOutcome::BadContent(message) => ApiError::bad_request(message).into_response(),
        HttpOutcome::Unauthorized => ApiError::unauthorized(
            "this endpoint requires an authenticated caller; send 'Authorization: Bearer <access token>' or 'Authorization: ApiKey <key>'",
        )
        .into_response(),
        HttpOutcome::Forbidden(policy) => {
            ApiError::forbidden(format!("this endpoint requires the permission '{policy}'"))
                .into_response()
        }
        HttpOutcome::Ran {
            response: Some(written),
            ..
        } => written_response(written),
        HttpOutcome::Ran { instance, .. } if instance.sub_status == WorkflowSubStatus::Faulted => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response
                .extensions_mut()
                .insert(crate::FaultedWorkflow(instance.id));
            response
        }
        HttpOutcome::Ran { .. } => StatusCode::OK.into_response(),
    })
}

/// The response `Elsa.WriteHttpResponse` described. Without a content type, text is sent as
/// `text/plain` and anything else as JSON, as Elsa's content factories do.
fn written_response(written: WrittenResponse) -> Response {
    let status = StatusCode::from_u16(written.status_code).unwrap_or(StatusCode::OK);
    let (bytes, default_type) = match &written.content {
        Value::Null => (Vec::new(), None),
        Value::String(text) => (text.as_bytes().to_vec(), Some("text/plain; charset=utf-8")),
        other => (
            serde_json::to_vec(other).unwrap_or_default(),
            Some("application/json; charset=utf-8"),
        ),
    };
    let mut response = (status, Body::from(bytes)).into_response();
    let headers = response.headers_mut();
    for (name, value) in &written.headers {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        let values = match value {
            Value::Array(values) => values.clone(),
            one => vec![one.clone()],
        };
        for value in values {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            if let Ok(value) = HeaderValue::from_str(&text) {
                headers.append(name.clone(), value);
            }
        }
    }
    let content_type = written.content_type.as_deref().or(default_type);
    if let Some(value) = content_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    response
}
