//! The result of a run in Elsa's shapes: the `WorkflowState` (elsa-api.md §3.5) and one
//! `ActivityExecutionRecord` per context.

use crate::budget;
use crate::context::{ActivityStatus, ContextIdx, Contexts, ExecutionContext};
use crate::engine::RunResult;
use crate::execution::{Execution, outcomes_payload};
use crate::scheduler::ON_CHILD_COMPLETED;
use crate::variables::StorageDriver;
use crate::workflow::Workflow;
use elsa_model::{ActivityExecutionRecord, Bookmark, Timestamp, WorkflowState, WorkflowStatus};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The context property holding the persisted variable values by variable id.
pub(crate) const VARIABLES: &str = "Variables";

pub(crate) fn run_result(mut execution: Execution<'_>) -> RunResult {
    enforce_state_budget(&mut execution);
    let updated_at = execution.now();
    let state = workflow_state(&execution, updated_at);
    let journal_bytes = execution.journal_bytes();
    let activity_records = activity_records(
        execution.workflow,
        &execution.instance_id,
        &execution.bookmarks,
        execution.contexts,
    );
    let held_bytes = budget::held_bytes(journal_bytes, activity_records.len());
    RunResult {
        state,
        bookmarks: execution.bookmarks,
        journal: execution.journal,
        activity_records,
        lines: execution.lines,
        effects: execution.effects,
        held_bytes,
    }
}

/// A state larger than its budget is not written: the instance faults with an incident on the
/// workflow activity instead, and its state keeps the root context without variables or
/// evaluated inputs, no bookmarks, callbacks or output — and, if that is still too large, neither
/// the input nor the run properties nor any incident but the budget's.
fn enforce_state_budget(execution: &mut Execution<'_>) {
    let limit = execution.limits.max_state_size;
    let size = estimated_state_len(execution);
    if size <= limit {
        return;
    }
    execution.state_overflow = true;
    execution.scheduler.clear();
    execution.bookmarks.clear();
    execution.output.clear();
    let root = execution
        .contexts
        .iter()
        .find(|(_, context)| context.parent.is_none())
        .map(|(idx, _)| idx);
    if let Some(root) = root {
        let message = format!(
            "The workflow state of about {size} bytes exceeded the limit of {limit} bytes ({}).",
            budget::MAX_STATE_SIZE_SETTING
        );
        execution.fault_instance(root, message);
    }
    if estimated_state_len(execution) > limit {
        execution.request.input.clear();
        execution.request.properties.clear();
    }
    if estimated_state_len(execution) > limit {
        let last = execution.incidents.pop();
        execution.incidents = last.into_iter().collect();
    }
}

/// The contexts the state keeps: like Elsa, those still active plus the root, which holds the
/// workflow variables; only the root when the state outgrew its budget.
fn kept_in_state(execution: &Execution<'_>, context: &ExecutionContext) -> bool {
    context.parent.is_none()
        || (!execution.state_overflow && context.status != ActivityStatus::Completed)
}

/// The estimated length of the state [`workflow_state`] would build, without building it.
fn estimated_state_len(execution: &Execution<'_>) -> usize {
    let workflow = execution.workflow;
    let request = &execution.request;
    let optional = |text: &Option<String>| text.as_ref().map_or(0, String::len);
    let mut len = budget::STATE_OVERHEAD
        + request.instance_id.len()
        + workflow.definition_id.len()
        + workflow.definition_version_id.len()
        + optional(&request.parent_workflow_instance_id)
        + optional(&request.correlation_id)
        + optional(&request.name)
        + budget::map_len(&request.input)
        + budget::map_len(&execution.output)
        + budget::map_len(&request.properties);
    len += execution
        .bookmarks
        .iter()
        .map(budget::bookmark_len)
        .sum::<usize>();
    len += execution
        .incidents
        .iter()
        .map(budget::incident_len)
        .sum::<usize>();
    if !execution.state_overflow {
        len += execution
            .scheduler
            .callbacks()
            .iter()
            .map(|callback| {
                budget::CALLBACK_OVERHEAD
                    + execution.contexts.get(callback.owner).id.len()
                    + workflow.node(callback.child).node_id.len()
            })
            .sum::<usize>();
    }
    for (_, context) in execution.contexts.iter() {
        if !kept_in_state(execution, context) {
            continue;
        }
        len +=
            budget::CONTEXT_OVERHEAD + context.id.len() + workflow.node(context.node).node_id.len();
        if let Some(parent) = context.parent {
            let parent = execution.contexts.get(parent);
            len += parent.id.len() + workflow.node(parent.node).node_id.len();
        }
        if execution.state_overflow {
            continue;
        }
        len += budget::map_len(&context.properties)
            + context
                .flow_scope
                .as_ref()
                .map_or(0, |scope| scope.estimated_len())
            + budget::map_len(&context.activity_state);
        len += context
            .variables
            .iter()
            .map(|(var, value)| (workflow.variable(*var), value))
            .filter(|(definition, _)| definition.storage == StorageDriver::WorkflowInstance)
            .map(|(definition, value)| definition.id.len() + 4 + budget::json_len(value))
            .sum::<usize>();
    }
    len
}

fn workflow_state(execution: &Execution<'_>, updated_at: Timestamp) -> WorkflowState {
    let workflow = execution.workflow;
    let request = &execution.request;
    let status = execution.sub_status.status();
    let callbacks: &[_] = if execution.state_overflow {
        &[]
    } else {
        execution.scheduler.callbacks()
    };
    let completion_callbacks = callbacks
        .iter()
        .map(|callback| {
            json!({
                "ownerInstanceId": execution.contexts.get(callback.owner).id,
                "childNodeId": workflow.node(callback.child).node_id,
                "methodName": ON_CHILD_COMPLETED,
            })
        })
        .collect();
    let activity_execution_contexts = execution
        .contexts
        .iter()
        .filter(|(_, context)| kept_in_state(execution, context))
        .map(|(idx, context)| context_json(execution, idx, context))
        .collect();
    WorkflowState {
        id: request.instance_id.clone(),
        definition_id: workflow.definition_id.to_string(),
        definition_version_id: workflow.definition_version_id.to_string(),
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
    let overflow = execution.state_overflow;
    let mut properties = if overflow {
        Map::new()
    } else {
        context.properties_json()
    };
    let persisted: Map<String, Value> = context
        .variables
        .iter()
        .filter(|_| !overflow)
        .map(|(var, value)| (workflow.variable(*var), value))
        .filter(|(definition, _)| definition.storage == StorageDriver::WorkflowInstance)
        .map(|(definition, value)| (definition.id.clone(), value.clone()))
        .collect();
    if !persisted.is_empty() {
        properties.insert(VARIABLES.to_owned(), Value::Object(persisted));
    }
    let mut json = Map::new();
    json.insert("id".to_owned(), Value::from(&*context.id));
    if let Some(parent) = context.parent {
        let parent = execution.contexts.get(parent);
        json.insert("parentContextId".to_owned(), Value::from(&*parent.id));
        let owner = &workflow.node(parent.node).node_id;
        json.insert("ownerActivityNodeId".to_owned(), Value::from(&**owner));
    }
    let node_id = &workflow.node(context.node).node_id;
    json.insert(
        "scheduledActivityNodeId".to_owned(),
        Value::from(&**node_id),
    );
    let depth = execution.contexts.lineage(idx).count() - 1;
    json.insert("callStackDepth".to_owned(), Value::from(depth));
    json.insert("properties".to_owned(), Value::Object(properties));
    json.insert("metadata".to_owned(), Value::Object(Map::new()));
    let activity_state = if overflow {
        Map::new()
    } else {
        context.activity_state.clone()
    };
    json.insert("activityState".to_owned(), Value::Object(activity_state));
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
    instance_id: &Arc<str>,
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
                .any(|bookmark| *bookmark.activity_instance_id == *context.id);
            let completed = context.status == ActivityStatus::Completed;
            ActivityExecutionRecord {
                id: context.id.to_string(),
                workflow_instance_id: instance_id.clone(),
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
