//! One run ("burst") of a workflow instance: the run loop and the activity lifecycle
//! (execute, complete, cancel, fault), journaling every transition.

use crate::activities::{CompletedChild, workflow_definition};
use crate::activity_context::ActivityContext;
use crate::bookmarks::{RESUME_CALLBACK, bookmark_hash};
use crate::budget;
use crate::clock::{Clock, IdGenerator};
use crate::context::{ActivityStatus, ContextIdx, Contexts, ExecutionContext, VariableSlot};
use crate::effects::Effect;
use crate::engine::StartRequest;
use crate::engine::{FLOWCHART_MODE_PROPERTY, FlowchartMode, ResumeError};
use crate::error::Fault;
use crate::expressions::javascript::ScriptLimits;
use crate::expressions::liquid::LiquidLimits;
use crate::scheduler::{Scheduler, WorkItem};
use crate::workflow::{IncidentStrategy, NodeIdx, VarIdx, Workflow};
use elsa_model::{Bookmark, Incident, Timestamp, WorkflowExecutionLogRecord, WorkflowSubStatus};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Limits and modes a run observes, from the engine options.
#[derive(Debug, Clone)]
pub(crate) struct RunLimits {
    pub script: ScriptLimits,
    pub liquid: LiquidLimits,
    /// Guards against flowchart loops that never end.
    pub max_activity_executions: usize,
    /// Journal entries one run may append.
    pub max_journal_entries: usize,
    /// Estimated bytes of the journal entries one run may append.
    pub max_journal_bytes: usize,
    /// Activity execution records one run may produce (one per context it holds).
    pub max_activity_records: usize,
    /// Estimated bytes of the workflow state a run may leave.
    pub max_state_size: usize,
    /// Wall-clock budget of one run (start or resume).
    pub max_run_duration: Option<Duration>,
    pub flowchart_mode: FlowchartMode,
}

/// The mutable state of a run.
pub(crate) struct Execution<'w> {
    pub workflow: &'w Workflow,
    pub limits: &'w RunLimits,
    clock: &'w dyn Clock,
    pub ids: &'w dyn IdGenerator,
    pub request: StartRequest,
    /// `request.instance_id`, shared by every journal entry of the run.
    pub instance_id: Arc<str>,
    /// The workflow input as scripts see it: every declared input (null when not given) plus
    /// whatever the request passed.
    pub script_input: Map<String, Value>,
    pub created_at: Timestamp,
    pub contexts: Contexts,
    pub scheduler: Scheduler,
    pub journal: Vec<WorkflowExecutionLogRecord>,
    /// Estimated bytes of `journal` as the store writes it.
    journal_bytes: usize,
    /// Cancellation journals without a budget.
    journal_unbounded: bool,
    /// Set when an entry did not fit the journal budget or a budget faulted the run: no entry is
    /// journaled after it but the budget fault's own.
    over_budget: bool,
    /// The context whose entry did not fit, and why: faulted at the next point where the run
    /// can stop ([`Execution::fault_on_budget_breach`]).
    budget_breach: Option<(ContextIdx, String)>,
    /// The state outgrew its budget: it keeps only the root context, without variables.
    pub state_overflow: bool,
    /// The next journal sequence number (`executionLogSequence`).
    pub sequence: i64,
    pub incidents: Vec<Incident>,
    pub lines: Vec<String>,
    /// Requests for the runtime (log entries, ...), in the order activities made them.
    pub effects: Vec<Effect>,
    /// The workflow output (`workflowState.output`), written by `SetOutput`.
    pub output: Map<String, Value>,
    /// The instance's bookmarks: those restored on resume plus those created in this run,
    /// minus those of activities that completed or were cancelled.
    pub bookmarks: Vec<Bookmark>,
    pub sub_status: WorkflowSubStatus,
    executed: usize,
    /// The run property `Flowchart:ExecutionMode` when it names a mode, else the engine's.
    flowchart_mode: FlowchartMode,
    /// When the run's wall-clock budget ends. Like the script time limit, this is the one
    /// reading of real time: it only decides whether a run that takes too long faults.
    deadline: Option<Instant>,
}

impl<'w> Execution<'w> {
    pub fn new(
        workflow: &'w Workflow,
        limits: &'w RunLimits,
        request: StartRequest,
        clock: &'w dyn Clock,
        ids: &'w dyn IdGenerator,
    ) -> Self {
        let mut script_input: Map<String, Value> = workflow
            .input_names
            .iter()
            .map(|name| (name.clone(), Value::Null))
            .collect();
        script_input.extend(request.input.clone());
        let deadline = limits
            .max_run_duration
            .and_then(|budget| Instant::now().checked_add(budget));
        let flowchart_mode = request
            .properties
            .get(FLOWCHART_MODE_PROPERTY)
            .and_then(FlowchartMode::from_run_property)
            .unwrap_or(limits.flowchart_mode);
        Self {
            flowchart_mode,
            deadline,
            workflow,
            limits,
            clock,
            ids,
            instance_id: request.instance_id.as_str().into(),
            request,
            script_input,
            created_at: clock.now(),
            contexts: Contexts::with_capacity(workflow.nodes.len()),
            scheduler: Scheduler::default(),
            // Started + Completed per activity, usually: avoids regrowing a vector of large records.
            journal: Vec::with_capacity(workflow.nodes.len() * 2),
            journal_bytes: 0,
            journal_unbounded: false,
            over_budget: false,
            budget_breach: None,
            state_overflow: false,
            sequence: 0,
            incidents: Vec::new(),
            lines: Vec::new(),
            effects: Vec::new(),
            output: Map::new(),
            bookmarks: Vec::new(),
            sub_status: WorkflowSubStatus::Pending,
            executed: 0,
        }
    }

    pub fn flowchart_mode(&self) -> FlowchartMode {
        self.flowchart_mode
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Runs a new instance: schedules the workflow activity and drains the queue.
    pub fn start(&mut self) {
        self.sub_status = WorkflowSubStatus::Executing;
        self.scheduler.schedule(WorkItem {
            node: self.workflow.root,
            owner: None,
            input: Map::new(),
            variables: Vec::new(),
        });
        self.run();
    }

    /// Resumes the activity that created `bookmark_id` (the state was restored beforehand),
    /// then drains the queue. The resume input is added to the workflow input.
    pub fn resume(
        &mut self,
        bookmark_id: &str,
        input: Map<String, Value>,
    ) -> Result<(), ResumeError> {
        let position = self
            .bookmarks
            .iter()
            .position(|bookmark| bookmark.id == bookmark_id)
            .ok_or_else(|| ResumeError::BookmarkNotFound(bookmark_id.to_owned()))?;
        let bookmark = if self.bookmarks[position].auto_burn {
            self.bookmarks.remove(position)
        } else {
            self.bookmarks[position].clone()
        };
        let idx = self
            .contexts
            .iter()
            .find(|(_, context)| *context.id == *bookmark.activity_instance_id)
            .filter(|(_, context)| context.status == ActivityStatus::Running)
            .map(|(idx, _)| idx)
            .ok_or_else(|| {
                ResumeError::CorruptState(format!(
                    "bookmark '{bookmark_id}' belongs to no running activity"
                ))
            })?;
        self.sub_status = WorkflowSubStatus::Executing;
        self.request.input.extend(input.clone());
        self.script_input.extend(input.clone());
        self.journal(idx, "Resumed", None, None);
        if self.budget_breach.is_none() {
            let node = self.workflow.node(self.contexts.get(idx).node);
            let result =
                node.activity
                    .resume(&mut ActivityContext::new(self, idx), &bookmark, &input);
            match result {
                Ok(()) => self.journal_if_suspended(idx),
                Err(fault) => self.fault(idx, fault),
            }
        }
        self.run();
        Ok(())
    }

    /// Cancels the instance: every running activity is cancelled, nothing stays queued or
    /// bookmarked, and the workflow ends `Cancelled`. Not bound by the journal budget: its
    /// entries are one per context of the state, which the state budget bounds.
    pub fn cancel_workflow(&mut self) {
        self.journal_unbounded = true;
        let running_roots: Vec<_> = self
            .contexts
            .iter()
            .filter(|(_, context)| context.parent.is_none())
            .map(|(idx, _)| idx)
            .collect();
        for root in running_roots {
            self.cancel(root);
        }
        self.scheduler.clear();
        self.bookmarks.clear();
        self.sub_status = WorkflowSubStatus::Cancelled;
    }

    /// Drains the queue, then settles the workflow's sub-status.
    fn run(&mut self) {
        loop {
            self.fault_on_budget_breach();
            if self.sub_status == WorkflowSubStatus::Faulted {
                break;
            }
            let Some(item) = self.scheduler.next() else {
                break;
            };
            self.execute(item);
        }
        if self.sub_status == WorkflowSubStatus::Faulted {
            // FaultStrategy: nothing else runs in this burst and nothing can resume.
            self.scheduler.clear();
            self.bookmarks.clear();
            return;
        }
        let root_completed = self.contexts.iter().any(|(_, context)| {
            context.parent.is_none() && context.status == ActivityStatus::Completed
        });
        self.sub_status = if root_completed {
            WorkflowSubStatus::Finished
        } else {
            WorkflowSubStatus::Suspended
        };
    }

    /// Executes one work item in a new context.
    fn execute(&mut self, item: WorkItem) {
        let node = self.workflow.node(item.node);
        let idx = self.contexts.add(self.new_context(item));
        self.journal(idx, "Started", None, None);
        if self.budget_breach.is_some() {
            // The activity does not run: its `Started` entry did not fit.
            self.fault_on_budget_breach();
            return;
        }
        self.executed += 1;
        if self.executed > self.limits.max_activity_executions {
            let message = budget::exceeded(
                self.limits.max_activity_executions,
                "activity executions",
                budget::MAX_ACTIVITY_EXECUTIONS_SETTING,
            );
            self.fault_instance(idx, message);
            return;
        }
        // One record per context: this one's is the fault's own.
        if self.contexts.len() > self.limits.max_activity_records {
            let message = budget::exceeded(
                self.limits.max_activity_records,
                "activity execution records",
                budget::MAX_ACTIVITY_RECORDS_SETTING,
            );
            self.fault_instance(idx, message);
            return;
        }
        if self
            .deadline
            .is_some_and(|deadline| Instant::now() > deadline)
        {
            let budget = self.limits.max_run_duration.unwrap_or_default();
            let message = format!(
                "The workflow exceeded its time budget of {} ms in one run.",
                budget.as_millis()
            );
            self.fault(idx, Fault::invalid_operation(message));
            return;
        }
        let result = self
            .evaluate_inputs(idx)
            .and_then(|()| node.activity.execute(&mut ActivityContext::new(self, idx)));
        match result {
            Ok(()) => self.journal_if_suspended(idx),
            Err(fault) => self.fault(idx, fault),
        }
    }

    /// A running context for a work item (not yet added).
    fn new_context(&self, item: WorkItem) -> ExecutionContext {
        let node = self.workflow.node(item.node);
        ExecutionContext {
            id: self.ids.new_activity_instance_id(&self.instance_id).into(),
            node: item.node,
            parent: item.owner,
            status: ActivityStatus::Running,
            // The node's own variables, then those its owner declared for this execution
            // (loop iteration variables).
            variables: node
                .variables
                .iter()
                .map(|var| (*var, self.workflow.variable(*var).initial.clone()))
                .chain(item.variables)
                .collect(),
            input: item.input,
            activity_state: Map::new(),
            outputs: Map::new(),
            properties: Map::new(),
            flow_scope: None,
            outcomes: Vec::new(),
            fault_count: 0,
            exception: None,
            started_at: self.clock.now(),
            completed_at: None,
        }
    }

    /// The inputs of `node` evaluated outside any run, as Elsa's trigger indexer does: in a
    /// context of their own (no parent, so no workflow variables in scope). An input whose
    /// expression fails is left out.
    pub fn evaluate_detached(&mut self, node: NodeIdx) -> Map<String, Value> {
        let idx = self.contexts.add(self.new_context(WorkItem {
            node,
            owner: None,
            input: Map::new(),
            variables: Vec::new(),
        }));
        let mut inputs = Map::new();
        for binding in &self.workflow.node(node).inputs {
            if let Ok(value) = self.evaluate(idx, &binding.expression, &binding.value_type) {
                inputs.insert(binding.name.to_owned(), value);
            }
        }
        inputs
    }

    /// Journals `Suspended` when the activity is still running and waits on a bookmark.
    fn journal_if_suspended(&mut self, idx: ContextIdx) {
        let context = self.contexts.get(idx);
        if context.status == ActivityStatus::Running
            && self
                .bookmarks
                .iter()
                .any(|bookmark| *bookmark.activity_instance_id == *context.id)
        {
            self.journal(idx, "Suspended", None, None);
        }
    }

    /// Makes the activity of `idx` wait for a stimulus: a bookmark named for it with `payload`
    /// (the stimulus' properties, camelCase). The activity stays running until resumed.
    pub fn create_bookmark(&mut self, idx: ContextIdx, name: &str, payload: Value) -> String {
        let hash = bookmark_hash(name, &payload);
        self.create_bookmark_with_hash(idx, name, payload, hash)
    }

    /// A bookmark found by `hash` rather than by the hash of its whole payload (some
    /// stimuli leave parts of their payload out of the hash, as Elsa's `[ExcludeFromHash]`).
    pub fn create_bookmark_with_hash(
        &mut self,
        idx: ContextIdx,
        name: &str,
        payload: Value,
        hash: String,
    ) -> String {
        let context = self.contexts.get(idx);
        let node = self.workflow.node(context.node);
        let id = self.ids.new_id();
        self.bookmarks.push(Bookmark {
            id: id.clone(),
            name: name.to_owned(),
            hash,
            payload,
            activity_id: node.id.to_string(),
            activity_node_id: node.node_id.to_string(),
            activity_instance_id: context.id.to_string(),
            created_at: self.clock.now(),
            auto_burn: true,
            callback_method_name: Some(RESUME_CALLBACK.to_owned()),
            auto_complete: true,
            metadata: None,
        });
        id
    }

    pub fn new_id(&self) -> String {
        self.ids.new_id()
    }

    fn remove_bookmarks_of(&mut self, idx: ContextIdx) {
        let id = &self.contexts.get(idx).id;
        self.bookmarks
            .retain(|bookmark| *bookmark.activity_instance_id != **id);
    }

    /// Evaluates every wrapped input of the activity into its `activityState`.
    fn evaluate_inputs(&mut self, idx: ContextIdx) -> Result<(), Fault> {
        let node = self.workflow.node(self.contexts.get(idx).node);
        for binding in &node.inputs {
            let value = self.evaluate(idx, &binding.expression, &binding.value_type)?;
            self.contexts
                .get_mut(idx)
                .activity_state
                .insert(binding.name.to_owned(), value);
        }
        Ok(())
    }

    /// Evaluates the wrapped input `name` of `node` in the scope of context `idx` (`null` when the
    /// node has no such input). Used to re-evaluate a loop condition and to read a join's mode.
    pub fn evaluate_input_of(
        &mut self,
        idx: ContextIdx,
        node: NodeIdx,
        name: &str,
    ) -> Result<Value, Fault> {
        let node = self.workflow.node(node);
        match node.inputs.iter().find(|binding| binding.name == name) {
            Some(binding) => self.evaluate(idx, &binding.expression, &binding.value_type),
            None => Ok(Value::Null),
        }
    }

    /// Stores `value` in a variable, converted to its declared type.
    pub fn assign(&mut self, slot: VariableSlot, value: Value) -> Result<(), Fault> {
        let definition = self.workflow.variable(self.contexts.variable(slot).0);
        let value = definition.value_type.convert(value).map_err(|reason| {
            Fault::invalid_operation(format!(
                "Cannot assign variable '{}': {reason}.",
                definition.name
            ))
        })?;
        self.contexts.set_variable(slot, value);
        Ok(())
    }

    /// Queues `node` as a child of `owner`, which is called back when it completes.
    /// `variables` are declared in the child's context (iteration variables of loops).
    pub fn schedule(
        &mut self,
        owner: ContextIdx,
        node: NodeIdx,
        input: Map<String, Value>,
        variables: Vec<(VarIdx, Value)>,
    ) {
        self.scheduler.schedule(WorkItem {
            node,
            owner: Some(owner),
            input,
            variables,
        });
    }

    /// Completes a running activity with `outcomes`, then calls back its owner.
    pub fn complete(&mut self, idx: ContextIdx, outcomes: Vec<String>) {
        if self.contexts.get(idx).status != ActivityStatus::Running {
            return;
        }
        // A completed activity owns nothing any more: cancel what it still runs or has queued.
        self.cancel_children(idx);
        let contexts = &self.contexts;
        self.scheduler
            .unschedule(|owner| contexts.is_descendant_or_self(owner, idx));
        let now = self.clock.now();
        let context = self.contexts.get_mut(idx);
        context.status = ActivityStatus::Completed;
        context.completed_at = Some(now);
        let payload = outcomes_payload(&outcomes);
        context.outcomes = outcomes;
        self.journal(idx, "Completed", None, Some(payload));
        self.scheduler.remove_callbacks_of(idx);
        self.remove_bookmarks_of(idx);
        self.notify_owner(idx);
    }

    /// Invokes the completion callback the owner registered when it scheduled `idx`.
    fn notify_owner(&mut self, idx: ContextIdx) {
        let context = self.contexts.get(idx);
        let Some(owner) = context.parent else { return };
        if !self.scheduler.take_callback(owner, context.node) {
            return;
        }
        // Lent to the owner for the callback (nothing reads them from the completed context
        // meanwhile), then put back for the activity record: no copies.
        let context = self.contexts.get_mut(idx);
        let child = CompletedChild {
            node: context.node,
            outcomes: std::mem::take(&mut context.outcomes),
            input: std::mem::take(&mut context.input),
        };
        let owner_node = self.workflow.node(self.contexts.get(owner).node);
        let result = owner_node
            .activity
            .on_child_completed(&mut ActivityContext::new(self, owner), &child);
        let context = self.contexts.get_mut(idx);
        context.outcomes = child.outcomes;
        context.input = child.input;
        if let Err(fault) = result {
            self.fault(owner, fault);
        }
    }

    /// The nearest workflow used as an activity above `idx` (not `idx` itself): the scope of
    /// workflow inputs, `SetOutput` and `Complete` for what runs inside it.
    pub fn enclosing_composite(&self, idx: ContextIdx) -> Option<ContextIdx> {
        self.contexts.lineage(idx).skip(1).find(|ancestor| {
            workflow_definition::is_composite(self.workflow.node(self.contexts.get(*ancestor).node))
        })
    }

    /// Completes an enclosing activity from inside (`Finish`, `Complete`): `idx` completes
    /// without calling its owner back, then `target` — the root or an enclosing composite —
    /// completes with `outcomes`, cancelling and unqueuing whatever it still runs.
    pub fn complete_from_inside(
        &mut self,
        idx: ContextIdx,
        target: ContextIdx,
        outcomes: Vec<String>,
    ) {
        let context = self.contexts.get(idx);
        if let Some(owner) = context.parent {
            self.scheduler.take_callback(owner, context.node);
        }
        self.complete(idx, Vec::new());
        self.complete(target, outcomes);
    }

    /// The workflow input as the activity at `idx` sees it: its enclosing composite's inputs,
    /// else the instance's.
    pub(crate) fn workflow_input_for(&self, idx: ContextIdx) -> &Map<String, Value> {
        match self.enclosing_composite(idx) {
            Some(composite) => &self.contexts.get(composite).activity_state,
            None => &self.script_input,
        }
    }

    /// `SetOutput`: an output of the enclosing composite, else of the workflow.
    pub fn set_workflow_output(&mut self, idx: ContextIdx, name: String, value: Value) {
        match self.enclosing_composite(idx) {
            // The composite's output, written to the variable it is bound to in the parent.
            Some(composite) => self.set_output(composite, &name, value),
            None => {
                self.output.insert(name, value);
            }
        }
    }

    /// Records an output of `idx` and writes it where it is bound: to a variable, or — a
    /// reference naming a declared output of the enclosing workflow (or workflow used as an
    /// activity) — to that output. A value the variable cannot hold faults `idx` (infallible
    /// for the caller: the fault is the outcome, and a faulted activity's later completion is
    /// ignored).
    pub fn set_output(&mut self, idx: ContextIdx, name: &str, value: Value) {
        let node = self.workflow.node(self.contexts.get(idx).node);
        if let Some(binding) = node
            .output_bindings
            .iter()
            .find(|binding| binding.output == name)
        {
            match self.contexts.resolve_variable(
                self.workflow,
                idx,
                Some(&binding.variable_id),
                None,
            ) {
                Some(slot) => {
                    if let Err(fault) = self.assign(slot, value.clone()) {
                        self.fault(idx, fault);
                    }
                }
                None => {
                    let declared = match self.enclosing_composite(idx) {
                        Some(composite) => {
                            &self
                                .workflow
                                .node(self.contexts.get(composite).node)
                                .declared_outputs
                        }
                        None => &self.workflow.output_names,
                    };
                    if declared.contains(&binding.variable_id) {
                        let output = binding.variable_id.clone();
                        self.set_workflow_output(idx, output, value.clone());
                    }
                }
            }
        }
        let outputs = &mut self.contexts.get_mut(idx).outputs;
        match outputs.get_mut(name) {
            Some(slot) => *slot = value,
            None => {
                outputs.insert(name.to_owned(), value);
            }
        }
    }

    /// Cancels a running context and everything it owns; its owner is not called back.
    pub fn cancel(&mut self, idx: ContextIdx) {
        if self.contexts.get(idx).status != ActivityStatus::Running {
            return;
        }
        self.cancel_children(idx);
        let contexts = &self.contexts;
        self.scheduler
            .unschedule(|owner| contexts.is_descendant_or_self(owner, idx));
        let now = self.clock.now();
        let context = self.contexts.get_mut(idx);
        context.status = ActivityStatus::Canceled;
        context.completed_at = Some(now);
        let (parent, node) = (context.parent, context.node);
        self.journal(idx, "Canceled", None, None);
        self.scheduler.remove_callbacks_of(idx);
        self.remove_bookmarks_of(idx);
        if let Some(owner) = parent {
            self.scheduler.take_callback(owner, node);
        }
    }

    /// Elsa's `BreakSignal`: offered to each ancestor of `idx`, nearest first, until one
    /// consumes it (a loop). Sequences and forks take note and let it pass.
    pub fn send_break(&mut self, idx: ContextIdx) -> Result<(), Fault> {
        let ancestors: Vec<_> = self.contexts.lineage(idx).skip(1).collect();
        for ancestor in ancestors {
            if self.contexts.get(ancestor).status != ActivityStatus::Running {
                continue;
            }
            let node = self.workflow.node(self.contexts.get(ancestor).node);
            if node
                .activity
                .on_break(&mut ActivityContext::new(self, ancestor))?
            {
                break;
            }
        }
        Ok(())
    }

    fn cancel_children(&mut self, idx: ContextIdx) {
        let children: Vec<_> = self
            .contexts
            .children(idx)
            .filter(|child| !self.contexts.get(*child).status.is_finished())
            .collect();
        for child in children {
            self.cancel_children(child);
            let now = self.clock.now();
            let context = self.contexts.get_mut(child);
            context.status = ActivityStatus::Canceled;
            context.completed_at = Some(now);
            self.journal(child, "Canceled", None, None);
            self.scheduler.remove_callbacks_of(child);
            self.remove_bookmarks_of(child);
        }
    }

    /// Records a fault as an incident on the activity and applies the FaultStrategy.
    pub fn fault(&mut self, idx: ContextIdx, fault: Fault) {
        let now = self.clock.now();
        let exception = fault.exception_state();
        let context = self.contexts.get_mut(idx);
        context.status = ActivityStatus::Faulted;
        context.completed_at = Some(now);
        context.exception = Some(exception.clone());
        let lineage: Vec<_> = self.contexts.lineage(idx).collect();
        for context in lineage {
            self.contexts.get_mut(context).fault_count += 1;
        }
        let mut payload = json!({ "Exception": fault.exception_type, "Message": fault.message });
        if let Some(details) = &fault.details {
            payload["Code"] = Value::from(details.code.as_str());
            payload["Category"] = Value::from(details.category.as_str());
            payload["Type"] = Value::from(details.fault_type.as_str());
        }
        self.journal(idx, "Faulted", Some(fault.message.clone()), Some(payload));
        let context = self.contexts.get(idx);
        let node = self.workflow.node(context.node);
        self.incidents.push(Incident {
            activity_id: node.id.to_string(),
            activity_node_id: node.node_id.to_string(),
            activity_instance_id: context.id.to_string(),
            activity_type: node.type_name.to_string(),
            message: fault.message,
            exception: Some(exception),
            timestamp: now,
        });
        // ContinueWithIncidents: only this branch stops; the workflow ends Suspended.
        if self.workflow.incident_strategy == IncidentStrategy::Fault {
            self.sub_status = WorkflowSubStatus::Faulted;
        }
    }

    /// Appends a journal entry if it fits the run's journal budget; otherwise notes the breach
    /// (the first one) for the run to fault on, and appends nothing more but the fault's own.
    fn journal(
        &mut self,
        idx: ContextIdx,
        event: &'static str,
        message: Option<String>,
        payload: Option<Value>,
    ) {
        if self.journal_unbounded {
            self.append_journal(idx, event, message, payload);
            return;
        }
        if self.over_budget {
            return;
        }
        if self.journal.len() >= self.limits.max_journal_entries {
            let message = budget::exceeded(
                self.limits.max_journal_entries,
                "journal entries",
                budget::MAX_JOURNAL_ENTRIES_SETTING,
            );
            self.breach(idx, message);
            return;
        }
        let record = self.journal_record(idx, event, message, payload);
        let bytes = budget::journal_record_len(&record);
        if self.journal_bytes + bytes > self.limits.max_journal_bytes {
            let message = format!(
                "The workflow exceeded the limit of {} bytes of journal entries in one run ({}).",
                self.limits.max_journal_bytes,
                budget::MAX_JOURNAL_BYTES_SETTING
            );
            self.breach(idx, message);
            return;
        }
        self.push_journal(record, bytes);
    }

    /// A journal entry past any budget: a budget fault's own, cancellation's.
    fn append_journal(
        &mut self,
        idx: ContextIdx,
        event: &'static str,
        message: Option<String>,
        payload: Option<Value>,
    ) {
        let record = self.journal_record(idx, event, message, payload);
        let bytes = budget::journal_record_len(&record);
        self.push_journal(record, bytes);
    }

    /// Estimated bytes of the journal as the store writes it.
    pub fn journal_bytes(&self) -> usize {
        self.journal_bytes
    }

    fn push_journal(&mut self, record: WorkflowExecutionLogRecord, bytes: usize) {
        self.journal.push(record);
        self.journal_bytes += bytes;
        self.sequence += 1;
    }

    fn breach(&mut self, idx: ContextIdx, message: String) {
        self.over_budget = true;
        self.budget_breach.get_or_insert((idx, message));
    }

    /// Faults the activity whose journal entry did not fit, if one did not.
    fn fault_on_budget_breach(&mut self) {
        if let Some((idx, message)) = self.budget_breach.take() {
            self.fault_instance(idx, message);
        }
    }

    /// A budget fault: an incident on `idx`, and the instance faults whatever its incident
    /// strategy (the budget holds for every branch). Its `Faulted` entry is journaled past the
    /// budget.
    pub(crate) fn fault_instance(&mut self, idx: ContextIdx, message: String) {
        self.over_budget = true;
        let unbounded = std::mem::replace(&mut self.journal_unbounded, true);
        self.fault(idx, Fault::invalid_operation(message));
        self.journal_unbounded = unbounded;
        self.sub_status = WorkflowSubStatus::Faulted;
    }

    fn journal_record(
        &self,
        idx: ContextIdx,
        event: &'static str,
        message: Option<String>,
        payload: Option<Value>,
    ) -> WorkflowExecutionLogRecord {
        let context = self.contexts.get(idx);
        let node = self.workflow.node(context.node);
        WorkflowExecutionLogRecord {
            id: self.ids.new_id(),
            workflow_definition_id: self.workflow.definition_id.clone(),
            workflow_definition_version_id: self.workflow.definition_version_id.clone(),
            workflow_instance_id: self.instance_id.clone(),
            workflow_version: self.workflow.definition_version,
            activity_instance_id: context.id.clone(),
            parent_activity_instance_id: context
                .parent
                .map(|parent| self.contexts.get(parent).id.clone()),
            activity_id: node.id.clone(),
            activity_type: node.type_name.clone(),
            activity_type_version: node.type_version,
            activity_name: node.name.clone(),
            activity_node_id: node.node_id.clone(),
            timestamp: self.clock.now(),
            sequence: self.sequence,
            event_name: Some(Cow::Borrowed(event)),
            message,
            source: None,
            payload,
        }
    }
}

/// `{"Outcomes": [...]}`, built directly rather than through a serializer.
pub(crate) fn outcomes_payload(outcomes: &[String]) -> Value {
    let outcomes = outcomes.iter().map(|o| Value::from(o.as_str())).collect();
    Value::Object(Map::from_iter([(
        "Outcomes".to_owned(),
        Value::Array(outcomes),
    )]))
}
