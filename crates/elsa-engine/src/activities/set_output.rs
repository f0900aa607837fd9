//! `Elsa.SetOutput`: sets a workflow output (`workflowState.output[name]`). Once workflows run
//! as activities, the nearest composite's output takes it instead.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor, PortDescriptor};
use crate::values::display;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.SetOutput",
    version: 1,
    category: "Composition",
    display_name: "Set Output",
    description: "Assign a value to a workflow output.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new("OutputName", "String", "The output to assign.")
            .ui_hint("output-picker"),
        InputDescriptor::new("OutputValue", "Object", "The value to assign."),
    ],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(SetOutput)),
};

#[derive(Debug)]
struct SetOutput;

impl Activity for SetOutput {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let name = display(cx.input("OutputName"));
        if name.is_empty() {
            return Err(Fault::invalid_operation("SetOutput needs an output name."));
        }
        let value = cx.input("OutputValue").clone();
        cx.set_workflow_output(name, value);
        cx.complete();
        Ok(())
    }
}
