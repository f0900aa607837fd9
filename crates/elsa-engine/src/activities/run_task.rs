//! `Elsa.RunTask`: asks for a task to be done outside the workflow and waits until it is
//! reported complete (`POST /tasks/{taskId}/complete`), with its result as `Result`. The
//! bookmark `Elsa.RunTask {taskId, taskName}` is found by the task id alone, as in Elsa.

use super::Activity;
use crate::activity_context::ActivityContext;
use crate::effects::{Effect, LogLevel, RUN_TASK_INPUT};
use crate::error::Fault;
use crate::registry::{
    ActivityDescriptor, ActivityKind, InputDescriptor, OutputDescriptor, PortDescriptor,
};
use crate::values::display;
use elsa_model::Bookmark;
use serde_json::{Map, Value, json};

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.RunTask",
    version: 1,
    category: "Primitives",
    display_name: "Run Task",
    description: "Runs a task and waits for its completion.",
    kind: ActivityKind::Action,
    inputs: &[
        InputDescriptor::new("TaskName", "String", "The name of the task to run."),
        InputDescriptor::new("Payload", "ObjectDictionary", "The payload of the task.")
            .ui_hint("json-editor"),
    ],
    outputs: &[
        OutputDescriptor {
            name: "TaskId",
            type_name: "String",
            description: "The id of the task, to complete it with.",
        },
        OutputDescriptor {
            name: "Result",
            type_name: "Object",
            description: "The result the task was completed with.",
        },
    ],
    ports: &[PortDescriptor::flow("Done")],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: false,
    build: |_| Ok(Box::new(RunTask)),
};

/// The stimulus of task bookmarks.
const RUN_TASK: &str = "Elsa.RunTask";

#[derive(Debug)]
struct RunTask;

impl Activity for RunTask {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let task_id = cx.new_id();
        let task_name = display(cx.input("TaskName"));
        cx.set_output("TaskId", Value::from(task_id.as_str()));
        let payload = json!({"taskId": task_id, "taskName": task_name});
        cx.create_bookmark_hashed_on(RUN_TASK, payload, &json!({"taskId": task_id}));
        // Elsa announces the request to in-process handlers (its webhooks module); here it is
        // a log entry, and the task is completed over the API.
        cx.effect(Effect::Log {
            level: LogLevel::Information,
            category: RUN_TASK.to_owned(),
            message: format!("Task '{task_name}' requested; complete it with POST /elsa/api/tasks/{task_id}/complete"),
            arguments: cx.input("Payload").clone(),
        });
        Ok(())
    }

    fn resume(
        &self,
        cx: &mut ActivityContext<'_, '_>,
        _bookmark: &Bookmark,
        input: &Map<String, Value>,
    ) -> Result<(), Fault> {
        let result = input.get(RUN_TASK_INPUT).cloned().unwrap_or(Value::Null);
        cx.set_output("Result", result);
        cx.complete();
        Ok(())
    }
}
