//! What the loop activities share: the iteration variables they declare for their body, how
//! one iteration is started, and how a loop answers `Break`.

use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::loader::NodeBuilder;
use crate::registry::{InputDescriptor, OutputDescriptor};
use crate::workflow::{NodeIdx, VarIdx};
use serde_json::Value;

pub(super) const CURRENT_VALUE: &str = "CurrentValue";
pub(super) const CURRENT_INDEX: &str = "CurrentIndex";

pub(super) const CURRENT_VALUE_OUTPUT: OutputDescriptor = OutputDescriptor {
    name: CURRENT_VALUE,
    type_name: "Object",
    description: "The value of the current iteration.",
};

pub(super) const ITEMS_INPUT: InputDescriptor =
    InputDescriptor::new("Items", "Object", "The items to iterate over.");

/// The variables each execution of a loop body declares: `CurrentValue` and, for loops over
/// items, `CurrentIndex`. Scripts in the body read them by name (`getCurrentValue()`).
#[derive(Debug)]
pub(super) struct IterationVariables {
    value: VarIdx,
    index: Option<VarIdx>,
}

impl IterationVariables {
    pub fn declare(builder: &mut NodeBuilder<'_, '_>, with_index: bool) -> Self {
        Self {
            value: builder.iteration_variable(CURRENT_VALUE),
            index: with_index.then(|| builder.iteration_variable(CURRENT_INDEX)),
        }
    }

    /// Schedules one execution of `body` for the item at `index` with `value`.
    pub fn run_body(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        body: NodeIdx,
        index: usize,
        value: Value,
    ) {
        let mut variables = vec![(self.value, value)];
        if let Some(index_variable) = self.index {
            variables.push((index_variable, Value::from(index)));
        }
        cx.schedule_with_variables(body, variables);
    }
}

/// The items of an `Items` input: an array as is, `null` as none, anything else as one item.
pub(super) fn items(value: &Value) -> Vec<Value> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// Item `index` of an `Items` input (see [`items`]), without copying the others.
pub(super) fn item(value: &Value, index: usize) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Array(items) => items.get(index).cloned(),
        other => (index == 0).then(|| other.clone()),
    }
}

/// A loop consumes `Break`: it completes, cancelling its running body.
pub(super) fn break_loop(cx: &mut ActivityContext<'_, '_>) -> Result<bool, Fault> {
    cx.complete();
    Ok(true)
}

/// Where a sequential loop's values come from: `ForEach` items or `For` counter values.
pub(super) trait LoopValues: Send + Sync + std::fmt::Debug {
    /// The value of iteration `iteration`, or `None` when the loop is done.
    fn value(&self, cx: &ActivityContext<'_, '_>, iteration: usize)
    -> Result<Option<Value>, Fault>;
}

/// A loop that runs its body once per value, one iteration after another, with the running
/// iteration kept in a context property (so it survives suspension).
#[derive(Debug)]
pub(super) struct SequentialLoop<V> {
    pub body: Option<NodeIdx>,
    pub variables: IterationVariables,
    /// Name of the context property holding the running iteration.
    pub iteration_property: &'static str,
    pub values: V,
}

impl<V: LoopValues> SequentialLoop<V> {
    fn iterate(&self, cx: &mut ActivityContext<'_, '_>, iteration: usize) -> Result<(), Fault> {
        let value = self.values.value(cx, iteration)?;
        match (self.body, value) {
            (Some(body), Some(value)) => {
                cx.set_property(self.iteration_property, &iteration)?;
                cx.set_output(CURRENT_VALUE, value.clone());
                self.variables.run_body(cx, body, iteration, value);
            }
            // Without a body there is nothing to iterate.
            _ => cx.complete(),
        }
        Ok(())
    }
}

impl<V: LoopValues> Activity for SequentialLoop<V> {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        self.iterate(cx, 0)
    }

    fn on_child_completed(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _child: &CompletedChild,
    ) -> Result<(), Fault> {
        let current: usize = cx.property(self.iteration_property)?.unwrap_or_default();
        self.iterate(cx, current + 1)
    }

    fn on_break(&self, cx: &mut ActivityContext<'_, '_>) -> Result<bool, Fault> {
        break_loop(cx)
    }
}
