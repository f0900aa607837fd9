//! `Elsa.Correlate`: sets the instance's correlation id.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor, PortDescriptor};
use crate::values::display;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Correlate",
    version: 1,
    category: "Primitives",
    display_name: "Correlate",
    description: "Set the CorrelationId of the workflow to a given value.",
    kind: ActivityKind::Action,
    inputs: &[InputDescriptor::new(
        "CorrelationId",
        "String",
        "An expression evaluating to the value to use as the correlation ID.",
    )],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(Correlate)),
};

#[derive(Debug)]
struct Correlate;

impl Activity for Correlate {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let value = cx.input("CorrelationId");
        let correlation_id = (!value.is_null()).then(|| display(value));
        cx.set_correlation_id(correlation_id);
        cx.complete();
        Ok(())
    }
}
