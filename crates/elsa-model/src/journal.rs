use crate::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One journal entry of a workflow instance (Elsa's `WorkflowExecutionLogRecord`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowExecutionLogRecord {
    pub id: String,
    pub workflow_definition_id: String,
    pub workflow_definition_version_id: String,
    pub workflow_instance_id: String,
    pub workflow_version: i32,
    pub activity_instance_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_activity_instance_id: Option<String>,
    pub activity_id: String,
    pub activity_type: String,
    pub activity_type_version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_name: Option<String>,
    pub activity_node_id: String,
    pub timestamp: Timestamp,
    pub sequence: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
}

/// One execution of one activity (Elsa's `ActivityExecutionRecord`), updated when it completes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityExecutionRecord {
    pub id: String,
    pub workflow_instance_id: String,
    pub activity_id: String,
    pub activity_node_id: String,
    pub activity_type: String,
    pub activity_type_version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_state: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<Value>,
    pub started_at: Timestamp,
    #[serde(default)]
    pub has_bookmarks: bool,
    /// `Running`, `Completed`, `Canceled` or `Faulted`, as Elsa's `ActivityStatus`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
}
