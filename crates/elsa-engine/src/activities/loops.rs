//! What the loop activities share: the iteration variables they declare for their body, how
//! one iteration is started, and how a loop answers `Break`.

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

/// A loop consumes `Break`: it completes, cancelling its running body.
pub(super) fn break_loop(cx: &mut ActivityContext<'_, '_>) -> Result<bool, Fault> {
    cx.complete();
    Ok(true)
}
