//! `Elsa.ExecuteWorkflow`: runs a child instance inline (through the runtime, before this
//! workflow continues) and completes with its `ExecuteWorkflowResult` — after the child's
//! first run, or when it has finished with `WaitForCompletion`. It always waits on a bookmark:
//! the runtime resumes it with the result.

use super::Activity;
use super::child_workflow::{self, CHILD_INPUTS};
use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, OutputDescriptor, PortDescriptor};
use elsa_model::Bookmark;
use serde_json::{Map, Value};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.ExecuteWorkflow",
    version: 1,
    category: "Composition",
    display_name: "Execute Workflow",
    description: "Execute a new workflow instance of the specified workflow.",
    kind: ActivityKind::Task,
    inputs: &CHILD_INPUTS,
    outputs: &[OutputDescriptor {
        name: "Result",
        type_name: "ExecuteWorkflowResult",
        description: "The child's instance id, status, sub-status and output.",
    }],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(ExecuteWorkflow)),
};

#[derive(Debug)]
struct ExecuteWorkflow;

impl Activity for ExecuteWorkflow {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        child_workflow::start(cx, false, true)
    }

    fn resume(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _bookmark: &Bookmark,
        input: &Map<String, Value>,
    ) -> Result<(), Fault> {
        cx.set_output("Result", child_workflow::result(input));
        cx.complete();
        Ok(())
    }
}
