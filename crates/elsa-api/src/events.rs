//! Events and tasks: `POST /events/{eventName}/trigger` starts every workflow an
//! `Elsa.Event` trigger for that name starts and resumes every instance waiting in one;
//! `GET /events/trigger?t=` does the same for the event a server-minted token names
//! (anonymous); `POST /tasks/{taskId}/complete` completes an `Elsa.RunTask`.

use crate::AppState;
use crate::bookmarks::token;
use crate::json::{LenientJson, Query};
use crate::problem::ApiError;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use elsa_runtime::{EventDelivery, EventTarget};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::schema::Schema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The authenticated event and task routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(trigger))
        .routes(routes!(complete_task))
}

/// The token route (anonymous).
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(trigger_with_token))
}

/// Which waiting instances the event is for, its input, and how to deliver it.
#[derive(Deserialize, Serialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TriggerBody {
    correlation_id: Option<String>,
    workflow_instance_id: Option<String>,
    activity_instance_id: Option<String>,
    /// The event's payload: free-form values by name.
    input: Option<Map<String, Value>>,
    #[schema(schema_with = execution_mode_schema)]
    workflow_execution_mode: Option<Value>,
}

fn execution_mode_schema() -> Schema {
    crate::openapi::name_or_number(
        "Asynchronous (default: queued) or Synchronous (run in the request), or 1, 0",
    )
}

/// `POST /events/{eventName}/trigger` with `{correlationId?, workflowInstanceId?,
/// activityInstanceId?, input?, workflowExecutionMode?}`. `Asynchronous` (Elsa's default)
/// queues the event and answers at once; `Synchronous` answers after the started and resumed
/// instances ran. 200 either way, also when nothing waits for the event (as Elsa).
#[utoipa::path(post, path = "/events/{event_name}/trigger", tag = "events",
    params(("event_name" = String, Path)),
    request_body(content = TriggerBody),
    responses((status = 200, description = "Published"),
        (status = 400, description = "The body is invalid")))]
pub async fn trigger(
    State(state): State<AppState>,
    Path(event_name): Path<String>,
    LenientJson(body): LenientJson<TriggerBody>,
) -> Result<StatusCode, ApiError> {
    let delivery = match &body.workflow_execution_mode {
        None | Some(Value::Null) => EventDelivery::Asynchronous,
        Some(Value::String(mode)) if mode.eq_ignore_ascii_case("Asynchronous") => {
            EventDelivery::Asynchronous
        }
        Some(Value::String(mode)) if mode.eq_ignore_ascii_case("Synchronous") => {
            EventDelivery::Synchronous
        }
        // Elsa's enum numbers: Synchronous = 0, Asynchronous = 1.
        Some(Value::Number(n)) if n.as_u64() == Some(0) => EventDelivery::Synchronous,
        Some(Value::Number(n)) if n.as_u64() == Some(1) => EventDelivery::Asynchronous,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "'workflowExecutionMode' must be Asynchronous or Synchronous, got {other}"
            )));
        }
    };
    let target = EventTarget {
        correlation_id: body.correlation_id,
        workflow_instance_id: body.workflow_instance_id,
        activity_instance_id: body.activity_instance_id,
    };
    state
        .runtime
        .publish_event(&event_name, &target, body.input, delivery)
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

/// `{result}`: what the task produced (free-form), the `RunTask` activity's output.
#[derive(Deserialize, Serialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CompleteTaskBody {
    result: Value,
}

/// `POST /tasks/{taskId}/complete` with `{result}`: resumes the `Elsa.RunTask` waiting for
/// the task, with `result` as its `Result`, in the background (as Elsa). 200 also when no
/// task of that id waits.
#[utoipa::path(post, path = "/tasks/{task_id}/complete", tag = "tasks",
    params(("task_id" = String, Path)),
    request_body(content = CompleteTaskBody),
    responses((status = 200, description = "Reported"),
        (status = 400, description = "The body is invalid")))]
pub async fn complete_task(
    State(state): State<AppState>,
    Path(task_id): Path<String>,
    LenientJson(body): LenientJson<CompleteTaskBody>,
) -> Result<StatusCode, ApiError> {
    state.runtime.complete_task(&task_id, body.result).await?;
    Ok(StatusCode::OK)
}
