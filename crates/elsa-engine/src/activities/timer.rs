//! `Elsa.Timer`: as a workflow's trigger it starts it every interval (the runtime schedules
//! that) and completes at once; inside a workflow it waits one interval.

use super::Activity;
use super::timing::{after, time_span_input, wait_until};
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, PortDescriptor,
};
use serde_json::Map;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Timer",
    version: 1,
    category: "Scheduling",
    display_name: "Timer",
    description: "Trigger workflow execution at a specific interval.",
    kind: ActivityKind::Trigger,
    inputs: &[InputDescriptor::new(
        "Interval",
        "TimeSpan",
        "The interval at which the timer should execute.",
    )
    .default(DefaultValue::Str("00:01:00"))],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(Timer)),
};

#[derive(Debug)]
struct Timer;

impl Activity for Timer {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        if cx.is_trigger() {
            cx.complete();
            return Ok(());
        }
        let at = after(cx, time_span_input(cx, "Interval")?)?;
        wait_until(cx, "Elsa.Timer", "resumeAt", at, Map::new());
        Ok(())
    }
}
