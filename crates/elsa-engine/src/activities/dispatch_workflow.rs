//! `Elsa.DispatchWorkflow`: starts a child instance on a background worker (through the
//! runtime); completes at once, or — `WaitForCompletion` — when the child has finished, with
//! the child's output as `Result`.

use super::Activity;
use super::child_workflow::{self, CHILD_INPUTS};
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, InputDescriptor, OutputDescriptor, PortDescriptor,
};
use elsa_model::Bookmark;
use serde_json::{Map, Value};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.DispatchWorkflow",
    version: 1,
    category: "Composition",
    display_name: "Dispatch Workflow",
    description: "Create a new workflow instance of the specified workflow and dispatch it for execution.",
    kind: ActivityKind::Action,
    inputs: &[
        CHILD_INPUTS[0],
        CHILD_INPUTS[1],
        CHILD_INPUTS[2],
        CHILD_INPUTS[3],
        InputDescriptor::new(
            "StartNewTrace",
            "Boolean",
            "Start a new trace for the child.",
        )
        .ui_hint("checkbox"),
        InputDescriptor::new("ChannelName", "String", "The channel to dispatch on.")
            .ui_hint("dropdown"),
    ],
    outputs: &[OutputDescriptor {
        name: "Result",
        type_name: "Object",
        description: "The output of the child workflow, when waiting for it.",
    }],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(DispatchWorkflow)),
};

#[derive(Debug)]
struct DispatchWorkflow;

impl Activity for DispatchWorkflow {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let wait = cx.input_bool("WaitForCompletion");
        child_workflow::start(cx, true, wait)?;
        if !wait {
            cx.complete();
        }
        Ok(())
    }

    fn resume(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _bookmark: &Bookmark,
        input: &Map<String, Value>,
    ) -> Result<(), Fault> {
        let output = child_workflow::result(input)
            .get("output")
            .cloned()
            .unwrap_or(Value::Null);
        cx.set_output("Result", output);
        cx.complete();
        Ok(())
    }
}
