//! Instances from outside a run: dispatching one (queued, to run in the background),
//! importing and deleting them, reading and writing their workflow variables. Together with
//! `execution`, the only code that writes instances.

use crate::execution::{ExecuteRequest, pending_state, timers};
use crate::work::{StartWork, Work, derived_id};
use crate::{Runtime, RuntimeError};
use elsa_model::{
    ActivityExecutionRecord, VersionOptions, WorkflowExecutionLogRecord, WorkflowInstance,
    WorkflowState,
};
use elsa_store::InstanceCommit;
use serde_json::{Map, Value};

/// An instance read from an export file, with what the file carried of its history.
#[derive(Debug, Clone)]
pub struct ImportedInstance {
    pub state: WorkflowState,
    pub journal: Vec<WorkflowExecutionLogRecord>,
    pub activity_records: Vec<ActivityExecutionRecord>,
}

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
    /// Queues a run of a stored definition (default: its published version) and returns the
    /// new instance's id. The instance exists before this returns — Pending, with its run
    /// queued in the same transaction — so a crash right after still runs it.
    pub async fn dispatch(
        &self,
        definition_id: &str,
        request: ExecuteRequest,
    ) -> Result<String, RuntimeError> {
        let mut ids = self.dispatch_many(definition_id, vec![request]).await?;
        Ok(ids.remove(0))
    }

    /// [`Runtime::dispatch`] of several runs of one definition, in one transaction (bulk
    /// dispatch): all are stored and queued, or none. Returns their ids in order.
    pub async fn dispatch_many(
        &self,
        definition_id: &str,
        requests: Vec<ExecuteRequest>,
    ) -> Result<Vec<String>, RuntimeError> {
        let Some(first) = requests.first() else {
            return Ok(Vec::new());
        };
        let options = first.version_options.unwrap_or(VersionOptions::Published);
        let definition = self
            .definitions
            .find(definition_id, options)
            .await?
            .ok_or_else(|| RuntimeError::DefinitionNotFound(definition_id.to_string()))?;
        let now = self.clock.now();
        let mut pending = Vec::with_capacity(requests.len());
        for request in requests {
            let given = request
                .instance_id
                .clone()
                .filter(|id| !id.trim().is_empty());
            if let Some(id) = &given
                && self.instances.get(id).await?.is_some()
            {
                return Err(RuntimeError::InstanceExists(id.clone()));
            }
            let instance_id = given.unwrap_or_else(|| self.ids.new_id());
            let state = pending_state(&definition, &instance_id, &request, now);
            let work = Work::Start(StartWork {
                instance_id: instance_id.clone(),
                definition_id: definition.definition_id.clone(),
                definition_version_id: Some(definition.id.clone()),
                correlation_id: request.correlation_id,
                name: request.name,
                input: request.input,
                properties: request.properties,
                trigger_activity_id: request.trigger_activity_id,
                trigger_input: request.trigger_input,
                parent: None,
                pending: true,
                trigger_id: None,
            });
            let row = work.row(derived_id(&["start", &instance_id]), now, None);
            let instance = WorkflowInstance::from_state(state, definition.is_system);
            pending.push((instance, row));
        }
        let commits: Vec<InstanceCommit<'_>> = pending
            .iter()
            .map(|(instance, row)| InstanceCommit {
                instance,
                expected_version: None,
                bookmarks: &[],
                journal: &[],
                activity_records: &[],
                work: std::slice::from_ref(row),
                done_work: &[],
                fence: None,
            })
            .collect();
        self.instances.commit_all(&commits).await?;
        self.wake_worker();
        Ok(pending
            .into_iter()
            .map(|(instance, _)| instance.id)
            .collect())
    }

    /// Stores an instance read from an export file. A new one comes with its journal and
    /// records; one that exists already gets the imported state and bookmarks (its journal and
    /// records stay). Its timers are scheduled like those of a run.
    pub async fn import_instance(&self, imported: ImportedInstance) -> Result<(), RuntimeError> {
        let instance = WorkflowInstance::from_state(imported.state, false);
        let existing = self.instances.get(&instance.id).await?;
        let previous = existing
            .as_ref()
            .map(|(stored, _)| stored.workflow_state.bookmarks.clone())
            .unwrap_or_default();
        let bookmarks = instance.workflow_state.bookmarks.clone();
        let (work, cancelled) = timers(&instance.id, &previous, &bookmarks);
        let fresh = existing.is_none();
        self.instances
            .commit(InstanceCommit {
                instance: &instance,
                expected_version: existing.map(|(_, version)| version),
                bookmarks: &bookmarks,
                journal: if fresh { &imported.journal } else { &[] },
                activity_records: if fresh {
                    &imported.activity_records
                } else {
                    &[]
                },
                work: &work,
                done_work: &cancelled,
                fence: None,
            })
            .await?;
        self.wake_worker();
        Ok(())
    }

    /// Deletes instances with their bookmarks, journal, records and queued work; returns how
    /// many existed.
    pub async fn delete_instances(&self, ids: &[String]) -> Result<u64, RuntimeError> {
        Ok(self.instances.delete_many(ids).await?)
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
                    work: &[],
                    done_work: &[],
                    fence: None,
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
