//! Which definitions use another one as an activity (Elsa's workflow reference query), and
//! bringing those references up to a definition's latest version.

use crate::activities::{activity_type_name, usable_as_activity};
use crate::{Runtime, RuntimeError};
use elsa_model::{VersionOptions, WorkflowDefinition, WorkflowDefinitionInput};
use elsa_store::DefinitionFilter;
use serde_json::{Map, Value};
use std::collections::{HashSet, VecDeque};

impl Runtime {
    /// The definitions that use `definition_id` as an activity, directly or through other
    /// consumers (a parent of a parent counts), nearest first. Only the latest and the published
    /// versions of a consumer are looked at: older versions no longer say what it uses.
    pub async fn consumers(&self, definition_id: &str) -> Result<Vec<String>, RuntimeError> {
        let target = self.existing_versions(definition_id).await?;
        let candidates = self.live_versions().await?;
        let mut found = Vec::new();
        let mut seen = HashSet::from([definition_id.to_string()]);
        let mut queue = VecDeque::from([target[0].clone()]);
        while let Some(used) = queue.pop_front() {
            let type_name = usable_as_activity(&used).then(|| activity_type_name(&used));
            for consumer in &candidates {
                if !seen.contains(&consumer.definition_id)
                    && references(&consumer.root, &used.definition_id, type_name.as_deref())
                {
                    seen.insert(consumer.definition_id.clone());
                    found.push(consumer.definition_id.clone());
                    queue.push_back(consumer.clone());
                }
            }
        }
        Ok(found)
    }

    /// Points the direct consumers of `definition_id` at its latest version, as Elsa's
    /// update-references does: each consumer whose latest version names another version of it
    /// gets a new draft naming the latest one. Returns the consumers' new drafts.
    pub async fn update_references(
        &self,
        definition_id: &str,
    ) -> Result<Vec<WorkflowDefinition>, RuntimeError> {
        let target = self
            .definitions
            .find(definition_id, VersionOptions::Latest)
            .await?
            .ok_or_else(|| RuntimeError::DefinitionNotFound(definition_id.to_string()))?;
        let type_name = usable_as_activity(&target).then(|| activity_type_name(&target));
        let mut affected = Vec::new();
        let latest = self
            .definitions
            .list(&DefinitionFilter {
                version_options: Some(VersionOptions::Latest),
                ..Default::default()
            })
            .await?
            .items;
        for consumer in latest {
            if consumer.definition_id == definition_id || consumer.is_readonly {
                continue;
            }
            let mut root = consumer.root.clone();
            if !repoint(&mut root, &target, type_name.as_deref()) {
                continue;
            }
            let input = WorkflowDefinitionInput {
                definition_id: Some(consumer.definition_id.clone()),
                root: Some(root),
                ..Default::default()
            };
            affected.push(self.save_definition(input, false).await?.definition);
        }
        Ok(affected)
    }

    /// The latest and target versions of every definition.
    async fn live_versions(&self) -> Result<Vec<WorkflowDefinition>, RuntimeError> {
        Ok(self
            .definitions
            .list(&DefinitionFilter {
                version_options: Some(VersionOptions::LatestOrPublished),
                ..Default::default()
            })
            .await?
            .items)
    }
}

/// Whether an activity object uses the definition: it names it in `workflowDefinitionId`, or
/// its type is the definition's activity type.
fn uses(object: &Map<String, Value>, definition_id: &str, type_name: Option<&str>) -> bool {
    let names_it = object
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("workflowDefinitionId") && v == definition_id);
    let typed = type_name.is_some_and(|t| object.get("type").and_then(Value::as_str) == Some(t));
    names_it || typed
}

/// Whether anything in an activity tree uses the definition.
fn references(value: &Value, definition_id: &str, type_name: Option<&str>) -> bool {
    match value {
        Value::Object(object) => {
            uses(object, definition_id, type_name)
                || object
                    .values()
                    .any(|v| references(v, definition_id, type_name))
        }
        Value::Array(items) => items
            .iter()
            .any(|v| references(v, definition_id, type_name)),
        _ => false,
    }
}

/// Rewrites the version fields of every activity using `target` to name it; true when
/// anything changed.
fn repoint(value: &mut Value, target: &WorkflowDefinition, type_name: Option<&str>) -> bool {
    match value {
        Value::Object(object) => {
            let mut changed = false;
            if uses(object, &target.definition_id, type_name)
                && object.get("version").and_then(Value::as_i64) != Some(target.version.into())
            {
                object.insert("version".into(), target.version.into());
                object.insert(
                    "workflowDefinitionVersionId".into(),
                    target.id.clone().into(),
                );
                if target.is_published {
                    object.insert(
                        "latestAvailablePublishedVersion".into(),
                        target.version.into(),
                    );
                    object.insert(
                        "latestAvailablePublishedVersionId".into(),
                        target.id.clone().into(),
                    );
                }
                changed = true;
            }
            for v in object.values_mut() {
                changed |= repoint(v, target, type_name);
            }
            changed
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| repoint(v, target, type_name) | changed),
        _ => false,
    }
}
