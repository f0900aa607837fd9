//! The result of a run in Elsa's shapes: the `WorkflowState` (elsa-api.md §3.5) and one
//! `ActivityExecutionRecord` per context.

use crate::context::{ActivityStatus, ContextIdx, Contexts, ExecutionContext};
use crate::engine::RunResult;
use crate::execution::{Execution, outcomes_payload};
use crate::scheduler::ON_CHILD_COMPLETED;
use crate::variables::StorageDriver;
use crate::workflow::Workflow;
use elsa_model::{ActivityExecutionRecord, Bookmark, Timestamp, WorkflowState, WorkflowStatus};
use serde_json::{Map, Value, json};

/// The context property holding the persisted variable values by variable id.
pub(crate) const VARIABLES: &str = "Variables";

pub(crate) fn run_result(execution: Execution<'_>) -> RunResult {
    let updated_at = execution.now();
    let state = workflow_state(&execution, updated_at);
    let activity_records = activity_records(
        execution.workflow,
        &execution.request.instance_id,
        &execution.bookmarks,
        execution.contexts,
    );
    RunResult {
        state,
        bookmarks: execution.bookmarks,
        journal: execution.journal,
        activity_records,
        lines: execution.lines,
        effects: execution.effects,
    }
}

fn workflow_state(execution: &Execution<'_>, updated_at: Timestamp) -> WorkflowState {
    let workflow = execution.workflow;
    let request = &execution.request;
    let status = execution.sub_status.status();
    let completion_callbacks = execution
        .scheduler
        .callbacks()
        .iter()
        .map(|callback| {
            json!({
                "ownerInstanceId": execution.contexts.get(callback.owner).id,
                "childNodeId": workflow.node(callback.child).node_id,
                "methodName": ON_CHILD_COMPLETED,
            })
        })
        .collect();
    // Like Elsa, keep the contexts still active plus the root, which holds the workflow variables.
    let activity_execution_contexts = execution
        .contexts
        .iter()
        .filter(|(_, context)| {
            context.parent.is_none() || context.status != ActivityStatus::Completed
        })
        .map(|(idx, context)| context_json(execution, idx, context))
        .collect();
    WorkflowState {
        id: request.instance_id.clone(),
        definition_id: workflow.definition_id.clone(),
        definition_version_id: workflow.definition_version_id.clone(),
        definition_version: workflow.definition_version,
        parent_workflow_instance_id: request.parent_workflow_instance_id.clone(),
        correlation_id: request.correlation_id.clone(),
        name: request.name.clone(),
        status,
        sub_status: execution.sub_status,
        is_executing: false,
        is_system: workflow.is_system,
        bookmarks: execution.bookmarks.clone(),
        incidents: execution.incidents.clone(),
        completion_callbacks,
        activity_execution_contexts,
        scheduled_activities: Vec::new(),
        execution_log_sequence: execution.sequence,
        input: request.input.clone(),
        output: execution.output.clone(),
        properties: request.properties.clone(),
        created_at: execution.created_at,
        updated_at,
        finished_at: (status == WorkflowStatus::Finished).then_some(updated_at),
    }
}

/// Elsa's `ActivityExecutionContextState`.
fn context_json(execution: &Execution<'_>, idx: ContextIdx, context: &ExecutionContext) -> Value {
    let workflow = execution.workflow;
    let mut properties = context.properties_json();
    let persisted: Map<String, Value> = context
        .variables
        .iter()
        .map(|(var, value)| (workflow.variable(*var), value))
        .filter(|(definition, _)| definition.storage == StorageDriver::WorkflowInstance)
        .map(|(definition, value)| (definition.id.clone(), value.clone()))
        .collect();
    if !persisted.is_empty() {
        properties.insert(VARIABLES.to_owned(), Value::Object(persisted));
    }
    let mut json = Map::new();
    json.insert("id".to_owned(), Value::from(context.id.as_str()));
    if let Some(parent) = context.parent {
        let parent = execution.contexts.get(parent);
        json.insert(
            "parentContextId".to_owned(),
            Value::from(parent.id.as_str()),
        );
        let owner = &workflow.node(parent.node).node_id;
        json.insert(
            "ownerActivityNodeId".to_owned(),
            Value::from(owner.as_str()),
        );
    }
    let node_id = &workflow.node(context.node).node_id;
    json.insert(
        "scheduledActivityNodeId".to_owned(),
        Value::from(node_id.as_str()),
    );
    let depth = execution.contexts.lineage(idx).count() - 1;
    json.insert("callStackDepth".to_owned(), Value::from(depth));
    json.insert("properties".to_owned(), Value::Object(properties));
    json.insert("metadata".to_owned(), Value::Object(Map::new()));
    json.insert(
        "activityState".to_owned(),
        Value::Object(context.activity_state.clone()),
    );
    json.insert("dynamicVariables".to_owned(), Value::Array(Vec::new()));
    json.insert("status".to_owned(), Value::from(context.status.as_str()));
    json.insert("isExecuting".to_owned(), Value::Bool(false));
    json.insert("faultCount".to_owned(), Value::from(context.fault_count));
    json.insert("startedAt".to_owned(), timestamp(context.started_at));
    if let Some(completed_at) = context.completed_at {
        json.insert("completedAt".to_owned(), timestamp(completed_at));
    }
    Value::Object(json)
}

fn timestamp(at: Timestamp) -> Value {
    serde_json::to_value(at).unwrap_or(Value::Null)
}

/// One record per context; consumes the contexts to move their data instead of copying it.
fn activity_records(
    workflow: &Workflow,
    instance_id: &str,
    bookmarks: &[Bookmark],
    contexts: Contexts,
) -> Vec<ActivityExecutionRecord> {
    let non_empty = |map: Map<String, Value>| (!map.is_empty()).then_some(Value::Object(map));
    contexts
        .into_iter()
        .map(|context| {
            let node = workflow.node(context.node);
            let has_bookmarks = bookmarks
                .iter()
                .any(|bookmark| bookmark.activity_instance_id == context.id);
            let completed = context.status == ActivityStatus::Completed;
            ActivityExecutionRecord {
                id: context.id,
                workflow_instance_id: instance_id.to_owned(),
                activity_id: node.id.clone(),
                activity_node_id: node.node_id.clone(),
                activity_type: node.type_name.clone(),
                activity_type_version: node.type_version,
                activity_name: node.name.clone(),
                activity_state: non_empty(node.log_modes.filter_inputs(context.activity_state)),
                outputs: non_empty(node.log_modes.filter_outputs(context.outputs)),
                payload: completed.then(|| outcomes_payload(&context.outcomes)),
                exception: context.exception.and_then(|e| serde_json::to_value(e).ok()),
                started_at: context.started_at,
                has_bookmarks,
                status: context.status.as_str().to_owned(),
                completed_at: context.completed_at,
            }
        })
        .collect()
}
