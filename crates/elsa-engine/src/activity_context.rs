//! What an activity sees while it executes: its evaluated inputs, its context's properties
//! and variables, and the operations it may perform (schedule children, complete, write lines).

use crate::activities::flowchart::scope::FlowScope;
use crate::context::{ActivityStatus, ContextIdx, FLOW_SCOPE};
use crate::effects::Effect;
use crate::engine::FlowchartMode;
use crate::error::Fault;
use crate::execution::Execution;
use crate::expressions::Expression;
use crate::values::ValueType;
use crate::variables::VariableRef;
use crate::workflow::{NodeIdx, VarIdx, Workflow};
use elsa_model::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The outcome most activities complete with.
pub(crate) const DONE: &str = "Done";

static NULL: Value = Value::Null;

/// A handle on one activity execution context for the duration of a call into its activity.
pub(crate) struct ActivityContext<'e, 'w> {
    execution: &'e mut Execution<'w>,
    idx: ContextIdx,
}

impl<'e, 'w> ActivityContext<'e, 'w> {
    pub fn new(execution: &'e mut Execution<'w>, idx: ContextIdx) -> Self {
        Self { execution, idx }
    }

    pub fn workflow(&self) -> &'w Workflow {
        self.execution.workflow
    }

    /// The evaluated value of a wrapped input (`null` when it has none).
    pub fn input(&self, name: &str) -> &Value {
        self.execution
            .contexts
            .get(self.idx)
            .activity_state
            .get(name)
            .unwrap_or(&NULL)
    }

    /// A boolean input; anything but `true` reads as `false`, the .NET default.
    pub fn input_bool(&self, name: &str) -> bool {
        self.input(name).as_bool().unwrap_or(false)
    }

    /// This activity's id.
    pub fn activity_id(&self) -> &'w str {
        let node = self.execution.contexts.get(self.idx).node;
        &self.execution.workflow.node(node).id
    }

    /// Whether this activity is the trigger that started the run: triggers then complete at
    /// once instead of waiting for the stimulus that already happened.
    pub fn is_trigger(&self) -> bool {
        self.trigger_activity_id() == Some(self.activity_id())
    }

    /// What the stimulus that started the run passed to its trigger activity.
    pub fn trigger_input(&self) -> &Map<String, Value> {
        &self.execution.request.trigger_input
    }

    pub fn flowchart_mode(&self) -> FlowchartMode {
        self.execution.flowchart_mode()
    }

    /// The caller's time now.
    pub fn now(&self) -> Timestamp {
        self.execution.now()
    }

    /// A workflow input by name (`null` when absent).
    pub fn workflow_input(&self, name: &str) -> &Value {
        self.execution.request.input.get(name).unwrap_or(&NULL)
    }

    /// Makes this activity wait: see [`Execution::create_bookmark`]. Returns the bookmark id.
    pub fn create_bookmark(&mut self, name: &str, payload: Value) -> String {
        self.execution.create_bookmark(self.idx, name, payload)
    }

    /// A bookmark whose hash covers only `hashed` of its payload (the rest is information).
    pub fn create_bookmark_hashed_on(
        &mut self,
        name: &str,
        payload: Value,
        hashed: &Value,
    ) -> String {
        let hash = crate::bookmarks::bookmark_hash(name, hashed);
        self.execution
            .create_bookmark_with_hash(self.idx, name, payload, hash)
    }

    /// A fresh id from the caller's generator (a child instance id).
    pub fn new_id(&self) -> String {
        self.execution.new_id()
    }

    pub fn instance_id(&self) -> &str {
        &self.execution.request.instance_id
    }

    /// The instance's correlation id, if any (also as changed by `Correlate` in this run).
    pub fn correlation_id(&self) -> Option<&str> {
        self.execution.request.correlation_id.as_deref()
    }

    /// The id of the activity that triggered this run, if any.
    pub fn trigger_activity_id(&self) -> Option<&str> {
        self.execution.request.trigger_activity_id.as_deref()
    }

    /// Queues a child; this activity's `on_child_completed` runs when it completes.
    pub fn schedule(&mut self, child: NodeIdx) {
        self.schedule_with_input(child, Map::new());
    }

    pub fn schedule_with_input(&mut self, child: NodeIdx, input: Map<String, Value>) {
        self.execution.schedule(self.idx, child, input, Vec::new());
    }

    /// Queues a child whose context declares `variables` (a loop's iteration variables).
    pub fn schedule_with_variables(&mut self, child: NodeIdx, variables: Vec<(VarIdx, Value)>) {
        self.execution
            .schedule(self.idx, child, Map::new(), variables);
    }

    /// Whether this activity has queued `child` and it has not run yet.
    pub fn is_queued(&self, child: NodeIdx) -> bool {
        self.execution.scheduler.is_queued(self.idx, child)
    }

    /// Cancels the running children whose activity `matches`; returns their activities.
    pub fn cancel_children_where(&mut self, matches: impl Fn(NodeIdx) -> bool) -> Vec<NodeIdx> {
        let contexts = &self.execution.contexts;
        let running: Vec<_> = contexts
            .children(self.idx)
            .filter(|child| {
                let context = contexts.get(*child);
                context.status == ActivityStatus::Running && matches(context.node)
            })
            .collect();
        running
            .into_iter()
            .map(|child| {
                self.execution.cancel(child);
                self.execution.contexts.get(child).node
            })
            .collect()
    }

    /// Evaluates an expression in this activity's scope.
    pub fn evaluate(
        &mut self,
        expression: &Expression,
        value_type: &ValueType,
    ) -> Result<Value, Fault> {
        self.execution.evaluate(self.idx, expression, value_type)
    }

    /// Evaluates the wrapped input `name` of `node` (this activity or a child) in this scope.
    pub fn evaluate_input_of(&mut self, node: NodeIdx, name: &str) -> Result<Value, Fault> {
        self.execution.evaluate_input_of(self.idx, node, name)
    }

    /// Evaluates this activity's own input `name` again (a loop condition) and stores the value.
    pub fn reevaluate_input(&mut self, name: &str) -> Result<Value, Fault> {
        let node = self.execution.contexts.get(self.idx).node;
        let value = self.execution.evaluate_input_of(self.idx, node, name)?;
        self.execution
            .contexts
            .get_mut(self.idx)
            .activity_state
            .insert(name.to_owned(), value.clone());
        Ok(value)
    }

    /// Runs a script in this scope: its value and the variables it left (see
    /// [`Execution::run_script`]).
    pub fn run_script(&mut self, source: &str) -> Result<(Value, Map<String, Value>), Fault> {
        self.execution.run_script(self.idx, source)
    }

    /// Signals `Break` to the enclosing loop (see [`Execution::send_break`]).
    pub fn send_break(&mut self) -> Result<(), Fault> {
        self.execution.send_break(self.idx)
    }

    /// Completes the workflow from here (`Finish`).
    pub fn complete_workflow(&mut self, outcomes: Vec<String>) {
        if let Some(root) = self.execution.contexts.lineage(self.idx).last() {
            self.execution
                .complete_from_inside(self.idx, root, outcomes);
        }
    }

    /// Completes the enclosing composite — a workflow used as an activity, else the workflow
    /// itself — from here (`Complete`).
    pub fn complete_composite(&mut self, outcomes: Vec<String>) {
        let target = self
            .execution
            .enclosing_composite(self.idx)
            .or_else(|| self.execution.contexts.lineage(self.idx).last());
        if let Some(target) = target {
            self.execution
                .complete_from_inside(self.idx, target, outcomes);
        }
    }

    /// Records an input value this activity evaluated itself (in its `activityState`).
    pub fn set_input_state(&mut self, name: &str, value: Value) {
        self.execution
            .contexts
            .get_mut(self.idx)
            .activity_state
            .insert(name.to_owned(), value);
    }

    /// Whether this context still runs (it may have been completed or cancelled meanwhile).
    pub fn is_running(&self) -> bool {
        self.execution.contexts.get(self.idx).status == ActivityStatus::Running
    }

    /// `SetOutput`: see [`Execution::set_workflow_output`].
    pub fn set_workflow_output(&mut self, name: String, value: Value) {
        self.execution.set_workflow_output(self.idx, name, value);
    }

    pub fn set_correlation_id(&mut self, correlation_id: Option<String>) {
        self.execution.request.correlation_id = correlation_id;
    }

    pub fn set_workflow_name(&mut self, name: Option<String>) {
        self.execution.request.name = name;
    }

    /// Asks the runtime to do something on the workflow's behalf.
    pub fn effect(&mut self, effect: Effect) {
        self.execution.effects.push(effect);
    }

    /// Completes this activity with the `Done` outcome.
    pub fn complete(&mut self) {
        self.complete_with_outcomes(&[DONE]);
    }

    pub fn complete_with_outcomes(&mut self, outcomes: &[&str]) {
        let outcomes = outcomes
            .iter()
            .map(|outcome| (*outcome).to_owned())
            .collect();
        self.execution.complete(self.idx, outcomes);
    }

    pub fn complete_with(&mut self, outcomes: Vec<String>) {
        self.execution.complete(self.idx, outcomes);
    }

    /// Reads activity state persisted in the context's `properties`.
    pub fn property<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Fault> {
        let properties = &self.execution.contexts.get(self.idx).properties;
        properties
            .get(key)
            .map(|value| T::deserialize(value))
            .transpose()
            .map_err(|e| {
                Fault::invalid_operation(format!("Activity property '{key}' is corrupt: {e}."))
            })
    }

    pub fn set_property<T: Serialize>(&mut self, key: &str, value: &T) -> Result<(), Fault> {
        let value = serde_json::to_value(value).map_err(|e| {
            Fault::invalid_operation(format!("Activity property '{key}' cannot be stored: {e}."))
        })?;
        let properties = &mut self.execution.contexts.get_mut(self.idx).properties;
        // Overwriting keeps the key (and its position) without allocating a new one.
        match properties.get_mut(key) {
            Some(slot) => *slot = value,
            None => {
                properties.insert(key.to_owned(), value);
            }
        }
        Ok(())
    }

    /// The flowchart's typed `FlowScope`, if this run stored one ([`Self::put_flow_scope`]).
    pub fn take_flow_scope(&mut self) -> Option<FlowScope> {
        self.execution.contexts.get_mut(self.idx).flow_scope.take()
    }

    /// Stores the flowchart's `FlowScope` typed; it becomes the JSON property `FlowScope` when
    /// the state is produced.
    pub fn put_flow_scope(&mut self, scope: FlowScope) {
        let context = self.execution.contexts.get_mut(self.idx);
        if !context.properties.contains_key(FLOW_SCOPE) {
            context
                .properties
                .insert(FLOW_SCOPE.to_owned(), Value::Null);
        }
        context.flow_scope = Some(scope);
    }

    /// Records an output and writes it to the variable it is bound to, if any. A value the
    /// variable cannot hold faults this activity (infallible for the caller: the fault is the
    /// outcome, and a faulted activity's later completion is ignored).
    pub fn set_output(&mut self, name: &str, value: Value) {
        self.execution.set_output(self.idx, name, value);
    }

    /// A line for the console; the runtime prints it, the engine never does.
    pub fn write_line(&mut self, text: String) {
        self.execution.lines.push(text);
    }

    /// Assigns a variable in scope (matched by id, then by name), converted to its type.
    pub fn set_variable(&mut self, reference: &VariableRef, value: Value) -> Result<(), Fault> {
        let slot = self
            .execution
            .contexts
            .resolve_variable(
                self.execution.workflow,
                self.idx,
                reference.id.as_deref(),
                reference.name.as_deref(),
            )
            .ok_or_else(|| {
                Fault::invalid_operation(format!(
                    "Variable '{}' is not in scope.",
                    reference.label()
                ))
            })?;
        self.execution.assign(slot, value)
    }

    /// Whether a child still runs or work owned by this activity (or its descendants) is queued.
    pub fn has_pending_work(&self) -> bool {
        let contexts = &self.execution.contexts;
        contexts
            .children(self.idx)
            .any(|child| contexts.get(child).status == ActivityStatus::Running)
            || self.execution.scheduler.queued().any(|item| {
                item.owner
                    .is_some_and(|owner| contexts.is_descendant_or_self(owner, self.idx))
            })
    }

    pub fn has_faulted_children(&self) -> bool {
        let contexts = &self.execution.contexts;
        contexts
            .children(self.idx)
            .any(|child| contexts.get(child).status == ActivityStatus::Faulted)
    }
}
