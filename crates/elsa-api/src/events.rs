//! Events: `POST /events/{eventName}/trigger` resumes every instance waiting in an
//! `Elsa.Event` activity for that name; `GET /events/trigger?t=` does the same for the event
//! a server-minted token names (anonymous).

use crate::AppState;
use crate::bookmarks::token;
use crate::json::{LenientJson, Query};
use crate::problem::ApiError;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use elsa_runtime::EventTarget;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The authenticated event route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(trigger))
}

/// The token route (anonymous).
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(trigger_with_token))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TriggerBody {
    correlation_id: Option<String>,
    workflow_instance_id: Option<String>,
    activity_instance_id: Option<String>,
    input: Option<Map<String, Value>>,
    workflow_execution_mode: Option<Value>,
}

/// `POST /events/{eventName}/trigger` with `{correlationId?, workflowInstanceId?,
/// activityInstanceId?, input?, workflowExecutionMode?}`. Both execution modes run the
/// resumed instances before answering.
#[utoipa::path(post, path = "/events/{event_name}/trigger", tag = "events",
    params(("event_name" = String, Path)),
    request_body(content = Object, description = "`{correlationId?, workflowInstanceId?, activityInstanceId?, input?, workflowExecutionMode?}`"),
    responses((status = 200, description = "Published"),
        (status = 400, description = "The body is invalid")))]
pub async fn trigger(
    State(state): State<AppState>,
    Path(event_name): Path<String>,
    LenientJson(body): LenientJson<TriggerBody>,
) -> Result<StatusCode, ApiError> {
    match &body.workflow_execution_mode {
        None | Some(Value::Null) => {}
        Some(Value::String(mode))
            if ["Asynchronous", "Synchronous"]
                .iter()
                .any(|m| m.eq_ignore_ascii_case(mode)) => {}
        Some(Value::Number(n)) if matches!(n.as_u64(), Some(0 | 1)) => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "'workflowExecutionMode' must be Asynchronous or Synchronous, got {other}"
            )));
        }
    }
    let target = EventTarget {
        correlation_id: body.correlation_id,
        workflow_instance_id: body.workflow_instance_id,
        activity_instance_id: body.activity_instance_id,
    };
    state
        .runtime
        .publish_event(&event_name, &target, body.input)
        .await?;
    Ok(StatusCode::OK)
}

/// `GET /events/trigger?t=`.
#[utoipa::path(get, path = "/events/trigger", tag = "events",
    params(("t" = String, Query, description = "The token")),
    responses((status = 200, description = "Published"),
        (status = 400, description = "The token is invalid")))]
pub async fn trigger_with_token(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode, ApiError> {
    let q = Query::parse(raw.as_deref());
    state.runtime.trigger_with_token(token(&q)?).await?;
    Ok(StatusCode::OK)
}
