//! Starting and resuming workflow instances and committing what the engine produced.

use crate::{Runtime, RuntimeError};
use elsa_engine::{ResumeError, ResumeRequest, RunResult, StartRequest, Workflow};
use elsa_model::{
    VersionOptions, WorkflowDefinition, WorkflowDefinitionInput, WorkflowInstance,
    WorkflowSubStatus,
};
use elsa_store::InstanceCommit;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// What the caller of execute may say about the new instance.
#[derive(Debug, Clone, Default)]
pub struct ExecuteRequest {
    pub version_options: Option<VersionOptions>,
    pub correlation_id: Option<String>,
    pub name: Option<String>,
    pub input: Map<String, Value>,
    pub trigger_activity_id: Option<String>,
}

/// The instance as committed after its first run.
#[derive(Debug, Clone)]
pub struct ExecuteOutcome {
    pub instance: WorkflowInstance,
}

impl Runtime {
    /// Runs a stored definition (default: its published version) as a new instance.
    pub async fn execute(
        &self,
        definition_id: &str,
        request: ExecuteRequest,
    ) -> Result<ExecuteOutcome, RuntimeError> {
        let options = request.version_options.unwrap_or(VersionOptions::Published);
        let definition = self
            .definitions
            .find(definition_id, options)
            .await?
            .ok_or_else(|| RuntimeError::DefinitionNotFound(definition_id.to_string()))?;
        self.run_new(&self.workflow(&definition)?, request).await
    }

    /// Runs a workflow given inline (`POST /workflow-definitions/execute`). The definition is
    /// stored once as a published system definition named by its content hash, so the instance
    /// can be inspected like any other and identical requests share one definition.
    pub async fn execute_inline(
        &self,
        input: WorkflowDefinitionInput,
        request: ExecuteRequest,
    ) -> Result<ExecuteOutcome, RuntimeError> {
        // Without a client-given id the id is the content hash, so a cached entry under it is
        // this very workflow and the store need not be asked.
        let hashed = input.definition_id.is_none().then(|| {
            let digest = Sha256::digest(serde_json::to_vec(&input).unwrap_or_default());
            format!("inline-{}", &hex::encode(digest)[..16])
        });
        if let Some(loaded) = hashed.as_deref().and_then(|id| self.cached(id)) {
            return self.run_new(&loaded, request).await;
        }
        let root = input.root_activity();
        let id = input.definition_id.clone().or(hashed).unwrap_or_default();
        let definition = match self.definitions.get(&id).await? {
            Some(stored) if stored.root == root => stored,
            _ => {
                let definition = WorkflowDefinition {
                    id: id.clone(),
                    definition_id: id.clone(),
                    name: input
                        .name
                        .clone()
                        .or_else(|| Some("Inline workflow".into())),
                    description: input.description.clone(),
                    created_at: self.clock.now(),
                    version: 1,
                    tool_version: None,
                    variables: input.variables.clone().unwrap_or_default(),
                    inputs: input.inputs.clone().unwrap_or_default(),
                    outputs: input.outputs.clone().unwrap_or_default(),
                    outcomes: vec![],
                    custom_properties: Default::default(),
                    is_readonly: false,
                    is_system: true,
                    is_latest: true,
                    is_published: true,
                    options: input.options.clone().unwrap_or_default(),
                    root,
                };
                // Validate before anything is stored: a workflow that cannot load is a 4xx.
                self.workflow(&definition)?;
                self.definitions
                    .save(std::slice::from_ref(&definition))
                    .await?;
                definition
            }
        };
        self.run_new(&self.workflow(&definition)?, request).await
    }

    async fn run_new(
        &self,
        loaded: &Loaded,
        request: ExecuteRequest,
    ) -> Result<ExecuteOutcome, RuntimeError> {
        let result = self.engine.start(
            &loaded.workflow,
            StartRequest {
                instance_id: self.ids.new_id(),
                correlation_id: request.correlation_id,
                name: request.name,
                input: request.input,
                trigger_activity_id: request.trigger_activity_id,
                parent_workflow_instance_id: None,
            },
            self.clock.as_ref(),
            self.ids.as_ref(),
        );
        self.commit_run(loaded, result, None).await
    }

    /// Resumes a suspended instance at one of its bookmarks, with `request.input` as the
    /// bookmark's input; the commit fails with a conflict if the instance changed meanwhile.
    pub async fn resume(
        &self,
        instance_id: &str,
        request: ResumeRequest,
    ) -> Result<ExecuteOutcome, RuntimeError> {
        let (instance, version) = self
            .instances
            .get(instance_id)
            .await?
            .ok_or_else(|| RuntimeError::InstanceNotFound(instance_id.to_owned()))?;
        let definition = self
            .definitions
            .get(&instance.definition_version_id)
            .await?
            .ok_or_else(|| {
                RuntimeError::DefinitionNotFound(instance.definition_version_id.clone())
            })?;
        let loaded = self.workflow(&definition)?;
        let result = self.engine.resume(
            &loaded.workflow,
            &instance.workflow_state,
            request,
            self.clock.as_ref(),
            self.ids.as_ref(),
        )?;
        self.commit_run(&loaded, result, Some(version)).await
    }

    /// Runs an instance to its end the way Elsa's integration tests do: while it is suspended
    /// with bookmarks, resume every bookmark (with the same `input`), until it finishes or has
    /// none left. Bookmarks that recreate themselves (timers) would loop forever, hence
    /// `max_resumptions`.
    pub async fn resume_until_end(
        &self,
        mut outcome: ExecuteOutcome,
        input: &Map<String, Value>,
        max_resumptions: usize,
    ) -> Result<ExecuteOutcome, RuntimeError> {
        let mut resumed = 0;
        loop {
            let state = &outcome.instance.workflow_state;
            if state.sub_status != WorkflowSubStatus::Suspended || state.bookmarks.is_empty() {
                return Ok(outcome);
            }
            let instance_id = outcome.instance.id.clone();
            let bookmarks: Vec<String> = state.bookmarks.iter().map(|b| b.id.clone()).collect();
            for bookmark_id in bookmarks {
                if resumed == max_resumptions {
                    return Err(RuntimeError::ResumeLimit(max_resumptions));
                }
                resumed += 1;
                let request = ResumeRequest {
                    bookmark_id,
                    input: input.clone(),
                };
                match self.resume(&instance_id, request).await {
                    Ok(next) => outcome = next,
                    // An earlier resumption in this round consumed it or ended the workflow.
                    Err(RuntimeError::Resume(
                        ResumeError::BookmarkNotFound(_) | ResumeError::Finished,
                    )) => {}
                    Err(error) => return Err(error),
                }
            }
        }
    }

    /// Prints the run's lines and commits the instance with everything the run produced.
    async fn commit_run(
        &self,
        loaded: &Loaded,
        result: RunResult,
        expected_version: Option<i64>,
    ) -> Result<ExecuteOutcome, RuntimeError> {
        for line in &result.lines {
            (self.console)(line);
        }
        let instance = WorkflowInstance::from_state(result.state, loaded.is_system);
        self.instances
            .commit(InstanceCommit {
                instance: &instance,
                expected_version,
                bookmarks: &result.bookmarks,
                journal: &result.journal,
                activity_records: &result.activity_records,
            })
            .await?;
        Ok(ExecuteOutcome { instance })
    }

    fn cached(&self, version_id: &str) -> Option<Loaded> {
        self.loaded
            .lock()
            .expect("cache lock")
            .get(version_id)
            .cloned()
    }

    /// The executable form of a definition version; published versions are loaded once.
    fn workflow(&self, definition: &WorkflowDefinition) -> Result<Loaded, RuntimeError> {
        if let Some(hit) = definition
            .is_published
            .then(|| self.cached(&definition.id))
            .flatten()
        {
            return Ok(hit);
        }
        let workflow =
            self.engine
                .load(definition)
                .map_err(|source| RuntimeError::InvalidWorkflow {
                    id: definition.definition_id.clone(),
                    source,
                })?;
        let loaded = Loaded {
            workflow: Arc::new(workflow),
            is_system: definition.is_system,
        };
        if definition.is_published {
            self.loaded
                .lock()
                .expect("cache lock")
                .insert(definition.id.clone(), loaded.clone());
        }
        Ok(loaded)
    }
}

/// A definition version ready to run.
#[derive(Clone)]
pub(crate) struct Loaded {
    workflow: Arc<Workflow>,
    is_system: bool,
}
