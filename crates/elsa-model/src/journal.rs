use crate::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// One journal entry of a workflow instance (Elsa's `WorkflowExecutionLogRecord`).
///
/// The fields every entry of a run repeats (definition, instance, activity) are shared
/// `Arc<str>`s rather than copies: a run holds all its entries and records until its commit,
/// up to the per-run budgets (tens of thousands), and a copy of each string per entry was most
/// of that memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowExecutionLogRecord {
    pub id: String,
    pub workflow_definition_id: Arc<str>,
    pub workflow_definition_version_id: Arc<str>,
    pub workflow_instance_id: Arc<str>,
    pub workflow_version: i32,
    pub activity_instance_id: Arc<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_activity_instance_id: Option<Arc<str>>,
    pub activity_id: Arc<str>,
    pub activity_type: Arc<str>,
    pub activity_type_version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_name: Option<Arc<str>>,
    pub activity_node_id: Arc<str>,
    pub timestamp: Timestamp,
    pub sequence: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<Cow<'static, str>>,
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
    pub workflow_instance_id: Arc<str>,
    pub activity_id: Arc<str>,
    pub activity_node_id: Arc<str>,
    pub activity_type: Arc<str>,
    pub activity_type_version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_name: Option<Arc<str>>,
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
