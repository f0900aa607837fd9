use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A point where a suspended workflow instance waits for a stimulus (Elsa's `Bookmark`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Bookmark {
    pub id: String,
    /// The stimulus name, e.g. `Elsa.Event`.
    pub name: String,
    pub hash: String,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub payload: Value,
    pub activity_id: String,
    pub activity_node_id: String,
    pub activity_instance_id: String,
    pub created_at: DateTime<Utc>,
    #[serde(default = "yes")]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub auto_burn: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_method_name: Option<String>,
    #[serde(default = "yes")]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub auto_complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

fn yes() -> bool {
    true
}
