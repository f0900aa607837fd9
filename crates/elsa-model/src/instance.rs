use crate::{Bookmark, WorkflowStatus, WorkflowSubStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A workflow instance as Elsa's `WorkflowInstanceModel` shows it, with its full state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkflowInstance {
    pub id: String,
    pub definition_id: String,
    pub definition_version_id: String,
    pub version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_workflow_instance_id: Option<String>,
    pub status: WorkflowStatus,
    pub sub_status: WorkflowSubStatus,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub is_executing: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub incident_count: i32,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub workflow_state: WorkflowState,
}

impl WorkflowInstance {
    /// Builds the instance row from a state, deriving the summary columns from it.
    pub fn from_state(state: WorkflowState, is_system: bool) -> Self {
        let finished_at = (state.status == WorkflowStatus::Finished).then_some(state.updated_at);
        Self {
            id: state.id.clone(),
            definition_id: state.definition_id.clone(),
            definition_version_id: state.definition_version_id.clone(),
            version: state.definition_version,
            parent_workflow_instance_id: state.parent_workflow_instance_id.clone(),
            status: state.status,
            sub_status: state.sub_status,
            is_executing: state.is_executing,
            correlation_id: state.correlation_id.clone(),
            name: state.name.clone(),
            incident_count: state.incidents.len() as i32,
            is_system,
            created_at: state.created_at,
            updated_at: state.updated_at,
            finished_at,
            workflow_state: state,
        }
    }
}

/// Elsa's `WorkflowState`: everything needed to resume an instance.
///
/// The engine owns the meaning of `activityExecutionContexts`, `completionCallbacks` and
/// `scheduledActivities`; other layers treat them as opaque JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkflowState {
    pub id: String,
    pub definition_id: String,
    pub definition_version_id: String,
    pub definition_version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_workflow_instance_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: WorkflowStatus,
    pub sub_status: WorkflowSubStatus,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub is_executing: bool,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub is_system: bool,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub bookmarks: Vec<Bookmark>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub incidents: Vec<Incident>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub completion_callbacks: Vec<Value>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub activity_execution_contexts: Vec<Value>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub scheduled_activities: Vec<Value>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub execution_log_sequence: i64,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub input: Map<String, Value>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub output: Map<String, Value>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub properties: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// A fault recorded against an activity (Elsa's `ActivityIncident`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    pub activity_id: String,
    pub activity_node_id: String,
    pub activity_instance_id: String,
    pub activity_type: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<ExceptionState>,
    pub timestamp: DateTime<Utc>,
}

/// Elsa's `ExceptionState`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExceptionState {
    #[serde(rename = "type")]
    pub type_name: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_trace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // A reference to itself: without this, collecting the schemas recurses forever.
    #[cfg_attr(feature = "schema", schema(no_recursion))]
    pub inner_exception: Option<Box<ExceptionState>>,
}

/// The list view of an instance (Elsa's `WorkflowInstanceSummary`): no state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkflowInstanceSummary {
    pub id: String,
    pub definition_id: String,
    pub definition_version_id: String,
    pub version: i32,
    pub status: WorkflowStatus,
    pub sub_status: WorkflowSubStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub incident_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}
