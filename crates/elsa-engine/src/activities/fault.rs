//! `Elsa.Fault`: faults on purpose; the fault becomes an incident like any other (§5.5).

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor};
use crate::values::display;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Fault",
    version: 1,
    category: "Primitives",
    display_name: "Fault",
    description: "Faults the workflow.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new("Code", "String", "Code to categorize the fault."),
        InputDescriptor::new("Category", "String", "Category to categorize the fault."),
        InputDescriptor::new("FaultType", "String", "The type of the fault."),
        InputDescriptor::new(
            "Message",
            "String",
            "The message to include with the fault.",
        ),
    ],
    outputs: &[],
    ports: &[],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(FaultActivity)),
};

#[derive(Debug)]
struct FaultActivity;

impl Activity for FaultActivity {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        // Elsa's defaults for what the designer left empty.
        let text = |cx: &ActivityContext<'_, '_>, name, default: &str| {
            Some(display(cx.input(name)))
                .filter(|text| !text.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let fault = Fault::new("FaultException", text(cx, "Message", "Fault")).with_details(
            text(cx, "Code", "0"),
            text(cx, "Category", "General"),
            text(cx, "FaultType", "System"),
        );
        Err(fault)
    }
}
