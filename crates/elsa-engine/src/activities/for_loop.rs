//! `Elsa.For`: a counter loop from `Start` to `End` by `Step` (a negative step counts down).

use super::Activity;
use super::loops::{CURRENT_VALUE_OUTPUT, IterationVariables, LoopValues, SequentialLoop};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, PortDescriptor,
};
use serde_json::Value;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.For",
    version: 1,
    category: "Looping",
    display_name: "For",
    description: "Iterate over a sequence of steps between a start and an end number.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new("Start", "Int32", "The start of the sequence.")
            .default(DefaultValue::Int(0)),
        InputDescriptor::new("End", "Int32", "The end of the sequence.")
            .default(DefaultValue::Int(0)),
        InputDescriptor::new("Step", "Int32", "The step size of the sequence.")
            .default(DefaultValue::Int(1)),
        InputDescriptor::new(
            "OuterBoundInclusive",
            "Boolean",
            "Whether the end of the sequence is part of it.",
        )
        .default(DefaultValue::Bool(true)),
    ],
    outputs: &[CURRENT_VALUE_OUTPUT],
    ports: &[PortDescriptor::embedded("Body")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

/// Context property holding the number of the running iteration (survives suspension).
const ITERATION: &str = "Iteration";

/// `For` iterates over the counter values from `Start` to `End` by `Step`.
#[derive(Debug)]
struct Counter;

impl LoopValues for Counter {
    fn value(
        &self,
        cx: &ActivityContext<'_, '_>,
        iteration: usize,
    ) -> Result<Option<Value>, Fault> {
        let int = |cx: &ActivityContext<'_, '_>, name| cx.input(name).as_i64().unwrap_or(0);
        let (start, end, step) = (int(cx, "Start"), int(cx, "End"), int(cx, "Step"));
        let inclusive = cx.input("OuterBoundInclusive").as_bool().unwrap_or(true);
        if step == 0 {
            return Err(Fault::invalid_operation(
                "The step of a For loop cannot be 0.",
            ));
        }
        let value = i64::try_from(iteration)
            .ok()
            .and_then(|i| i.checked_mul(step))
            .and_then(|offset| start.checked_add(offset));
        let in_range = value.is_some_and(|value| match (step > 0, inclusive) {
            (true, true) => value <= end,
            (true, false) => value < end,
            (false, true) => value >= end,
            (false, false) => value > end,
        });
        Ok(value.filter(|_| in_range).map(Value::from))
    }
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    Ok(Box::new(SequentialLoop {
        body: builder.child("body")?,
        variables: IterationVariables::declare(builder, false),
        iteration_property: ITERATION,
        values: Counter,
    }))
}
