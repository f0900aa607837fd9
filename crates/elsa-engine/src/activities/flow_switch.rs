//! `Elsa.FlowSwitch`: completes with the labels of the matching cases as outcomes (the first
//! or all, by `Mode`), or `Default` when none matches.

use super::Activity;
use super::switch_cases::{self, CASES_INPUT, MODE_INPUT, SwitchCase};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind, PortDescriptor};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.FlowSwitch",
    version: 1,
    category: "Branching",
    display_name: "Switch (flow)",
    description: "Evaluate a set of case conditions and schedule the activity for a matching case.",
    kind: ActivityKind::Action,
    inputs: &[CASES_INPUT.ui_hint("flow-switch-editor"), MODE_INPUT],
    outputs: &[],
    // Besides `Default`, the case labels are ports, known per activity only.
    ports: &[PortDescriptor::flow(DEFAULT)],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

const DEFAULT: &str = "Default";

#[derive(Debug)]
struct FlowSwitch {
    cases: Vec<SwitchCase>,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    Ok(Box::new(FlowSwitch {
        cases: switch_cases::parse(builder, false)?,
    }))
}

impl Activity for FlowSwitch {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let outcomes: Vec<String> = switch_cases::matching(cx, &self.cases)?
            .into_iter()
            .map(|case| case.label.clone())
            .collect();
        if outcomes.is_empty() {
            cx.complete_with_outcomes(&[DEFAULT]);
        } else {
            cx.complete_with(outcomes);
        }
        Ok(())
    }
}
