//! `Elsa.Cron`: waits for the next occurrence of a cron expression (`Elsa.Cron {executeAt,
//! cronExpression}`); as the workflow's trigger it completes at once. Expressions are Cronos'
//! six-field format (see [`crate::cron`]); occurrences are computed in UTC, as Elsa does.

use super::Activity;
use super::timing::wait_until;
use crate::activity_context::ActivityContext;
use crate::cron::CronExpression;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor, PortDescriptor};
use crate::values::display;
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
        // Elsa's Cronos throws a `CronFormatException` with the message publish validation
        // reports.
        let cron = CronExpression::parse(&expression)
            .map_err(|message| Fault::new("CronFormatException", message))?;
        let now = cx.now();
        let at = cron.next_after(now).ok_or_else(|| {
            Fault::invalid_operation(format!(
                "The cron expression '{expression}' has no occurrence after {now}."
            ))
        })?;
        let extra = Map::from_iter([(
            "cronExpression".to_owned(),
            Value::from(expression.as_str()),
        )]);
        wait_until(cx, "Elsa.Cron", "executeAt", at, extra);
        Ok(())
    }
}
