//! `Elsa.StartAt`: waits until a point in time (`Elsa.StartAt {executeAt}`); a time already
//! past, or being the workflow's trigger, completes at once.

use super::Activity;
use super::timing::wait_until;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor, PortDescriptor};
use elsa_model::Timestamp;
use serde_json::Map;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.StartAt",
    version: 1,
    category: "Scheduling",
    display_name: "Start At",
    description: "Trigger execution at a specific time in the future.",
    kind: ActivityKind::Trigger,
    inputs: &[InputDescriptor::new(
        "DateTime",
        "DateTimeOffset",
        "The timestamp at which the workflow should be triggered.",
    )],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(StartAt)),
};

#[derive(Debug)]
struct StartAt;

impl Activity for StartAt {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let value = cx.input("DateTime").clone();
        let at: Timestamp = serde_json::from_value(value.clone()).map_err(|_| {
            Fault::invalid_operation(format!("{value} is not a valid DateTimeOffset."))
        })?;
        if cx.is_trigger() || at <= cx.now() {
            cx.complete();
        } else {
            wait_until(cx, "Elsa.StartAt", "executeAt", at, Map::new());
        }
        Ok(())
    }
}
