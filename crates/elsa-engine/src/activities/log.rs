//! `Elsa.Log`: a structured log entry. The engine does no I/O: the entry is an
//! [`Effect::Log`] in the run result and the runtime hands it to its logger.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::effects::{Effect, LogLevel};
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, DefaultValue, InputDescriptor, PortDescriptor,
};
use crate::values::display;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Log",
    version: 1,
    category: "Primitives",
    display_name: "Log",
    description: "Log a message.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new("Message", "String", "The message to log."),
        InputDescriptor::new("Level", "LogLevel", "The log level.")
            .default(DefaultValue::Str("Information"))
            .ui_hint("dropdown"),
        InputDescriptor::new("Category", "String", "The log category.")
            .default(DefaultValue::Str("Process")),
        InputDescriptor::new(
            "Arguments",
            "Object",
            "Values for the message's placeholders.",
        )
        .ui_hint("json-editor"),
    ],
    outputs: &[],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(Log)),
};

#[derive(Debug)]
struct Log;

impl Activity for Log {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let effect = Effect::Log {
            level: LogLevel::parse(&display(cx.input("Level"))),
            category: display(cx.input("Category")),
            message: display(cx.input("Message")),
            arguments: cx.input("Arguments").clone(),
        };
        cx.effect(effect);
        cx.complete();
        Ok(())
    }
}
