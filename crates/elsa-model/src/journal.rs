use chrono::{DateTime, Utc};
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
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkflowExecutionLogRecord {
    pub id: String,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub workflow_definition_id: Arc<str>,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub workflow_definition_version_id: Arc<str>,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub workflow_instance_id: Arc<str>,
    pub workflow_version: i32,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub activity_instance_id: Arc<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub parent_activity_instance_id: Option<Arc<str>>,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub activity_id: Arc<str>,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub activity_type: Arc<str>,
    pub activity_type_version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub activity_name: Option<Arc<str>>,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub activity_node_id: Arc<str>,
    pub timestamp: DateTime<Utc>,
    pub sequence: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
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
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ActivityExecutionRecord {
    pub id: String,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub workflow_instance_id: Arc<str>,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub activity_id: Arc<str>,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub activity_node_id: Arc<str>,
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub activity_type: Arc<str>,
    pub activity_type_version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub activity_name: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_state: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<Value>,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub has_bookmarks: bool,
    /// `Running`, `Completed`, `Canceled` or `Faulted`, as Elsa's `ActivityStatus`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
}
