//! What an activity sees while it executes: its evaluated inputs, its context's properties
//! and variables, and the operations it may perform (schedule children, complete, write lines).

use crate::context::{ActivityStatus, ContextIdx};
use crate::error::Fault;
use crate::execution::Execution;
use crate::variables::VariableRef;
use crate::workflow::{NodeIdx, Workflow};
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

    /// The id of the activity that triggered this run, if any.
    pub fn trigger_activity_id(&self) -> Option<&str> {
        self.execution.request.trigger_activity_id.as_deref()
    }

    /// Queues a child; this activity's `on_child_completed` runs when it completes.
    pub fn schedule(&mut self, child: NodeIdx) {
        self.schedule_with_input(child, Map::new());
    }

    pub fn schedule_with_input(&mut self, child: NodeIdx, input: Map<String, Value>) {
        self.execution.schedule(self.idx, child, input);
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
        self.execution
            .contexts
            .get_mut(self.idx)
            .properties
            .insert(key.to_owned(), value);
        Ok(())
    }

    /// Records an output and writes it to the variable it is bound to, if any. A value the
    /// variable cannot hold faults this activity (infallible for the caller: the fault is the
    /// outcome, and a faulted activity's later completion is ignored).
    pub fn set_output(&mut self, name: &str, value: Value) {
        let node = self
            .execution
            .workflow
            .node(self.execution.contexts.get(self.idx).node);
        let bound = node
            .output_bindings
            .iter()
            .find(|binding| binding.output == name)
            .and_then(|binding| {
                self.execution.contexts.resolve_variable(
                    self.execution.workflow,
                    self.idx,
                    Some(&binding.variable_id),
                    None,
                )
            });
        if let Some(slot) = bound
            && let Err(fault) = self.execution.assign(slot, value.clone())
        {
            self.execution.fault(self.idx, fault);
        }
        self.execution
            .contexts
            .get_mut(self.idx)
            .outputs
            .insert(name.to_owned(), value);
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
