//! `Elsa.Delay`: waits for a time span — a bookmark `Elsa.Delay {resumeAt}` that the runtime's
//! scheduler resumes at that time.

use super::Activity;
use super::timing::{after, time_span_input, wait_until};
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, PortDescriptor,
};
use serde_json::Map;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Delay",
    version: 1,
    category: "Scheduling",
    display_name: "Delay",
    description: "Delay execution for the specified amount of time.",
    kind: ActivityKind::Action,
    inputs: &[InputDescriptor::new(
        "TimeSpan",
        "TimeSpan",
        "The amount of time to delay execution.",
    )
    .default(DefaultValue::Str("00:01:00"))],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(Delay)),
};

#[derive(Debug)]
struct Delay;

impl Activity for Delay {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let at = after(cx, time_span_input(cx, "TimeSpan")?)?;
        wait_until(cx, "Elsa.Delay", "resumeAt", at, Map::new());
        Ok(())
    }
}
