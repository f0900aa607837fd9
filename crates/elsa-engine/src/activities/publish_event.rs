//! `Elsa.PublishEvent`: publishes an event in the background (the runtime delivers it after
//! this run commits) and completes at once. A local event reaches only this instance's own
//! `Elsa.Event` bookmarks; a global one every waiting instance, and starts every published
//! workflow whose `Elsa.Event` trigger waits for it.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::effects::Effect;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor, PortDescriptor};
use crate::values::display;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.PublishEvent",
    version: 1,
    category: "Primitives",
    display_name: "Publish Event",
    description: "Publishes an event.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new("EventName", "String", "The name of the event to publish."),
        InputDescriptor::new(
            "CorrelationId",
            "String",
            "The correlation ID of the workflows to deliver the event to.",
        ),
        InputDescriptor::new(
            "IsLocalEvent",
            "Boolean",
            "Deliver the event to this workflow instance only.",
        )
        .ui_hint("checkbox"),
        InputDescriptor::new("Payload", "Object", "The payload of the event.")
            .ui_hint("json-editor"),
    ],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(PublishEvent)),
};

#[derive(Debug)]
struct PublishEvent;

impl Activity for PublishEvent {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let event_name = display(cx.input("EventName"));
        if event_name.is_empty() {
            return Err(Fault::invalid_operation("No event name was given."));
        }
        let correlation_id = Some(display(cx.input("CorrelationId"))).filter(|id| !id.is_empty());
        let instance_id = cx
            .input_bool("IsLocalEvent")
            .then(|| cx.instance_id().to_owned());
        let payload = cx.input("Payload").clone();
        cx.effect(Effect::PublishEvent {
            event_name,
            correlation_id,
            instance_id,
            payload,
        });
        cx.complete();
        Ok(())
    }
}
