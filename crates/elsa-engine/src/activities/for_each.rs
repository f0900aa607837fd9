//! `Elsa.ForEach`: runs its body once per item, one after another.

use super::Activity;
use super::loops::{
    self, CURRENT_INDEX, CURRENT_VALUE_OUTPUT, ITEMS_INPUT, IterationVariables, LoopValues,
    SequentialLoop,
};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind, PortDescriptor};
use serde_json::Value;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.ForEach",
    version: 1,
    category: "Looping",
    display_name: "For Each",
    description: "Iterate over a set of values.",
    kind: ActivityKind::Action,
    inputs: &[ITEMS_INPUT],
    outputs: &[CURRENT_VALUE_OUTPUT],
    ports: &[PortDescriptor::embedded("Body")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

/// `ForEach` iterates over the items of its `Items` input.
#[derive(Debug)]
struct Items;

impl LoopValues for Items {
    fn value(&self, cx: &ActivityContext<'_, '_>, index: usize) -> Result<Option<Value>, Fault> {
        Ok(loops::item(cx.input(ITEMS_INPUT.name), index))
    }
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    Ok(Box::new(SequentialLoop {
        body: builder.child("body")?,
        variables: IterationVariables::declare(builder, true),
        // The index of the running iteration is the property Elsa's ForEach keeps.
        iteration_property: CURRENT_INDEX,
        values: Items,
    }))
}
