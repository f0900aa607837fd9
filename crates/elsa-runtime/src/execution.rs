//! Starting and resuming workflow instances and committing what the engine produced.

use crate::activities::Candidates;
use crate::{Runtime, RuntimeError};
use elsa_engine::{
    CHILD_WORKFLOW_RESULT_INPUT, Effect, LoadError, ResumeError, ResumeRequest, RunResult,
    StartRequest, Workflow,
};
use elsa_model::{
    VersionOptions, WorkflowDefinition, WorkflowDefinitionInput, WorkflowInstance, WorkflowStatus,
    WorkflowSubStatus,
};
use elsa_store::{DefinitionFilter, InstanceCommit};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::sync::Arc;

/// Child workflows started and instances resumed on behalf of one request, at most: a workflow
/// that keeps starting itself ends with [`RuntimeError::FollowUpLimit`] instead of looping.
const MAX_FOLLOW_UPS: usize = 1_000;

/// The bookmark `Elsa.ExecuteWorkflow`/`Elsa.DispatchWorkflow` wait on (payload
/// `{"childInstanceId": ..}`).
const CHILD_WORKFLOW_BOOKMARK: &str = "Elsa.ChildWorkflow";

/// Work the runtime does after a commit, on a run's behalf.
enum FollowUp {
    /// An effect of a run (only `StartWorkflow` needs doing here).
    Effect(Effect),
    /// Resume an instance at a bookmark.
    Resume {
        instance_id: String,
        request: ResumeRequest,
    },
}

/// What the caller of execute may say about the new instance.
#[derive(Debug, Clone, Default)]
pub struct ExecuteRequest {
    /// The new instance's id (dispatch answers it before the run); generated when absent.
    pub instance_id: Option<String>,
    pub version_options: Option<VersionOptions>,
    pub correlation_id: Option<String>,
    pub name: Option<String>,
    pub input: Map<String, Value>,
    pub trigger_activity_id: Option<String>,
    /// Run properties, kept in `workflowState.properties` (e.g. `Flowchart:ExecutionMode`).
    /// Elsa's execute endpoint has no field for them; hosts and tests pass them here.
    pub properties: Map<String, Value>,
    /// What the trigger activity gets from its stimulus (see `StartRequest::trigger_input`).
    pub trigger_input: Map<String, Value>,
}

/// The instance as committed after its first run.
#[derive(Debug, Clone)]
pub struct ExecuteOutcome {
    pub instance: WorkflowInstance,
}

/// A request's runs settled: the instance it was about, and the effects left for the caller
/// (those the runtime does not perform itself, such as `HttpResponse`), in order.
pub(crate) struct Settled {
    pub outcome: ExecuteOutcome,
    pub unperformed: Vec<Effect>,
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
        self.run_new(&self.workflow(&definition).await?, request)
            .await
            .map(|settled| settled.outcome)
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
            return self.run_new(&loaded, request).await.map(|s| s.outcome);
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
                self.load_definition(&definition).await?;
                self.definitions
                    .save(std::slice::from_ref(&definition))
                    .await?;
                definition
            }
        };
        self.run_new(&self.workflow(&definition).await?, request)
            .await
            .map(|settled| settled.outcome)
    }

    pub(crate) async fn run_new(
        &self,
        loaded: &Loaded,
        request: ExecuteRequest,
    ) -> Result<Settled, RuntimeError> {
        let result = self.engine.start(
            &loaded.workflow,
            StartRequest {
                instance_id: request.instance_id.unwrap_or_else(|| self.ids.new_id()),
                correlation_id: request.correlation_id,
                name: request.name,
                input: request.input,
                trigger_activity_id: request.trigger_activity_id,
                properties: request.properties,
                trigger_input: request.trigger_input,
                ..StartRequest::default()
            },
            self.clock.as_ref(),
            self.ids.as_ref(),
        );
        let (outcome, effects) = self.commit_run(loaded, result, None).await?;
        self.settle(outcome, effects, false).await
    }

    /// Resumes a suspended instance at one of its bookmarks, with `request.input` as the
    /// bookmark's input; the commit fails with a conflict if the instance changed meanwhile.
    /// A child instance that finishes this way resumes the parent waiting for it.
    pub async fn resume(
        &self,
        instance_id: &str,
        request: ResumeRequest,
    ) -> Result<ExecuteOutcome, RuntimeError> {
        self.resume_settled(instance_id, request)
            .await
            .map(|settled| settled.outcome)
    }

    pub(crate) async fn resume_settled(
        &self,
        instance_id: &str,
        request: ResumeRequest,
    ) -> Result<Settled, RuntimeError> {
        let (outcome, effects) = self.resume_once(instance_id, request).await?;
        self.settle(outcome, effects, true).await
    }

    async fn resume_once(
        &self,
        instance_id: &str,
        request: ResumeRequest,
    ) -> Result<(ExecuteOutcome, Vec<Effect>), RuntimeError> {
        let (instance, version) = self.stored_instance(instance_id).await?;
        let loaded = self.loaded_version(&instance).await?;
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

    /// Performs what committed runs asked for, until nothing is left: `StartWorkflow` starts
    /// the child (published version) as a new instance, runs and commits it, then resumes the
    /// parent's bookmark with the child's result (under [`CHILD_WORKFLOW_RESULT_INPUT`]) — at
    /// once, or when the child finishes if the parent waits for completion. Children run
    /// inline, before the parent continues; background dispatch too, for now. Returns `top`
    /// as last committed, with the effects the caller performs (HTTP responses), in order.
    /// With `notify_parent`, `top` finishing resumes its waiting parent.
    async fn settle(
        &self,
        mut top: ExecuteOutcome,
        effects: Vec<Effect>,
        notify_parent: bool,
    ) -> Result<Settled, RuntimeError> {
        let mut unperformed = Vec::new();
        let mut queue: VecDeque<FollowUp> = effects.into_iter().map(FollowUp::Effect).collect();
        if notify_parent && let Some(resume) = self.waiting_parent(&top.instance).await? {
            queue.push_back(resume);
        }
        let mut done = 0;
        while let Some(next) = queue.pop_front() {
            let (outcome, effects, then) = match next {
                FollowUp::Effect(Effect::StartWorkflow {
                    definition_id,
                    instance_id,
                    correlation_id,
                    input,
                    parent_instance_id,
                    properties,
                    background: _,
                    resume_bookmark_id,
                    wait_for_completion,
                }) => {
                    done += 1;
                    if done > MAX_FOLLOW_UPS {
                        return Err(RuntimeError::FollowUpLimit(MAX_FOLLOW_UPS));
                    }
                    // A child definition that is not published starts nothing (the parent
                    // keeps waiting).
                    let Some(definition) = self
                        .definitions
                        .find(&definition_id, VersionOptions::Published)
                        .await?
                    else {
                        continue;
                    };
                    let loaded = self.workflow(&definition).await?;
                    let result = self.engine.start(
                        &loaded.workflow,
                        StartRequest {
                            instance_id,
                            correlation_id,
                            name: None,
                            input,
                            trigger_activity_id: None,
                            trigger_input: Map::new(),
                            parent_workflow_instance_id: Some(parent_instance_id.clone()),
                            properties,
                        },
                        self.clock.as_ref(),
                        self.ids.as_ref(),
                    );
                    let (child, effects) = self.commit_run(&loaded, result, None).await?;
                    let finished = child.instance.status == WorkflowStatus::Finished;
                    let then = resume_bookmark_id
                        .filter(|_| finished || !wait_for_completion)
                        .map(|bookmark_id| FollowUp::Resume {
                            instance_id: parent_instance_id,
                            request: ResumeRequest {
                                bookmark_id,
                                input: child_result(&child.instance),
                            },
                        });
                    (child, effects, then)
                }
                FollowUp::Effect(effect @ Effect::HttpResponse { .. }) => {
                    unperformed.push(effect);
                    continue;
                }
                FollowUp::Effect(_) => continue,
                FollowUp::Resume {
                    instance_id,
                    request,
                } => {
                    done += 1;
                    if done > MAX_FOLLOW_UPS {
                        return Err(RuntimeError::FollowUpLimit(MAX_FOLLOW_UPS));
                    }
                    let (outcome, effects) = match self.resume_once(&instance_id, request).await {
                        Ok(resumed) => resumed,
                        // Already resumed (the child finished in its first run) or ended.
                        Err(RuntimeError::Resume(
                            ResumeError::BookmarkNotFound(_) | ResumeError::Finished,
                        )) => continue,
                        Err(error) => return Err(error),
                    };
                    let then = self.waiting_parent(&outcome.instance).await?;
                    (outcome, effects, then)
                }
            };
            // Depth first: what this run asked for happens before its parent continues.
            if let Some(then) = then {
                queue.push_front(then);
            }
            for effect in effects.into_iter().rev() {
                queue.push_front(FollowUp::Effect(effect));
            }
            if outcome.instance.id == top.instance.id {
                top = outcome;
            }
        }
        Ok(Settled {
            outcome: top,
            unperformed,
        })
    }

    /// The resumption of the parent waiting for `child`, once `child` has finished.
    async fn waiting_parent(
        &self,
        child: &WorkflowInstance,
    ) -> Result<Option<FollowUp>, RuntimeError> {
        let Some(parent_id) = child
            .parent_workflow_instance_id
            .as_deref()
            .filter(|_| child.status == WorkflowStatus::Finished)
        else {
            return Ok(None);
        };
        let Some((parent, _)) = self.instances.get(parent_id).await? else {
            return Ok(None);
        };
        Ok(parent
            .workflow_state
            .bookmarks
            .iter()
            .find(|b| {
                b.name == CHILD_WORKFLOW_BOOKMARK
                    && b.payload.get("childInstanceId").and_then(Value::as_str)
                        == Some(child.id.as_str())
            })
            .map(|bookmark| FollowUp::Resume {
                instance_id: parent.id.clone(),
                request: ResumeRequest {
                    bookmark_id: bookmark.id.clone(),
                    input: child_result(child),
                },
            }))
    }

    /// The executable form of the version an instance runs.
    pub(crate) async fn loaded_version(
        &self,
        instance: &WorkflowInstance,
    ) -> Result<Loaded, RuntimeError> {
        let definition = self
            .definitions
            .get(&instance.definition_version_id)
            .await?
            .ok_or_else(|| {
                RuntimeError::DefinitionNotFound(instance.definition_version_id.clone())
            })?;
        self.workflow(&definition).await
    }

    /// Prints the run's lines and commits the instance with everything the run produced.
    pub(crate) async fn commit_run(
        &self,
        loaded: &Loaded,
        result: RunResult,
        expected_version: Option<i64>,
    ) -> Result<(ExecuteOutcome, Vec<Effect>), RuntimeError> {
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
        Ok((ExecuteOutcome { instance }, result.effects))
    }

    fn cached(&self, version_id: &str) -> Option<Loaded> {
        self.loaded
            .lock()
            .expect("cache lock")
            .get(version_id)
            .cloned()
    }

    /// The executable form of a definition version; published versions are loaded once.
    pub(crate) async fn workflow(
        &self,
        definition: &WorkflowDefinition,
    ) -> Result<Loaded, RuntimeError> {
        if let Some(hit) = definition
            .is_published
            .then(|| self.cached(&definition.id))
            .flatten()
        {
            return Ok(hit);
        }
        let (workflow, uses_activities) = self.load_definition(definition).await?;
        let loaded = Loaded {
            workflow: Arc::new(workflow),
            is_system: definition.is_system,
            uses_activities,
        };
        if definition.is_published {
            self.loaded
                .lock()
                .expect("cache lock")
                .insert(definition.id.clone(), loaded.clone());
        }
        Ok(loaded)
    }

    /// Loads a definition; a type the engine does not know may be a workflow usable as an
    /// activity (then the candidates are read from the store first, and the second value says
    /// whether one was inlined).
    pub(crate) async fn load_definition(
        &self,
        definition: &WorkflowDefinition,
    ) -> Result<(Workflow, bool), RuntimeError> {
        let invalid = |source| RuntimeError::InvalidWorkflow {
            id: definition.definition_id.clone(),
            source,
        };
        match self.engine.load(definition) {
            Ok(workflow) => Ok((workflow, false)),
            Err(LoadError::UnknownActivityType { .. }) => {
                let all = self
                    .definitions
                    .list(&DefinitionFilter {
                        version_options: Some(VersionOptions::AllVersions),
                        ..Default::default()
                    })
                    .await?
                    .items;
                let candidates = Candidates::new(all);
                let workflow = self
                    .engine
                    .load_with(definition, &candidates)
                    .map_err(invalid)?;
                Ok((workflow, candidates.used()))
            }
            Err(source) => Err(invalid(source)),
        }
    }

    /// Called when versions were deleted: their cached workflows go, and so does every cached
    /// workflow that may have inlined one of them.
    pub(crate) fn definitions_deleted(&self, versions: &[WorkflowDefinition]) {
        self.loaded
            .lock()
            .expect("cache lock")
            .retain(|id, loaded| !loaded.uses_activities && !versions.iter().any(|v| &v.id == id));
    }

    /// Called when `definition` was stored: a new version may change what cached workflows
    /// that inline workflows used as activities would resolve (it may also have stopped being
    /// usable as one), so those are dropped; the rest of the cache stays. The trigger route
    /// table is rebuilt on its next use.
    pub(crate) fn definition_stored(&self, _definition: &WorkflowDefinition) {
        self.invalidate_triggers();
        self.loaded
            .lock()
            .expect("cache lock")
            .retain(|_, loaded| !loaded.uses_activities);
    }
}

/// Elsa's `ExecuteWorkflowResult` of a child instance, as resume input.
fn child_result(child: &WorkflowInstance) -> Map<String, Value> {
    Map::from_iter([(
        CHILD_WORKFLOW_RESULT_INPUT.to_owned(),
        json!({
            "workflowInstanceId": child.id,
            "status": child.status,
            "subStatus": child.sub_status,
            "output": child.workflow_state.output,
        }),
    )])
}

/// A definition version ready to run.
#[derive(Clone)]
pub(crate) struct Loaded {
    pub(crate) workflow: Arc<Workflow>,
    is_system: bool,
    /// Inlines workflows used as activities (the versions published when it was loaded).
    uses_activities: bool,
}
