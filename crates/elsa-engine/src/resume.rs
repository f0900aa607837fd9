//! Restoring a run from a persisted `WorkflowState` — the inverse of `state.rs`: contexts
//! (with their properties, evaluated inputs and persisted variables), completion callbacks,
//! bookmarks, incidents, output and the journal sequence.

use crate::clock::{Clock, IdGenerator};
use crate::context::{ActivityStatus, ContextIdx, ExecutionContext};
use crate::engine::{ResumeError, StartRequest};
use crate::execution::{Execution, RunLimits};
use crate::json;
use crate::scheduler::CompletionCallback;
use crate::state::VARIABLES;
use crate::workflow::{NodeIdx, VarIdx, Workflow};
use elsa_model::{Timestamp, WorkflowState, WorkflowStatus};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub(crate) fn restore<'w>(
    workflow: &'w Workflow,
    limits: &'w RunLimits,
    state: &WorkflowState,
    clock: &'w dyn Clock,
    ids: &'w dyn IdGenerator,
) -> Result<Execution<'w>, ResumeError> {
    if *state.definition_version_id != *workflow.definition_version_id {
        return Err(ResumeError::WrongWorkflow(
            state.definition_version_id.clone(),
        ));
    }
    if state.status == WorkflowStatus::Finished {
        return Err(ResumeError::Finished);
    }
    let request = StartRequest {
        instance_id: state.id.clone(),
        correlation_id: state.correlation_id.clone(),
        name: state.name.clone(),
        input: state.input.clone(),
        trigger_activity_id: None,
        trigger_input: Map::new(),
        parent_workflow_instance_id: state.parent_workflow_instance_id.clone(),
        properties: state.properties.clone(),
    };
    let mut execution = Execution::new(workflow, limits, request, clock, ids);
    execution.created_at = state.created_at;
    execution.sequence = state.execution_log_sequence;
    execution.incidents = state.incidents.clone();
    execution.output = state.output.clone();
    execution.bookmarks = state.bookmarks.clone();
    execution.sub_status = state.sub_status;

    let nodes: HashMap<&str, NodeIdx> = workflow
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| (&*node.node_id, NodeIdx(i)))
        .collect();
    let mut by_id: HashMap<String, ContextIdx> = HashMap::new();
    for json in &state.activity_execution_contexts {
        let context = parse_context(workflow, &nodes, &by_id, json).map_err(corrupt)?;
        let id = context.id.to_string();
        by_id.insert(id, execution.contexts.add(context));
    }
    for json in &state.completion_callbacks {
        let callback = parse_callback(&nodes, &by_id, json).map_err(corrupt)?;
        execution.scheduler.restore_callback(callback);
    }
    Ok(execution)
}

fn corrupt(reason: String) -> ResumeError {
    ResumeError::CorruptState(reason)
}

fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    json::string(object, key).ok_or_else(|| format!("'{key}' is missing"))
}

fn node_of(nodes: &HashMap<&str, NodeIdx>, node_id: &str) -> Result<NodeIdx, String> {
    nodes
        .get(node_id)
        .copied()
        .ok_or_else(|| format!("the workflow has no activity '{node_id}'"))
}

fn context_of(by_id: &HashMap<String, ContextIdx>, id: &str) -> Result<ContextIdx, String> {
    by_id
        .get(id)
        .copied()
        .ok_or_else(|| format!("no activity execution context '{id}' precedes its use"))
}

fn timestamp(object: &Map<String, Value>, key: &str) -> Result<Option<Timestamp>, String> {
    json::non_null(object, key)
        .map(|value| {
            serde_json::from_value(value.clone()).map_err(|e| format!("'{key}' is invalid: {e}"))
        })
        .transpose()
}

fn parse_context(
    workflow: &Workflow,
    nodes: &HashMap<&str, NodeIdx>,
    by_id: &HashMap<String, ContextIdx>,
    json: &Value,
) -> Result<ExecutionContext, String> {
    let object = json.as_object().ok_or("a context must be a JSON object")?;
    let id = text(object, "id")?.to_owned();
    let node = node_of(nodes, text(object, "scheduledActivityNodeId")?)?;
    let parent = json::string(object, "parentContextId")
        .map(|parent| context_of(by_id, parent))
        .transpose()?;
    let status = match text(object, "status")? {
        "Running" => ActivityStatus::Running,
        "Completed" => ActivityStatus::Completed,
        "Canceled" => ActivityStatus::Canceled,
        "Faulted" => ActivityStatus::Faulted,
        other => return Err(format!("'{other}' is not an activity status")),
    };
    let map = |key: &str| match json::non_null(object, key) {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    let mut properties = map("properties");
    let persisted = match properties.remove(VARIABLES) {
        Some(Value::Object(values)) => values,
        _ => Map::new(),
    };
    Ok(ExecutionContext {
        variables: restore_variables(workflow, node, persisted)?,
        id: id.into(),
        node,
        parent,
        status,
        input: Map::new(),
        activity_state: map("activityState"),
        outputs: Map::new(),
        properties,
        flow_scope: None,
        outcomes: Vec::new(),
        fault_count: json::property(object, "faultCount")
            .and_then(Value::as_i64)
            .and_then(|count| i32::try_from(count).ok())
            .unwrap_or(0),
        exception: None,
        started_at: timestamp(object, "startedAt")?.ok_or("'startedAt' is missing")?,
        completed_at: timestamp(object, "completedAt")?,
    })
}

/// The node's own variables (persisted value, else the initial one: transient variables do
/// not survive a suspension), then the iteration variables the context was given.
fn restore_variables(
    workflow: &Workflow,
    node: NodeIdx,
    mut persisted: Map<String, Value>,
) -> Result<Vec<(VarIdx, Value)>, String> {
    let mut variables = Vec::new();
    let mut restore = |var: VarIdx, value: Option<Value>| -> Result<(), String> {
        let definition = workflow.variable(var);
        let value = match value {
            Some(value) => definition.value_type.convert(value).map_err(|reason| {
                format!(
                    "variable '{}' cannot be restored: {reason}",
                    definition.name
                )
            })?,
            None => definition.initial.clone(),
        };
        variables.push((var, value));
        Ok(())
    };
    for var in &workflow.node(node).variables {
        restore(*var, persisted.remove(&workflow.variable(*var).id))?;
    }
    for (id, value) in persisted {
        let var = (0..workflow.variables.len())
            .map(VarIdx)
            .find(|var| workflow.variable(*var).id == id)
            .ok_or_else(|| format!("the workflow has no variable '{id}'"))?;
        restore(var, Some(value))?;
    }
    Ok(variables)
}

fn parse_callback(
    nodes: &HashMap<&str, NodeIdx>,
    by_id: &HashMap<String, ContextIdx>,
    json: &Value,
) -> Result<CompletionCallback, String> {
    let object = json
        .as_object()
        .ok_or("a completion callback must be a JSON object")?;
    Ok(CompletionCallback {
        owner: context_of(by_id, text(object, "ownerInstanceId")?)?,
        child: node_of(nodes, text(object, "childNodeId")?)?,
    })
}
