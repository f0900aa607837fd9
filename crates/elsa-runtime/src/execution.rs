//! Starting and resuming workflow instances, committing what the engine produced together
//! with the work it causes, and doing that work.
//!
//! **One write path.** A run's outcome — instance, bookmarks, journal, activity records — is
//! committed in one transaction with the work it causes ([`crate::work`]): the HTTP request
//! it wants sent, the child it starts, the timer of each new scheduling bookmark, the parent
//! it must report to. The work item the run *did* is removed in that same transaction. So a
//! crash at any point leaves either the state before the run with its work still queued, or
//! the state after it with the next work queued; never a state without its work.
//!
//! **Inline and background.** What a request's run causes right away (a child started by
//! `ExecuteWorkflow`, an HTTP request, a parent to resume) is queued *leased to this node* and
//! done at once by the request itself ([`Runtime::settle`]), so `execute` answers with the
//! finished parent as Elsa does. Everything else — timers, dispatched workflows, and inline
//! work whose attempt failed — is left to the background worker ([`crate::worker`]).

use crate::activities::Candidates;
use crate::engine_pool::HeldMemory;
use crate::outbound_http::OutboundRequest;
use crate::work::{
    EventWork, ParentLink, ResumeWork, SendHttpWork, StartWork, Work, derived_id, timer_id,
};
use crate::{EventTarget, Runtime, RuntimeError};
use elsa_engine::{
    CHILD_WORKFLOW_RESULT_INPUT, Effect, LoadError, LogLevel, ResumeError, ResumeRequest,
    RunResult, StartRequest, Workflow, bookmark_due_at,
};
use elsa_model::{
    Bookmark, VersionOptions, WorkflowDefinition, WorkflowDefinitionInput, WorkflowInstance,
    WorkflowState, WorkflowStatus, WorkflowSubStatus,
};
use elsa_store::{DefinitionFilter, Fence, InstanceChange, Lease, NewWork, StoreError};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::sync::Arc;
use tracing::Instrument;

/// Work items one request does inline at most: a workflow that keeps starting itself ends
/// with [`RuntimeError::FollowUpLimit`] instead of looping (what is left stays queued).
const MAX_FOLLOW_UPS: usize = 1_000;

/// How often a run whose commit lost the race with another writer of the same instance is
/// run again from the newer state.
const MAX_CONFLICT_RETRIES: usize = 16;

/// The bookmark `Elsa.ExecuteWorkflow`/`Elsa.DispatchWorkflow` wait on (payload
/// `{"childInstanceId": ..}`).
const CHILD_WORKFLOW_BOOKMARK: &str = "Elsa.ChildWorkflow";

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

/// A request's runs settled: the instance it was about as last committed, and the HTTP
/// responses its runs wrote, in order (the HTTP workflow answers with the first).
pub(crate) struct Settled {
    pub outcome: ExecuteOutcome,
    pub responses: Vec<Effect>,
}

/// A committed run and what it left to do at once.
pub(crate) struct Committed {
    outcome: ExecuteOutcome,
    responses: Vec<Effect>,
    /// Work leased to this node, to do now, in order.
    inline: Vec<Queued>,
}

/// A work item this node holds.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub id: String,
    pub work: Work,
}

/// What a run's commit builds on.
#[derive(Default)]
struct Basis {
    /// The version read; `None` creates the instance.
    expected_version: Option<i64>,
    /// The bookmarks before the run: timers of those the run removed are cancelled.
    previous_bookmarks: Vec<Bookmark>,
    /// The work item this run does, removed with its commit — which holds only while this
    /// node still holds the item's lease (fencing, see `elsa_store::work`).
    done: Option<String>,
    /// The parent a new child reports to.
    parent: Option<ParentLink>,
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
        self.execute_inline_sent(input, None, request).await
    }

    /// An inline workflow run before whose JSON, as sent, hashes to `content`
    /// ([`inline_content_key`]), ready to run again without its definition being built.
    pub fn inline_workflow(&self, content: &str) -> Option<InlineWorkflow> {
        let id = self.inline_ids.lock().expect("cache lock").get(content)?;
        self.cached(&id).map(InlineWorkflow)
    }

    /// Runs an inline workflow found by [`Runtime::inline_workflow`].
    pub async fn run_inline(
        &self,
        workflow: InlineWorkflow,
        request: ExecuteRequest,
    ) -> Result<ExecuteOutcome, RuntimeError> {
        self.run_new(&workflow.0, request)
            .await
            .map(|settled| settled.outcome)
    }

    /// [`Runtime::execute_inline`] of a workflow whose JSON, as sent, hashes to `content`:
    /// remembered, so the same JSON finds it with [`Runtime::inline_workflow`].
    pub async fn execute_inline_sent(
        &self,
        input: WorkflowDefinitionInput,
        content: Option<String>,
        request: ExecuteRequest,
    ) -> Result<ExecuteOutcome, RuntimeError> {
        // Without a client-given id the id is the content hash, so a cached entry under it is
        // this very workflow and the store need not be asked.
        let hashed = input.definition_id.is_none().then(|| {
            let digest = Sha256::digest(serde_json::to_vec(&input).unwrap_or_default());
            format!("{INLINE_PREFIX}{}", &hex::encode(digest)[..16])
        });
        if let (Some(content), Some(id)) = (content, &hashed) {
            self.inline_ids
                .lock()
                .expect("cache lock")
                .insert(content, id.clone());
        }
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
                self.store_versions(std::slice::from_ref(&definition))
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
        let start = StartWork {
            instance_id: request.instance_id.unwrap_or_else(|| self.ids.new_id()),
            correlation_id: request.correlation_id,
            name: request.name,
            input: request.input,
            trigger_activity_id: request.trigger_activity_id,
            properties: request.properties,
            trigger_input: request.trigger_input,
            ..StartWork::default()
        };
        let committed = self.start(loaded, start, Basis::default()).await?;
        self.settle(committed).await
    }

    /// Starts a new instance of a loaded workflow and commits its first run.
    async fn start(
        &self,
        loaded: &Loaded,
        start: StartWork,
        mut basis: Basis,
    ) -> Result<Committed, RuntimeError> {
        basis.parent = start.parent.clone();
        let request = StartRequest {
            instance_id: start.instance_id,
            correlation_id: start.correlation_id,
            name: start.name,
            input: start.input,
            trigger_activity_id: start.trigger_activity_id,
            trigger_input: start.trigger_input,
            parent_workflow_instance_id: start.parent.map(|p| p.instance_id),
            properties: start.properties,
        };
        let (engine, workflow) = (self.engine.clone(), loaded.workflow.clone());
        let (clock, ids) = (self.clock.clone(), self.ids.clone());
        let (result, held) = self
            .pool()
            .run_held(
                move || engine.start(&workflow, request, clock.as_ref(), ids.as_ref()),
                |result| result.held_bytes,
            )
            .await?;
        self.commit_run(loaded, result, held, basis).await
    }

    /// Resumes a suspended instance at one of its bookmarks, with `request.input` as the
    /// bookmark's input. A finished child resumes the parent waiting for it.
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
        let committed = self.resume_once(instance_id, request, None).await?;
        self.settle(committed).await
    }

    /// Resumes an instance from its stored state and commits the run under the version it
    /// read. Losing that race to another writer (another stimulus resumed it meanwhile) runs
    /// it again from the newer state — where the bookmark may be gone: then the error is
    /// [`ResumeError::BookmarkNotFound`], so a bookmark is only ever resumed once.
    async fn resume_once(
        &self,
        instance_id: &str,
        request: ResumeRequest,
        done: Option<&str>,
    ) -> Result<Committed, RuntimeError> {
        let mut attempt = 0;
        loop {
            let (instance, version) = self.stored_instance(instance_id).await?;
            let loaded = self.loaded_version(&instance).await?;
            let previous_bookmarks = instance.workflow_state.bookmarks.clone();
            let (engine, workflow) = (self.engine.clone(), loaded.workflow.clone());
            let (clock, ids) = (self.clock.clone(), self.ids.clone());
            let request = request.clone();
            let state = instance.workflow_state;
            let (result, held) = self
                .pool()
                .run_held(
                    move || engine.resume(&workflow, &state, request, clock.as_ref(), ids.as_ref()),
                    |result| result.as_ref().map_or(0, |r| r.held_bytes),
                )
                .await?;
            let result = result?;
            let basis = Basis {
                expected_version: Some(version),
                previous_bookmarks,
                done: done.map(str::to_owned),
                parent: None,
            };
            match self.commit_run(&loaded, result, held, basis).await {
                Err(RuntimeError::Store(StoreError::Conflict { .. }))
                    if attempt < MAX_CONFLICT_RETRIES =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Cancels an instance through the engine and commits the result under the instance's
    /// version. An instance that already finished is left as it is: returns false.
    pub async fn cancel(&self, instance_id: &str) -> Result<bool, RuntimeError> {
        let (instance, version) = self.stored_instance(instance_id).await?;
        if instance.status == WorkflowStatus::Finished {
            return Ok(false);
        }
        let loaded = self.loaded_version(&instance).await?;
        let previous_bookmarks = instance.workflow_state.bookmarks.clone();
        let (engine, workflow) = (self.engine.clone(), loaded.workflow.clone());
        let (clock, ids) = (self.clock.clone(), self.ids.clone());
        let state = instance.workflow_state;
        let (result, held) = self
            .pool()
            .run_held(
                move || engine.cancel(&workflow, &state, clock.as_ref(), ids.as_ref()),
                |result| result.as_ref().map_or(0, |r| r.held_bytes),
            )
            .await?;
        let result = result?;
        let basis = Basis {
            expected_version: Some(version),
            previous_bookmarks,
            ..Basis::default()
        };
        let committed = self.commit_run(&loaded, result, held, basis).await?;
        self.settle(committed).await?;
        Ok(true)
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

    /// Does the work a request's runs left to do at once, depth first — what a run asked for
    /// happens before its parent continues — until none is left. Returns the instance the
    /// request was about as last committed, with the HTTP responses of all runs. Work that
    /// fails here is given back to the queue (the background worker retries it), so a
    /// request whose own run committed never fails because of what came after.
    pub(crate) async fn settle(&self, first: Committed) -> Result<Settled, RuntimeError> {
        let top_id = first.outcome.instance.id.clone();
        let mut top = first.outcome;
        let mut responses = first.responses;
        let mut queue: VecDeque<Queued> = first.inline.into();
        let mut done = 0;
        while let Some(next) = queue.pop_front() {
            done += 1;
            if done > MAX_FOLLOW_UPS {
                for left in std::iter::once(next).chain(queue) {
                    self.give_back(&left.id, 1, "too many follow-ups in one request")
                        .await;
                }
                return Err(RuntimeError::FollowUpLimit(MAX_FOLLOW_UPS));
            }
            match self.perform(&next.id, next.work).await {
                Ok(Some(committed)) => {
                    if committed.outcome.instance.id == top_id {
                        top = committed.outcome;
                    }
                    responses.extend(committed.responses);
                    for queued in committed.inline.into_iter().rev() {
                        queue.push_front(queued);
                    }
                }
                Ok(None) => {}
                Err(RuntimeError::Store(StoreError::LeaseLost { .. })) => {
                    crate::worker::lease_lost(&next.id);
                }
                Err(error) => {
                    tracing::warn!(work_id = %next.id, %error, "work failed; it is retried in the background");
                    self.give_back(&next.id, 1, &error.to_string()).await;
                }
            }
            self.leases.forget(&next.id);
        }
        Ok(Settled {
            outcome: top,
            responses,
        })
    }

    /// Does one work item. `Some` when it committed a run (whose own inline work follows),
    /// `None` when there was nothing left to do — the instance moved on or is gone — and the
    /// item was removed.
    pub(crate) async fn perform(
        &self,
        id: &str,
        work: Work,
    ) -> Result<Option<Committed>, RuntimeError> {
        let outcome = match work {
            Work::Start(start) => return self.perform_start(id, start).await,
            Work::Resume(ResumeWork {
                instance_id,
                bookmark_id,
                input,
            }) => {
                let request = ResumeRequest { bookmark_id, input };
                self.resume_once(&instance_id, request, Some(id)).await
            }
            Work::SendHttp(SendHttpWork {
                instance_id,
                bookmark_id,
                request,
            }) => {
                // Cancelled or resumed otherwise meanwhile: nothing to send.
                let waiting = self
                    .instances
                    .get(&instance_id)
                    .await?
                    .is_some_and(|(i, _)| {
                        i.workflow_state
                            .bookmarks
                            .iter()
                            .any(|b| b.id == bookmark_id)
                    });
                if !waiting {
                    self.work.complete(&self.fence(id)).await?;
                    return Ok(None);
                }
                let client = self.http()?;
                let input = client.send(&request).await;
                let request = ResumeRequest { bookmark_id, input };
                self.resume_once(&instance_id, request, Some(id)).await
            }
            Work::PublishEvent(event) => {
                self.fan_out_event(id, event).await?;
                return Ok(None);
            }
        };
        match outcome {
            Ok(committed) => Ok(Some(committed)),
            Err(
                RuntimeError::Resume(ResumeError::BookmarkNotFound(_) | ResumeError::Finished)
                | RuntimeError::InstanceNotFound(_),
            ) => {
                self.work.complete(&self.fence(id)).await?;
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// Starts the instance a work item names, unless it exists already (the work was done
    /// before a crash, or a tick was queued twice): instance ids are fixed when the work is
    /// queued, so a start is never done twice. A tick of a trigger that is gone (retracted)
    /// starts nothing.
    async fn perform_start(
        &self,
        id: &str,
        start: StartWork,
    ) -> Result<Option<Committed>, RuntimeError> {
        let expected_version = match self.instances.get(&start.instance_id).await? {
            Some((instance, version))
                if start.pending && instance.sub_status == WorkflowSubStatus::Pending =>
            {
                Some(version)
            }
            None if !start.pending => None,
            // Started already, or the pending instance was deleted.
            _ => {
                self.work.complete(&self.fence(id)).await?;
                return Ok(None);
            }
        };
        let retired = match &start.trigger_id {
            Some(trigger_id) => self.trigger_index.get(trigger_id).await?.is_none(),
            None => false,
        };
        if retired {
            self.work.complete(&self.fence(id)).await?;
            return Ok(None);
        }
        let loaded = match &start.definition_version_id {
            Some(version_id) => self.loaded_by_version(version_id).await?,
            None => match self
                .definitions
                .find(&start.definition_id, VersionOptions::Published)
                .await?
            {
                Some(definition) => Some(self.workflow(&definition).await?),
                None => None,
            },
        };
        // A definition that is not published (any more) starts nothing; a parent waiting
        // for it keeps waiting, as in Elsa.
        let Some(loaded) = loaded else {
            self.work.complete(&self.fence(id)).await?;
            return Ok(None);
        };
        let basis = Basis {
            expected_version,
            done: Some(id.to_owned()),
            ..Basis::default()
        };
        self.start(&loaded, start, basis).await.map(Some)
    }

    /// Commits a run with the work it causes (see the module documentation), then prints its
    /// lines and writes its log entries: output of a run that failed to commit is never seen.
    /// Commits a run's result; `held` counts its memory until then.
    async fn commit_run(
        &self,
        loaded: &Loaded,
        result: RunResult,
        held: HeldMemory,
        basis: Basis,
    ) -> Result<Committed, RuntimeError> {
        let instance = WorkflowInstance::from_state(result.state, loaded.is_system);
        let now = instance.updated_at;
        let lease = self.lease(now);
        let parent_resume = self.parent_to_resume(&instance, basis.parent).await?;
        let mut rows: Vec<NewWork> = Vec::new();
        let mut inline = Vec::new();
        let mut queue = |id: String, work: Work, due_at, now_here: bool| {
            rows.push(work.row(id.clone(), due_at, now_here.then(|| lease.clone())));
            if now_here {
                inline.push(Queued { id, work });
            }
        };
        let mut responses = Vec::new();
        let mut logs = Vec::new();
        for effect in result.effects {
            match effect {
                Effect::Log { .. } => logs.push(effect),
                Effect::HttpResponse { .. } => responses.push(effect),
                effect @ Effect::HttpRequest { .. } => {
                    let Some((bookmark_id, request)) = OutboundRequest::from_effect(&effect) else {
                        continue;
                    };
                    let id = derived_id(&["http", &bookmark_id]);
                    let work = Work::SendHttp(SendHttpWork {
                        instance_id: instance.id.clone(),
                        bookmark_id,
                        request,
                    });
                    queue(id, work, now, true);
                }
                Effect::PublishEvent {
                    event_name,
                    correlation_id,
                    instance_id,
                    payload,
                } => {
                    let work = Work::PublishEvent(EventWork {
                        event_name,
                        target: EventTarget {
                            correlation_id,
                            workflow_instance_id: instance_id,
                            activity_instance_id: None,
                        },
                        payload,
                    });
                    // Elsa publishes in the background, after the publisher's burst.
                    queue(self.ids.new_id(), work, now, false);
                }
                Effect::StartWorkflow {
                    definition_id,
                    instance_id,
                    correlation_id,
                    input,
                    parent_instance_id,
                    properties,
                    background,
                    resume_bookmark_id,
                    wait_for_completion,
                } => {
                    let id = derived_id(&["start", &instance_id]);
                    let work = Work::Start(StartWork {
                        instance_id,
                        definition_id,
                        correlation_id,
                        input,
                        properties,
                        parent: Some(ParentLink {
                            instance_id: parent_instance_id,
                            bookmark_id: resume_bookmark_id,
                            wait_for_completion,
                        }),
                        ..StartWork::default()
                    });
                    // Dispatch runs on a worker; ExecuteWorkflow before the parent goes on.
                    queue(id, work, now, !background);
                }
            }
        }
        if let Some(resume) = parent_resume {
            let id = derived_id(&["child", &instance.id]);
            queue(id, Work::Resume(resume), now, true);
        }
        let mut done: Vec<String> = Vec::new();
        let (timers, cancelled) =
            timers(&instance.id, &basis.previous_bookmarks, &result.bookmarks);
        rows.extend(timers);
        done.extend(cancelled);
        let queued_later = rows.len() > inline.len();
        // The run's journal and records move to the writer: a runaway run's are its largest
        // part, and a copy would double them until the commit.
        // A span per committed run, for traces (debug: no cost unless something collects it).
        let span = tracing::debug_span!(
            "workflow run",
            workflow.definition_id = %instance.definition_id,
            workflow.instance_id = %instance.id,
            workflow.status = ?instance.status,
            workflow.sub_status = ?instance.sub_status,
        );
        self.instances
            .commit(InstanceChange {
                instance: instance.clone(),
                expected_version: basis.expected_version,
                bookmarks: result.bookmarks,
                journal: result.journal,
                activity_records: result.activity_records,
                work: rows,
                done_work: done,
                fence: basis.done.map(|id| self.fence(&id)),
            })
            .instrument(span)
            .await?;
        metrics::counter!("elsa_workflow_executions_total").increment(1);
        if instance.sub_status == WorkflowSubStatus::Faulted {
            metrics::counter!("elsa_workflow_execution_failed_total").increment(1);
        }
        // Released before the work this run queued runs inline, which may need an engine
        // thread that waits for this memory.
        drop(held);
        for queued in &inline {
            self.leases.hold(&queued.id);
        }
        if queued_later {
            self.wake_worker();
        }
        for line in &result.lines {
            (self.console)(line);
        }
        for entry in logs {
            log(&instance, entry);
        }
        Ok(Committed {
            outcome: ExecuteOutcome { instance },
            responses,
            inline,
        })
    }

    /// The resumption of the parent a child reports to after this run: on its first run
    /// (`link`) at once unless the parent waits for it to finish; later, when it finishes,
    /// the parent's `Elsa.ChildWorkflow` bookmark for it, if the parent still waits.
    async fn parent_to_resume(
        &self,
        child: &WorkflowInstance,
        link: Option<ParentLink>,
    ) -> Result<Option<ResumeWork>, RuntimeError> {
        let finished = child.status == WorkflowStatus::Finished;
        if let Some(link) = link {
            let resume_now = finished || !link.wait_for_completion;
            return Ok(link
                .bookmark_id
                .filter(|_| resume_now)
                .map(|bookmark_id| ResumeWork {
                    instance_id: link.instance_id,
                    bookmark_id,
                    input: child_result(child),
                }));
        }
        let Some(parent_id) = child
            .parent_workflow_instance_id
            .as_deref()
            .filter(|_| finished)
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
            .map(|bookmark| ResumeWork {
                instance_id: parent.id.clone(),
                bookmark_id: bookmark.id.clone(),
                input: child_result(child),
            }))
    }

    /// What ending the work item `id` requires: that this node still holds its lease.
    pub(crate) fn fence(&self, id: &str) -> Fence {
        Fence {
            work_id: id.to_owned(),
            owner: self.options.node_id.clone(),
        }
    }

    /// The lease this node takes on work it queues for itself.
    pub(crate) fn lease(&self, now: elsa_model::Timestamp) -> Lease {
        Lease {
            owner: self.options.node_id.clone(),
            until: now + self.options.lease,
        }
    }

    /// The executable form of the version an instance runs.
    pub(crate) async fn loaded_version(
        &self,
        instance: &WorkflowInstance,
    ) -> Result<Loaded, RuntimeError> {
        let version_id = &instance.definition_version_id;
        self.loaded_by_version(version_id)
            .await?
            .ok_or_else(|| RuntimeError::DefinitionNotFound(version_id.clone()))
    }

    /// The executable form of a version by its id: from the cache (published versions never
    /// change), else read and loaded. `None` when no such version is stored.
    async fn loaded_by_version(&self, version_id: &str) -> Result<Option<Loaded>, RuntimeError> {
        if let Some(hit) = self.cached(version_id) {
            return Ok(Some(hit));
        }
        match self.definitions.get(version_id).await? {
            Some(definition) => self.workflow(&definition).await.map(Some),
            None => Ok(None),
        }
    }

    fn cached(&self, version_id: &str) -> Option<Loaded> {
        self.loaded.lock().expect("cache lock").get(version_id)
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

    /// Loads a definition (on an engine thread: parsing and compiling scripts is CPU work); a
    /// type the engine does not know may be a workflow usable as an activity (then the
    /// candidates are read from the store first, and the second value says whether one was
    /// inlined).
    pub(crate) async fn load_definition(
        &self,
        definition: &WorkflowDefinition,
    ) -> Result<(Workflow, bool), RuntimeError> {
        let invalid = |source| RuntimeError::InvalidWorkflow {
            id: definition.definition_id.clone(),
            source,
        };
        let (engine, owned) = (self.engine.clone(), definition.clone());
        match self.pool().run(move || engine.load(&owned)).await? {
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
                let (engine, owned) = (self.engine.clone(), definition.clone());
                let (loaded, used) = self
                    .pool()
                    .run(move || {
                        let candidates = Candidates::new(all);
                        let loaded = engine.load_with(&owned, &candidates);
                        (loaded, candidates.used())
                    })
                    .await?;
                Ok((loaded.map_err(invalid)?, used))
            }
            Err(source) => Err(invalid(source)),
        }
    }
}

/// The timers a change of an instance's bookmarks from `previous` to `current` starts (one
/// per new scheduling bookmark, due when it is) and cancels (those of bookmarks gone).
pub(crate) fn timers(
    instance_id: &str,
    previous: &[Bookmark],
    current: &[Bookmark],
) -> (Vec<NewWork>, Vec<String>) {
    let started = current
        .iter()
        .filter(|bookmark| !previous.iter().any(|b| b.id == bookmark.id))
        .filter_map(|bookmark| {
            let due_at = bookmark_due_at(bookmark)?;
            let work = Work::Resume(ResumeWork {
                instance_id: instance_id.to_owned(),
                bookmark_id: bookmark.id.clone(),
                input: Map::new(),
            });
            Some(work.row(timer_id(&bookmark.id), due_at, None))
        })
        .collect();
    let cancelled = previous
        .iter()
        .filter(|b| bookmark_due_at(b).is_some())
        .filter(|b| !current.iter().any(|n| n.id == b.id))
        .map(|b| timer_id(&b.id))
        .collect();
    (started, cancelled)
}

/// Definition ids of workflows run inline start with this (the rest is a content hash).
pub(crate) const INLINE_PREFIX: &str = "inline-";

/// An inline workflow, loaded (see [`Runtime::inline_workflow`]).
pub struct InlineWorkflow(Loaded);

/// The key an inline workflow is remembered by: SHA-256 of its JSON value as the request sent
/// it, streamed into the hash (no copy of the text is made).
pub fn inline_content_key(workflow: &Value) -> String {
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hashing = Hashing(Sha256::new());
    // Writing a `Value` into a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut hashing, workflow);
    hex::encode(hashing.0.finalize())
}

/// Writes an `Elsa.Log` entry to the server's log, one line per entry.
fn log(instance: &WorkflowInstance, entry: Effect) {
    let Effect::Log {
        level,
        category,
        message,
        arguments,
    } = entry
    else {
        return;
    };
    let instance_id = instance.id.as_str();
    // Escaped (`\n`, `\u{1b}`…): a workflow's text must not forge lines of the server's log.
    let message = crate::escape_controls(&message);
    let category = crate::escape_controls(&category);
    match level {
        LogLevel::Trace => {
            tracing::trace!(%instance_id, %category, %arguments, "{message}")
        }
        LogLevel::Debug => {
            tracing::debug!(%instance_id, %category, %arguments, "{message}")
        }
        LogLevel::Information => {
            tracing::info!(%instance_id, %category, %arguments, "{message}")
        }
        LogLevel::Warning => {
            tracing::warn!(%instance_id, %category, %arguments, "{message}")
        }
        LogLevel::Error | LogLevel::Critical => {
            tracing::error!(%instance_id, %category, %arguments, "{message}")
        }
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

/// The state of an instance that is queued but has not run yet (a dispatch).
pub(crate) fn pending_state(
    definition: &WorkflowDefinition,
    instance_id: &str,
    request: &ExecuteRequest,
    now: elsa_model::Timestamp,
) -> WorkflowState {
    WorkflowState {
        id: instance_id.to_owned(),
        definition_id: definition.definition_id.clone(),
        definition_version_id: definition.id.clone(),
        definition_version: definition.version,
        parent_workflow_instance_id: None,
        correlation_id: request.correlation_id.clone(),
        name: request.name.clone(),
        status: WorkflowStatus::Running,
        sub_status: WorkflowSubStatus::Pending,
        is_executing: false,
        is_system: definition.is_system,
        bookmarks: Vec::new(),
        incidents: Vec::new(),
        completion_callbacks: Vec::new(),
        activity_execution_contexts: Vec::new(),
        scheduled_activities: Vec::new(),
        execution_log_sequence: 0,
        input: request.input.clone(),
        output: Map::new(),
        properties: request.properties.clone(),
        created_at: now,
        updated_at: now,
        finished_at: None,
    }
}

/// A definition version ready to run.
#[derive(Clone)]
pub(crate) struct Loaded {
    pub(crate) workflow: Arc<Workflow>,
    is_system: bool,
    /// Inlines workflows used as activities (the versions published when it was loaded).
    pub(crate) uses_activities: bool,
}
