//! `Elsa.Cron`: waits for the next occurrence of a cron expression (`Elsa.Cron {executeAt,
//! cronExpression}`); as the workflow's trigger it completes at once. Expressions may have a
//! seconds field, as Elsa's accept.

use super::Activity;
use super::timing::wait_until;
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor, PortDescriptor};
use crate::values::display;
use croner::parser::{CronParser, Seconds};
use serde_json::{Map, Value};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Cron",
    version: 1,
    category: "Scheduling",
    display_name: "Cron",
    description: "Trigger workflow execution at a specific interval using a CRON expression.",
    kind: ActivityKind::Trigger,
    inputs: &[InputDescriptor::new(
        "CronExpression",
        "String",
        "The CRON expression at which the timer should execute.",
    )],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(Cron)),
};

#[derive(Debug)]
struct Cron;

impl Activity for Cron {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        if cx.is_trigger() {
            cx.complete();
            return Ok(());
        }
        let expression = display(cx.input("CronExpression"));
        let invalid = |reason: String| {
            Fault::invalid_operation(format!(
                "'{expression}' is not a valid cron expression: {reason}."
            ))
        };
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(&expression)
            .map_err(|e| invalid(e.to_string()))?;
        let at = cron
            .find_next_occurrence(&cx.now(), false)
            .map_err(|e| invalid(e.to_string()))?;
        let extra = Map::from_iter([(
            "cronExpression".to_owned(),
            Value::from(expression.as_str()),
        )]);
        wait_until(cx, "Elsa.Cron", "executeAt", at, extra);
        Ok(())
    }
}
