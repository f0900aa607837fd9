//! Acting on existing instances from outside a run: cancelling them, and reading and writing
//! their workflow variables.

use crate::{Runtime, RuntimeError};
use elsa_model::{WorkflowInstance, WorkflowStatus};
use elsa_store::InstanceCommit;
use serde_json::{Map, Value};

/// The persisted state key the engine keeps a context's variables under, by variable id.
const VARIABLES: &str = "Variables";

/// A workflow variable and its current value (Elsa's `ResolvedVariable`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedVariable {
    pub id: String,
    pub name: String,
    pub value: Value,
}

impl Runtime {
    /// Cancels an instance through the engine and commits the result under the instance's
    /// version (a concurrent change makes this a conflict). An instance that already finished
    /// is left as it is: returns false.
    pub async fn cancel(&self, instance_id: &str) -> Result<bool, RuntimeError> {
        let (instance, version) = self.stored_instance(instance_id).await?;
        if instance.status == WorkflowStatus::Finished {
            return Ok(false);
        }
        let loaded = self.loaded_version(&instance).await?;
        let result = self.engine.cancel(
            &loaded.workflow,
            &instance.workflow_state,
            self.clock.as_ref(),
            self.ids.as_ref(),
        )?;
        self.commit_run(&loaded, result, Some(version)).await?;
        Ok(true)
    }

    /// The instance's persisted workflow variables (those declared on the definition with a
    /// storage driver), with their values; a variable without a stored value is `null`.
    pub async fn variables(
        &self,
        instance_id: &str,
    ) -> Result<Vec<ResolvedVariable>, RuntimeError> {
        let (instance, _) = self.stored_instance(instance_id).await?;
        self.resolve_variables(&instance).await
    }

    /// Sets workflow variables by id (unknown ids are ignored, as Elsa does) and commits the
    /// state under the instance's version; returns the variables as they are now.
    pub async fn set_variables(
        &self,
        instance_id: &str,
        values: &Map<String, Value>,
    ) -> Result<Vec<ResolvedVariable>, RuntimeError> {
        let (mut instance, version) = self.stored_instance(instance_id).await?;
        let declared = self.declared_variables(&instance).await?;
        let changes: Vec<(&String, &Value)> = values
            .iter()
            .filter(|(id, _)| declared.iter().any(|(d, _)| d == *id))
            .collect();
        if !changes.is_empty() {
            let Some(root) =
                workflow_context(&mut instance.workflow_state.activity_execution_contexts)
            else {
                // A finished instance has no contexts left to hold variables.
                return self.resolve_variables(&instance).await;
            };
            let properties = entry_object(root, "properties");
            let stored = entry_object(properties, VARIABLES);
            for (id, value) in changes {
                stored.insert(id.clone(), value.clone());
            }
            instance.workflow_state.updated_at = self.clock.now();
            instance.updated_at = instance.workflow_state.updated_at;
            let bookmarks = instance.workflow_state.bookmarks.clone();
            self.instances
                .commit(InstanceCommit {
                    instance: &instance,
                    expected_version: Some(version),
                    bookmarks: &bookmarks,
                    journal: &[],
                    activity_records: &[],
                })
                .await?;
        }
        self.resolve_variables(&instance).await
    }

    async fn resolve_variables(
        &self,
        instance: &WorkflowInstance,
    ) -> Result<Vec<ResolvedVariable>, RuntimeError> {
        let stored: Map<String, Value> = instance
            .workflow_state
            .activity_execution_contexts
            .iter()
            .filter_map(|c| c.get("properties")?.get(VARIABLES)?.as_object())
            .flat_map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())))
            .collect();
        Ok(self
            .declared_variables(instance)
            .await?
            .into_iter()
            .map(|(id, name)| ResolvedVariable {
                value: stored.get(&id).cloned().unwrap_or(Value::Null),
                id,
                name,
            })
            .collect())
    }

    /// `(id, name)` of the definition's variables that outlive a burst (have a storage driver).
    async fn declared_variables(
        &self,
        instance: &WorkflowInstance,
    ) -> Result<Vec<(String, String)>, RuntimeError> {
        let definition = self
            .definitions
            .get(&instance.definition_version_id)
            .await?
            .ok_or_else(|| {
                RuntimeError::DefinitionNotFound(instance.definition_version_id.clone())
            })?;
        Ok(definition
            .variables
            .iter()
            .filter(|v| {
                v.get("storageDriverTypeName")
                    .and_then(Value::as_str)
                    .is_some_and(|d| !d.is_empty())
            })
            .filter_map(|v| {
                let name = v.get("name")?.as_str()?.to_owned();
                let id = v
                    .get("id")
                    .and_then(Value::as_str)
                    .map_or_else(|| name.clone(), str::to_owned);
                Some((id, name))
            })
            .collect())
    }

    pub(crate) async fn stored_instance(
        &self,
        instance_id: &str,
    ) -> Result<(WorkflowInstance, i64), RuntimeError> {
        self.instances
            .get(instance_id)
            .await?
            .ok_or_else(|| RuntimeError::InstanceNotFound(instance_id.to_owned()))
    }
}

/// The context of the workflow itself: the one without a parent.
fn workflow_context(contexts: &mut [Value]) -> Option<&mut Map<String, Value>> {
    contexts
        .iter_mut()
        .filter_map(Value::as_object_mut)
        .find(|c| c.get("parentContextId").is_none_or(Value::is_null))
}

fn entry_object<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = map
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("just made an object")
}
