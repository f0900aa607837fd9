//! `Elsa.FlowFork`: completes with every branch name as an outcome, so a flowchart follows all
//! the connections leaving those ports at once.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor};
use crate::values::display;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.FlowFork",
    version: 1,
    category: "Branching",
    display_name: "Fork",
    description: "Branch execution into multiple branches.",
    kind: ActivityKind::Action,
    inputs: &[InputDescriptor::new(
        "Branches",
        "List<String>",
        "The names of the branches to create.",
    )
    .ui_hint("dynamic-outcomes")],
    outputs: &[],
    // The ports are the branch names, known per activity only.
    ports: &[],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(FlowFork)),
};

#[derive(Debug)]
struct FlowFork;

impl Activity for FlowFork {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let branches: Vec<String> = cx
            .input("Branches")
            .as_array()
            .map(|items| items.iter().map(display).collect())
            .unwrap_or_default();
        if branches.is_empty() {
            cx.complete();
        } else {
            cx.complete_with(branches);
        }
        Ok(())
    }
}
