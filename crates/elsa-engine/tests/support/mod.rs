//! Helpers the engine test suites share: definitions around an inline root, runs with a fixed
//! clock and sequential ids, and JSON builders for common activities.
// Each test crate compiles this module and uses a subset of it.
#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use elsa_engine::{
    Engine, FixedClock, IdGenerator, RunResult, SequentialIds, StartRequest, Workflow,
};
use elsa_model::{WorkflowDefinition, WorkflowStatus, WorkflowSubStatus};
use serde_json::{Value, json};

pub fn definition(root: Value, variables: Value) -> WorkflowDefinition {
    serde_json::from_value(json!({
        "id": "def-v1", "definitionId": "def", "createdAt": "2026-01-01T00:00:00Z", "version": 1,
        "variables": variables, "root": root
    }))
    .expect("a valid definition")
}

pub fn run_with(engine: &Engine, root: Value, variables: Value, input: Value) -> RunResult {
    start(engine, &definition(root, variables), input)
}

/// Starts `definition` as instance `instance-1` (correlation `corr-1`) at a fixed time.
pub fn start(engine: &Engine, definition: &WorkflowDefinition, input: Value) -> RunResult {
    let workflow = engine.load(definition).expect("the workflow loads");
    let request = StartRequest {
        input: input.as_object().cloned().unwrap_or_default(),
        correlation_id: Some("corr-1".into()),
        ..StartRequest::new("instance-1")
    };
    engine.start(&workflow, request, &clock(), &SequentialIds::new())
}

pub fn run(root: Value) -> RunResult {
    run_with(&Engine::default(), root, json!([]), json!({}))
}

pub fn assert_finished(result: &RunResult) {
    assert_eq!(result.state.incidents, vec![], "unexpected incidents");
    assert_eq!(result.state.status, WorkflowStatus::Finished);
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Finished);
}

pub fn js(source: &str) -> Value {
    json!({"typeName": "Object", "expression": {"type": "JavaScript", "value": source}})
}

pub fn write_line(id: &str, text: Value) -> Value {
    json!({"id": id, "type": "Elsa.WriteLine", "text": text})
}

pub fn flowchart(activities: Value, connections: Value) -> Value {
    json!({"id": "Flowchart1", "type": "Elsa.Flowchart", "activities": activities, "connections": connections})
}

pub fn connect(source: &str, port: &str, target: &str) -> Value {
    json!({"source": {"activity": source, "port": port}, "target": {"activity": target, "port": "In"}})
}

/// Node ids of journal records with the given event, in order.
pub fn journaled(result: &RunResult, event: &str) -> Vec<String> {
    result
        .journal
        .iter()
        .filter(|record| record.event_name.as_deref() == Some(event))
        .map(|record| record.activity_id.to_string())
        .collect()
}

/// Ids that never collide with another run's: each run (start, resume) gets its own prefix.
pub struct RunIds(pub &'static str, pub SequentialIds);

impl IdGenerator for RunIds {
    fn new_id(&self) -> String {
        format!("{}{}", self.0, self.1.new_id())
    }
}

/// The fixed time every test run sees.
pub fn clock() -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap())
}

/// Loads an inline root with `variables` into an executable workflow.
pub fn load(root: Value, variables: Value) -> Workflow {
    Engine::default()
        .load(&definition(root, variables))
        .expect("the workflow loads")
}
