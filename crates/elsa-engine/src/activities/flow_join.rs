//! `Elsa.FlowJoin`: a merge point of flowchart branches. It completes at once when it runs;
//! *whether* it runs is the flowchart's decision, made by [`JoinMode`] (see `flowchart`).

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, PortDescriptor,
};
use crate::values::display;
use crate::workflow::ActivityNode;
use serde_json::Value;

/// The input holding the join mode.
pub(super) const MODE: &str = "Mode";

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.FlowJoin",
    version: 1,
    category: "Branching",
    display_name: "Join",
    description: "Merge multiple branches into a single branch of execution.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new(MODE, "FlowJoinMode", "The join mode to use.")
            .default(DefaultValue::Str("WaitAny"))
            .ui_hint("dropdown"),
    ],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(FlowJoin)),
};

/// How a flowchart target with several inbound connections waits for them.
// The variants are Elsa's `FlowJoinMode` names, `Wait` prefix included.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JoinMode {
    /// Wait for every inbound connection; run if all were followed, else skip.
    WaitAll,
    /// Wait for every inbound connection; run if one of the latest visits was followed, else
    /// skip. The implicit join of every other activity.
    WaitAllActive,
    /// Run on the first followed inbound connection and cancel the other inbound branches.
    WaitAny,
}

pub(super) fn is_flow_join(node: &ActivityNode) -> bool {
    std::ptr::eq(node.descriptor, &DESCRIPTOR)
}

/// Reads an evaluated `Mode` by name; unset means the default, `WaitAny`.
pub(super) fn mode(value: &Value) -> Result<JoinMode, Fault> {
    match display(value).trim().to_ascii_lowercase().as_str() {
        "waitall" => Ok(JoinMode::WaitAll),
        "waitallactive" => Ok(JoinMode::WaitAllActive),
        "waitany" | "" => Ok(JoinMode::WaitAny),
        other => Err(Fault::invalid_operation(format!(
            "'{other}' is not a join mode (WaitAll, WaitAllActive, WaitAny)."
        ))),
    }
}

#[derive(Debug)]
struct FlowJoin;

impl Activity for FlowJoin {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        cx.complete();
        Ok(())
    }
}
