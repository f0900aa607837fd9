//! `Elsa.Finish`: finishes the workflow at once — queued work is dropped, running activities
//! are cancelled, and the instance ends `Finished`.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Finish",
    version: 1,
    category: "Primitives",
    display_name: "Finish",
    description: "Mark the workflow as finished.",
    kind: ActivityKind::Action,
    inputs: &[],
    outputs: &[],
    ports: &[],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: true,
    build: |_| Ok(Box::new(Finish)),
};

#[derive(Debug)]
struct Finish;

impl Activity for Finish {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        cx.complete_workflow(Vec::new());
        Ok(())
    }
}
