//! `Elsa.Event`: waits for an event published by name (`Elsa.Event {eventName}`); as the
//! workflow's trigger it completes at once. Either way its `Result` is the event payload,
//! which travels in the workflow input under `__EventPayloadWorkflowInput`.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, InputDescriptor, OutputDescriptor, PortDescriptor,
};
use crate::values::display;
use elsa_model::Bookmark;
use serde_json::{Map, Value, json};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Event",
    version: 1,
    category: "Primitives",
    display_name: "Event",
    description: "Wait for an event to be triggered.",
    kind: ActivityKind::Trigger,
    inputs: &[InputDescriptor::new(
        "EventName",
        "String",
        "The name of the event to listen for.",
    )],
    outputs: &[OutputDescriptor {
        name: "Result",
        type_name: "Object",
        description: "The payload of the event.",
    }],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(Event)),
};

/// The workflow input key event payloads travel under.
const PAYLOAD_INPUT: &str = "__EventPayloadWorkflowInput";

#[derive(Debug)]
struct Event;

impl Event {
    fn complete_with_payload(cx: &mut ActivityContext<'_, '_>) {
        let payload = cx.workflow_input(PAYLOAD_INPUT).clone();
        cx.set_output("Result", payload);
        cx.complete();
    }
}

impl Activity for Event {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        if cx.is_trigger() {
            Self::complete_with_payload(cx);
        } else {
            let name = display(cx.input("EventName"));
            cx.create_bookmark("Elsa.Event", json!({ "eventName": name }));
        }
        Ok(())
    }

    fn resume(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _bookmark: &Bookmark,
        _input: &Map<String, Value>,
    ) -> Result<(), Fault> {
        Self::complete_with_payload(cx);
        Ok(())
    }
}
