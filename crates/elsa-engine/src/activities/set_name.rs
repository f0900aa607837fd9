//! `Elsa.SetName`: sets the instance's name.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, PortDescriptor,
};
use crate::values::display;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.SetName",
    version: 1,
    category: "Primitives",
    display_name: "Set Name",
    description: "Set the name of the workflow instance to a given value.",
    kind: ActivityKind::Action,
    inputs: &[InputDescriptor::new(
        "Value",
        "String",
        "The value to set as the workflow instance's name.",
    )
    .default(DefaultValue::Str(""))],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(SetName)),
};

#[derive(Debug)]
struct SetName;

impl Activity for SetName {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let name = display(cx.input("Value"));
        cx.set_workflow_name(Some(name));
        cx.complete();
        Ok(())
    }
}
