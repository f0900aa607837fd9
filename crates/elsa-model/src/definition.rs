use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// One stored version of a workflow definition (Elsa's `WorkflowDefinition` entity and
/// `WorkflowDefinitionModel`). The activity tree is kept as the JSON the client sent, so that
/// designer metadata and unknown properties round-trip untouched; the engine parses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkflowDefinition {
    pub id: String,
    pub definition_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub variables: Vec<Value>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub inputs: Vec<Value>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub outputs: Vec<Value>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub outcomes: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub custom_properties: Map<String, Value>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub is_readonly: bool,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub is_system: bool,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub is_latest: bool,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub is_published: bool,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub options: Map<String, Value>,
    pub root: Value,
}

/// Which versions of a definition a request means (Elsa's `VersionOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionOptions {
    #[default]
    Latest,
    Published,
    LatestOrPublished,
    LatestAndPublished,
    Draft,
    AllVersions,
    Specific(i32),
}

impl VersionOptions {
    /// Whether a stored version is selected by these options.
    pub fn matches(self, is_latest: bool, is_published: bool, version: i32) -> bool {
        match self {
            Self::Latest => is_latest,
            Self::Published => is_published,
            Self::LatestOrPublished => is_latest || is_published,
            Self::LatestAndPublished => is_latest && is_published,
            Self::Draft => !is_published,
            Self::AllVersions => true,
            Self::Specific(v) => version == v,
        }
    }
}

impl FromStr for VersionOptions {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let named = [
            ("Latest", Self::Latest),
            ("Published", Self::Published),
            ("LatestOrPublished", Self::LatestOrPublished),
            ("LatestAndPublished", Self::LatestAndPublished),
            ("Draft", Self::Draft),
            ("AllVersions", Self::AllVersions),
        ];
        if let Some((_, v)) = named.iter().find(|(n, _)| n.eq_ignore_ascii_case(t)) {
            return Ok(*v);
        }
        t.parse::<i32>().map(Self::Specific).map_err(|_| {
            format!(
                "'{s}' is not a valid versionOptions value; use Latest, Published, LatestOrPublished, LatestAndPublished, Draft, AllVersions or a version number"
            )
        })
    }
}

impl fmt::Display for VersionOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Latest => f.write_str("Latest"),
            Self::Published => f.write_str("Published"),
            Self::LatestOrPublished => f.write_str("LatestOrPublished"),
            Self::LatestAndPublished => f.write_str("LatestAndPublished"),
            Self::Draft => f.write_str("Draft"),
            Self::AllVersions => f.write_str("AllVersions"),
            Self::Specific(v) => write!(f, "{v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_options_parse_and_filter() {
        assert_eq!(
            "latestorpublished".parse::<VersionOptions>().unwrap(),
            VersionOptions::LatestOrPublished
        );
        assert_eq!(
            "3".parse::<VersionOptions>().unwrap(),
            VersionOptions::Specific(3)
        );
        assert!("newest".parse::<VersionOptions>().is_err());
        assert!(VersionOptions::Draft.matches(true, false, 1));
        assert!(!VersionOptions::LatestAndPublished.matches(true, false, 1));
    }
}

/// A definition as a client sends it to be saved (`WorkflowDefinitionModel` on input): the
/// server decides ids, version and flags, so every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct WorkflowDefinitionInput {
    pub id: Option<String>,
    pub definition_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub tool_version: Option<String>,
    pub variables: Option<Vec<Value>>,
    pub inputs: Option<Vec<Value>>,
    pub outputs: Option<Vec<Value>>,
    pub outcomes: Option<Vec<String>>,
    pub custom_properties: Option<Map<String, Value>>,
    pub options: Option<Map<String, Value>>,
    pub is_readonly: Option<bool>,
    pub is_system: Option<bool>,
    pub root: Option<Value>,
    /// The short form `{"activities": [...]}` without a root: run as a sequence.
    pub activities: Option<Vec<Value>>,
}

impl WorkflowDefinitionInput {
    /// The root activity: `root` if given, else the top-level `activities` as an `Elsa.Sequence`,
    /// else an empty `Elsa.Sequence` (what Elsa stores for a definition without a root).
    pub fn root_activity(&self) -> Value {
        if let Some(root) = self.root.clone().filter(|r| !r.is_null()) {
            return root;
        }
        serde_json::json!({
            "type": "Elsa.Sequence",
            "version": 1,
            "id": "Sequence1",
            "activities": self.activities.clone().unwrap_or_default(),
        })
    }
}
