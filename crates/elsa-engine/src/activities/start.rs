//! `Elsa.Start`: marks where a flowchart starts; completes at once.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, PortDescriptor};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Start",
    version: 1,
    category: "Flow",
    display_name: "Start",
    description: "A milestone activity that marks the start of a flowchart.",
    kind: ActivityKind::Action,
    inputs: &[],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: true,
    is_terminal: false,
    build: |_| Ok(Box::new(Start)),
};

#[derive(Debug)]
struct Start;

impl Activity for Start {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        cx.complete();
        Ok(())
    }
}
