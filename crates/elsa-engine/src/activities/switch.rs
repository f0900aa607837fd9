//! `Elsa.Switch`: runs the activities of the matching cases (the first or all, by `Mode`), or
//! `Default` when none matches; completes when they have all completed.

use super::switch_cases::{self, CASES_INPUT, MODE_INPUT, SwitchCase};
use super::{Activity, CompletedChild};
use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::loader::NodeBuilder;
use crate::registry::{ActivityDescriptor, ActivityKind, OutputDescriptor, PortDescriptor};
use crate::workflow::NodeIdx;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Switch",
    version: 1,
    category: "Branching",
    display_name: "Switch",
    description: "Evaluate a set of case conditions and schedule the activity for a matching case.",
    kind: ActivityKind::Action,
    inputs: &[CASES_INPUT.ui_hint("switch-editor"), MODE_INPUT],
    outputs: &[OutputDescriptor {
        name: "Output",
        type_name: "Object",
        description: "The output of the switch.",
    }],
    ports: &[PortDescriptor::embedded("Default")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build,
};

#[derive(Debug)]
struct Switch {
    cases: Vec<SwitchCase>,
    default: Option<NodeIdx>,
}

fn build(builder: &mut NodeBuilder<'_, '_>) -> Result<Box<dyn Activity>, LoadError> {
    Ok(Box::new(Switch {
        cases: switch_cases::parse(builder, true)?,
        default: builder.child("default")?,
    }))
}

impl Activity for Switch {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let matched = switch_cases::matching(cx, &self.cases)?;
        let activities: Vec<NodeIdx> = if matched.is_empty() {
            self.default.into_iter().collect()
        } else {
            matched.iter().filter_map(|case| case.activity).collect()
        };
        if activities.is_empty() {
            cx.complete();
        }
        for activity in activities {
            cx.schedule(activity);
        }
        Ok(())
    }

    fn on_child_completed(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _child: &CompletedChild,
    ) -> Result<(), Fault> {
        if !cx.has_pending_work() {
            cx.complete();
        }
        Ok(())
    }
}
