//! Effects: what a run asks the runtime to do, since the engine itself does no I/O. They are
//! returned in [`crate::RunResult::effects`] in the order activities produced them.

use serde_json::{Map, Value};

/// Resume-input key of an HTTP response: `{"statusCode": 200, "headers": {..}, "content": ..}`
/// (`content` parsed JSON when it is JSON, else text).
pub const HTTP_RESPONSE_INPUT: &str = "HttpResponse";
/// Resume-input key of a failed HTTP request: `"FailedToConnect"` or `"Timeout"`.
pub const HTTP_FAILURE_INPUT: &str = "HttpFailure";
/// Resume-input key of an HTTP request that faults its activity, as an exception escaping
/// Elsa's `SendHttpRequestBase` does (a request it cannot build, a JSON response that does not
/// parse): `{"type": "FormatException", "message": ".."}`.
pub const HTTP_FAULT_INPUT: &str = "HttpFault";
/// Resume-input key of a completed task's result (`POST /tasks/{taskId}/complete`).
pub const RUN_TASK_INPUT: &str = "RunTaskInput";
/// Resume-input key of a child workflow's result: `{"workflowInstanceId", "status",
/// "subStatus", "output"}` (Elsa's `ExecuteWorkflowResult`).
pub const CHILD_WORKFLOW_RESULT_INPUT: &str = "ChildWorkflowResult";

/// One request to the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// `Elsa.Log`: a structured log entry for the runtime's logger.
    Log {
        level: LogLevel,
        category: String,
        message: String,
        /// Values for the message template's placeholders, as given.
        arguments: Value,
    },
    /// `Elsa.WriteHttpResponse`: the response to the HTTP request that started or resumed this
    /// run. The runtime answers the request with the first one; a run no request caused (an
    /// execute over REST) has nobody to answer, and it is dropped.
    HttpResponse {
        status_code: u16,
        content: Value,
        content_type: Option<String>,
        headers: Map<String, Value>,
    },
    /// `Elsa.SendHttpRequest`, `Elsa.FlowSendHttpRequest`: send a request, then resume
    /// `bookmark_id` with [`HTTP_RESPONSE_INPUT`], [`HTTP_FAILURE_INPUT`] or
    /// [`HTTP_FAULT_INPUT`].
    HttpRequest {
        bookmark_id: String,
        method: String,
        url: String,
        content: Value,
        /// `None` when the input is null: Elsa then sends no body at all. A blank type sends
        /// the content as JSON.
        content_type: Option<String>,
        authorization: Option<String>,
        /// `DisableAuthorizationHeaderValidation`: send `authorization` without checking that
        /// it is `scheme [parameter]`.
        disable_authorization_header_validation: bool,
        headers: Map<String, Value>,
    },
    /// `Elsa.PublishEvent`: deliver an event in the background, as if published over the
    /// API — to this instance only when `instance_id` is set (a local event), else to every
    /// waiting instance and every workflow it starts.
    PublishEvent {
        event_name: String,
        correlation_id: Option<String>,
        instance_id: Option<String>,
        payload: Value,
    },
    /// `Elsa.DispatchWorkflow`, `Elsa.ExecuteWorkflow`: start instance `instance_id` of the
    /// published definition. With `resume_bookmark_id`, resume it with
    /// [`CHILD_WORKFLOW_RESULT_INPUT`] — when the child finishes if `wait_for_completion`,
    /// else as soon as its first run ends.
    StartWorkflow {
        definition_id: String,
        instance_id: String,
        correlation_id: Option<String>,
        input: Map<String, Value>,
        parent_instance_id: String,
        /// The child's `workflowState.properties` (run properties): for `ExecuteWorkflow`,
        /// `ParentInstanceId` and `WaitForCompletion` when the parent waits for it.
        properties: Map<String, Value>,
        /// Dispatch: on a background worker; else inline, before the parent continues.
        background: bool,
        resume_bookmark_id: Option<String>,
        wait_for_completion: bool,
    },
}

/// .NET's `LogLevel`, which `Elsa.Log` takes by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Trace,
    Debug,
    Information,
    Warning,
    Error,
    Critical,
}

impl LogLevel {
    /// Parses a level name (case-insensitive); unknown names are `Information`, Elsa's default.
    pub fn parse(name: &str) -> Self {
        match name.trim().to_ascii_lowercase().as_str() {
            "trace" => Self::Trace,
            "debug" => Self::Debug,
            "warning" => Self::Warning,
            "error" => Self::Error,
            "critical" => Self::Critical,
            _ => Self::Information,
        }
    }
}
