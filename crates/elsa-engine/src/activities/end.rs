//! `Elsa.End`: a terminal activity; completing it completes the enclosing flowchart.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.End",
    version: 1,
    category: "Flow",
    display_name: "End",
    description: "A milestone activity that marks the end of a flowchart.",
    kind: ActivityKind::Action,
    inputs: &[],
    outputs: &[],
    ports: &[],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: true,
    build: |_| Ok(Box::new(End)),
};

#[derive(Debug)]
struct End;

impl Activity for End {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        // No outcomes: the flowchart ends here instead of following connections.
        cx.complete_with_outcomes(&[]);
        Ok(())
    }
}
