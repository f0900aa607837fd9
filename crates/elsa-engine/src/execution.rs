//! One run ("burst") of a workflow instance: the run loop and the activity lifecycle
//! (execute, complete, cancel, fault), journaling every transition.

use crate::activities::CompletedChild;
use crate::activity_context::ActivityContext;
use crate::clock::{Clock, IdGenerator};
use crate::context::{ActivityStatus, ContextIdx, Contexts, ExecutionContext, VariableSlot};
use crate::engine::StartRequest;
use crate::error::Fault;
use crate::expressions::javascript::ScriptLimits;
use crate::scheduler::{Scheduler, WorkItem};
use crate::workflow::{NodeIdx, Workflow};
use elsa_model::{Incident, Timestamp, WorkflowExecutionLogRecord, WorkflowSubStatus};
use serde_json::{Map, Value, json};

/// Limits a run observes, from the engine options.
#[derive(Debug, Clone)]
pub(crate) struct RunLimits {
    pub script: ScriptLimits,
    /// Guards against flowchart loops that never end.
    pub max_activity_executions: usize,
}

/// The mutable state of a run.
pub(crate) struct Execution<'w> {
    pub workflow: &'w Workflow,
    pub limits: &'w RunLimits,
    clock: &'w dyn Clock,
    pub ids: &'w dyn IdGenerator,
    pub request: StartRequest,
    /// The workflow input as scripts see it: every declared input (null when not given) plus
    /// whatever the request passed.
    pub script_input: Map<String, Value>,
    pub created_at: Timestamp,
    pub contexts: Contexts,
    pub scheduler: Scheduler,
    pub journal: Vec<WorkflowExecutionLogRecord>,
    /// The next journal sequence number (`executionLogSequence`).
    pub sequence: i64,
    pub incidents: Vec<Incident>,
    pub lines: Vec<String>,
    pub sub_status: WorkflowSubStatus,
    executed: usize,
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
        Self {
            workflow,
            limits,
            clock,
            ids,
            request,
            script_input,
            created_at: clock.now(),
            contexts: Contexts::with_capacity(workflow.nodes.len()),
            scheduler: Scheduler::default(),
            // Started + Completed per activity, usually: avoids regrowing a vector of large records.
            journal: Vec::with_capacity(workflow.nodes.len() * 2),
            sequence: 0,
            incidents: Vec::new(),
            lines: Vec::new(),
            sub_status: WorkflowSubStatus::Pending,
            executed: 0,
        }
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
        });
        while let Some(item) = self.scheduler.next() {
            self.execute(item);
            if self.sub_status == WorkflowSubStatus::Faulted {
                // FaultStrategy: nothing else runs in this burst and nothing can resume.
                self.scheduler.clear();
                return;
            }
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
        let context = ExecutionContext {
            id: self.ids.new_id(),
            node: item.node,
            parent: item.owner,
            status: ActivityStatus::Running,
            variables: node
                .variables
                .iter()
                .map(|var| (*var, self.workflow.variable(*var).initial.clone()))
                .collect(),
            input: item.input,
            activity_state: Map::new(),
            outputs: Map::new(),
            properties: Map::new(),
            outcomes: Vec::new(),
            fault_count: 0,
            exception: None,
            started_at: self.clock.now(),
            completed_at: None,
        };
        let idx = self.contexts.add(context);
        self.journal(idx, "Started", None, None);
        self.executed += 1;
        if self.executed > self.limits.max_activity_executions {
            let limit = self.limits.max_activity_executions;
            let message = format!(
                "The workflow exceeded the limit of {limit} activity executions in one run."
            );
            self.fault(idx, Fault::invalid_operation(message));
            return;
        }
        let result = self
            .evaluate_inputs(idx)
            .and_then(|()| node.activity.execute(&mut ActivityContext::new(self, idx)));
        if let Err(fault) = result {
            self.fault(idx, fault);
        }
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
    pub fn schedule(&mut self, owner: ContextIdx, node: NodeIdx, input: Map<String, Value>) {
        self.scheduler.schedule(WorkItem {
            node,
            owner: Some(owner),
            input,
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
        context.outcomes = outcomes;
        let payload = json!({ "Outcomes": context.outcomes });
        self.journal(idx, "Completed", None, Some(payload));
        self.scheduler.remove_callbacks_of(idx);
        self.notify_owner(idx);
    }

    /// Invokes the completion callback the owner registered when it scheduled `idx`.
    fn notify_owner(&mut self, idx: ContextIdx) {
        let context = self.contexts.get(idx);
        let Some(owner) = context.parent else { return };
        if !self.scheduler.take_callback(owner, context.node) {
            return;
        }
        let child = CompletedChild {
            node: context.node,
            outcomes: context.outcomes.clone(),
            input: context.input.clone(),
        };
        let owner_node = self.workflow.node(self.contexts.get(owner).node);
        if let Err(fault) = owner_node
            .activity
            .on_child_completed(&mut ActivityContext::new(self, owner), &child)
        {
            self.fault(owner, fault);
        }
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
        let payload = json!({ "Exception": fault.exception_type, "Message": fault.message });
        self.journal(idx, "Faulted", Some(fault.message.clone()), Some(payload));
        let context = self.contexts.get(idx);
        let node = self.workflow.node(context.node);
        self.incidents.push(Incident {
            activity_id: node.id.clone(),
            activity_node_id: node.node_id.clone(),
            activity_instance_id: context.id.clone(),
            activity_type: node.descriptor.type_name.to_owned(),
            message: fault.message,
            exception: Some(exception),
            timestamp: now,
        });
        self.sub_status = WorkflowSubStatus::Faulted;
    }

    fn journal(
        &mut self,
        idx: ContextIdx,
        event: &str,
        message: Option<String>,
        payload: Option<Value>,
    ) {
        let context = self.contexts.get(idx);
        let node = self.workflow.node(context.node);
        self.journal.push(WorkflowExecutionLogRecord {
            id: self.ids.new_id(),
            workflow_definition_id: self.workflow.definition_id.clone(),
            workflow_definition_version_id: self.workflow.definition_version_id.clone(),
            workflow_instance_id: self.request.instance_id.clone(),
            workflow_version: self.workflow.definition_version,
            activity_instance_id: context.id.clone(),
            parent_activity_instance_id: context
                .parent
                .map(|parent| self.contexts.get(parent).id.clone()),
            activity_id: node.id.clone(),
            activity_type: node.descriptor.type_name.to_owned(),
            activity_type_version: node.descriptor.version,
            activity_name: node.name.clone(),
            activity_node_id: node.node_id.clone(),
            timestamp: self.clock.now(),
            sequence: self.sequence,
            event_name: Some(event.to_owned()),
            message,
            source: None,
            payload,
        });
        self.sequence += 1;
    }
}
