//! `Elsa.FlowDecision`: completes with outcome `True` or `False`.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, PortDescriptor,
};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.FlowDecision",
    version: 1,
    category: "Branching",
    display_name: "Decision",
    description: "Evaluate a Boolean condition to determine which path to execute next.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new("Condition", "Boolean", "The condition to evaluate.")
            .default(DefaultValue::Bool(false)),
    ],
    outputs: &[],
    ports: &[PortDescriptor::flow("True"), PortDescriptor::flow("False")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(FlowDecision)),
};

#[derive(Debug)]
struct FlowDecision;

impl Activity for FlowDecision {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let outcome = if cx.input_bool("Condition") {
            "True"
        } else {
            "False"
        };
        cx.complete_with_outcomes(&[outcome]);
        Ok(())
    }
}
