//! What `Elsa.DispatchWorkflow` and `Elsa.ExecuteWorkflow` share: their inputs, starting the
//! child as an [`Effect::StartWorkflow`] (with a pre-generated instance id, so the run stays
//! deterministic), and reading the child's result when the runtime resumes them.

use crate::activity_context::ActivityContext;
use crate::effects::{CHILD_WORKFLOW_RESULT_INPUT, Effect};
use crate::error::Fault;
use crate::registry::InputDescriptor;
use crate::values::display;
use serde_json::{Map, Value, json};

/// The bookmark a parent waits on for its child.
const BOOKMARK: &str = "Elsa.ChildWorkflow";

/// The child's input and run property holding its parent's instance id.
const PARENT_INSTANCE_ID: &str = "ParentInstanceId";

pub(super) const CHILD_INPUTS: [InputDescriptor; 4] = [
    InputDescriptor::new(
        "WorkflowDefinitionId",
        "String",
        "The definition ID of the workflow to start.",
    )
    .ui_hint("workflow-definition-picker"),
    InputDescriptor::new(
        "CorrelationId",
        "String",
        "The correlation ID to associate the workflow with.",
    ),
    InputDescriptor::new(
        "Input",
        "ObjectDictionary",
        "The input to send to the workflow.",
    )
    .ui_hint("json-editor"),
    InputDescriptor::new(
        "WaitForCompletion",
        "Boolean",
        "Wait for the child workflow to complete before completing this activity.",
    )
    .ui_hint("checkbox"),
];

/// Starts the child; with `resume`, this activity waits on a bookmark for the child's result.
pub(super) fn start(
    cx: &mut ActivityContext<'_, '_>,
    background: bool,
    resume: bool,
) -> Result<(), Fault> {
    let definition_id = display(cx.input("WorkflowDefinitionId"));
    if definition_id.is_empty() {
        return Err(Fault::invalid_operation(
            "No workflow definition to start was given.",
        ));
    }
    let instance_id = cx.new_id();
    let parent_instance_id = cx.instance_id().to_owned();
    let wait_for_completion = cx.input_bool("WaitForCompletion");
    let mut correlation_id = Some(display(cx.input("CorrelationId"))).filter(|id| !id.is_empty());
    // As Elsa: every child gets its parent's id as an input; an executed (not dispatched)
    // child also gets it as a run property, and stays in its parent's conversation unless
    // the activity names another correlation id.
    let mut input = cx.input("Input").as_object().cloned().unwrap_or_default();
    input.insert(PARENT_INSTANCE_ID.to_owned(), json!(parent_instance_id));
    let mut properties = Map::new();
    if !background {
        correlation_id = correlation_id.or_else(|| cx.correlation_id().map(str::to_owned));
        properties.insert(PARENT_INSTANCE_ID.to_owned(), json!(parent_instance_id));
        if wait_for_completion {
            properties.insert("WaitForCompletion".to_owned(), json!(true));
        }
    }
    let resume_bookmark_id =
        resume.then(|| cx.create_bookmark(BOOKMARK, json!({ "childInstanceId": instance_id })));
    cx.effect(Effect::StartWorkflow {
        definition_id,
        instance_id,
        correlation_id,
        input,
        parent_instance_id,
        properties,
        background,
        resume_bookmark_id,
        wait_for_completion,
    });
    Ok(())
}

/// The child's `ExecuteWorkflowResult` from the resume input (`null` when missing).
pub(super) fn result(input: &Map<String, Value>) -> Value {
    input
        .get(CHILD_WORKFLOW_RESULT_INPUT)
        .cloned()
        .unwrap_or(Value::Null)
}
