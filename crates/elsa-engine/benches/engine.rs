//! In-memory engine throughput: load once, then `start` a new instance per iteration.
//!
//! Besides the timings, prints the bytes of serialized `WorkflowState` of one suspended
//! instance (a small flowchart waiting on an `Elsa.Event`).

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use elsa_engine::{Engine, EngineOptions, FixedClock, SequentialIds, StartRequest, Workflow};
use elsa_model::{WorkflowDefinition, WorkflowStatus};
use serde_json::{Value, json};
use std::hint::black_box;

/// The allocator the server runs with (`elsa-server/src/main.rs`), so the numbers match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn definition(root: Value, variables: Value) -> WorkflowDefinition {
    serde_json::from_value(json!({
        "id": "bench-v1", "definitionId": "bench", "createdAt": "2026-01-01T00:00:00Z",
        "version": 1, "isLatest": true, "isPublished": true,
        "variables": variables, "root": root
    }))
    .expect("a valid bench definition")
}

fn literal(type_name: &str, value: Value) -> Value {
    json!({"typeName": type_name, "expression": {"type": "Literal", "value": value}})
}

fn js(type_name: &str, source: &str) -> Value {
    json!({"typeName": type_name, "expression": {"type": "JavaScript", "value": source}})
}

fn counter() -> Value {
    json!([{"id": "var-n", "name": "N", "typeName": "Int32", "value": "0",
            "storageDriverTypeName": "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core"}])
}

/// Ten `WriteLine`s in a `Sequence`.
fn write_lines() -> Value {
    let steps: Vec<Value> = (1..=10)
        .map(|i| json!({"id": format!("w{i}"), "type": "Elsa.WriteLine", "text": format!("line {i}")}))
        .collect();
    json!({"id": "seq", "type": "Elsa.Sequence", "activities": steps})
}

/// A flowchart Start -> 8 WriteLines -> FlowDecision (JavaScript) -> End: ten steps after Start.
fn with_condition() -> Value {
    let mut activities = vec![json!({"id": "start", "type": "Elsa.Start"})];
    let mut connections = Vec::new();
    let mut previous = "start".to_owned();
    for i in 1..=8 {
        let id = format!("w{i}");
        activities.push(json!({"id": id, "type": "Elsa.WriteLine", "text": format!("line {i}")}));
        connections.push(json!({"source": previous, "target": id}));
        previous = id;
    }
    activities.push(json!({"id": "decide", "type": "Elsa.FlowDecision",
        "condition": {"typeName": "Boolean", "expression": {"type": "JavaScript", "value": "getWorkflowInstanceId().length > 3"}}}));
    activities.push(json!({"id": "end", "type": "Elsa.End"}));
    connections.push(json!({"source": previous, "target": "decide"}));
    connections.push(json!({"source": "decide", "sourcePort": "True", "target": "end"}));
    json!({"id": "flow", "type": "Elsa.Flowchart", "activities": activities, "connections": connections})
}

/// 25 diamonds in a chain, 100 nodes: `FlowDecision` (literal condition, every fifth one
/// JavaScript) -> `WriteLine` on True and on False -> `FlowJoin` (WaitAny) -> next diamond.
fn diamonds() -> Value {
    let mut activities = Vec::new();
    let mut connections = Vec::new();
    let mut previous: Option<String> = None;
    for i in 0..25 {
        let (d, t, f, j) = (
            format!("d{i}"),
            format!("t{i}"),
            format!("f{i}"),
            format!("j{i}"),
        );
        let condition = if i % 5 == 0 {
            js("Boolean", &format!("{i} % 2 == 0"))
        } else {
            literal("Boolean", json!(i % 2 == 0))
        };
        activities.push(json!({"id": d, "type": "Elsa.FlowDecision", "condition": condition}));
        activities.push(json!({"id": t, "type": "Elsa.WriteLine", "text": format!("true {i}")}));
        activities.push(json!({"id": f, "type": "Elsa.WriteLine", "text": format!("false {i}")}));
        activities.push(json!({"id": j, "type": "Elsa.FlowJoin", "mode": literal("FlowJoinMode", json!("WaitAny"))}));
        if let Some(previous) = previous {
            connections.push(json!({"source": previous, "target": d}));
        }
        connections.push(json!({"source": d, "sourcePort": "True", "target": t}));
        connections.push(json!({"source": d, "sourcePort": "False", "target": f}));
        connections.push(json!({"source": t, "target": j}));
        connections.push(json!({"source": f, "target": j}));
        previous = Some(j);
    }
    json!({"id": "flow", "type": "Elsa.Flowchart", "activities": activities, "connections": connections})
}

/// `For` 1..=100 whose body sets `N` with a JavaScript expression: 100 evaluations.
fn javascript_loop() -> Value {
    json!({"id": "loop", "type": "Elsa.For",
        "start": literal("Int32", json!(1)), "end": literal("Int32", json!(100)),
        "step": literal("Int32", json!(1)), "outerBoundInclusive": literal("Boolean", json!(true)),
        "body": {"id": "inc", "type": "Elsa.SetVariable", "variable": {"id": "var-n", "name": "N"},
                 "value": js("Object", "getN() + 1")}})
}

/// `ForEach` over a literal array of 10,000 numbers; the body sets a variable to a literal.
fn for_each_10k() -> Value {
    let items: Vec<u32> = (0..10_000).collect();
    json!({"id": "loop", "type": "Elsa.ForEach",
        "items": {"typeName": "Object", "expression": {"type": "Object", "value": json!(items).to_string()}},
        "body": {"id": "set", "type": "Elsa.SetVariable", "variable": {"id": "var-n", "name": "N"},
                 "value": literal("Int32", json!(1))}})
}

/// Start -> WriteLine -> Event "Go" -> WriteLine: suspends on the event.
fn waiting_on_event() -> Value {
    json!({"id": "flow", "type": "Elsa.Flowchart",
        "activities": [
            {"id": "start", "type": "Elsa.Start"},
            {"id": "before", "type": "Elsa.WriteLine", "text": "before"},
            {"id": "wait", "type": "Elsa.Event", "eventName": "Go"},
            {"id": "after", "type": "Elsa.WriteLine", "text": "after"}],
        "connections": [
            {"source": "start", "target": "before"},
            {"source": "before", "target": "wait"},
            {"source": "wait", "target": "after"}]})
}

fn clock() -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
}

fn run(engine: &Engine, workflow: &Workflow) -> elsa_engine::RunResult {
    engine.start(
        workflow,
        StartRequest::new("instance-1"),
        &clock(),
        &SequentialIds::new(),
    )
}

fn bench(c: &mut Criterion) {
    let engine = Engine::new(EngineOptions::default());
    let cases = [
        ("10-step WriteLine sequence", write_lines(), json!([]), 10),
        (
            "10-step flowchart with a JS condition",
            with_condition(),
            json!([]),
            10,
        ),
        (
            "100-node flowchart with decisions and joins",
            diamonds(),
            json!([]),
            100,
        ),
        (
            "100 JavaScript evaluations in one workflow",
            javascript_loop(),
            counter(),
            100,
        ),
        (
            "ForEach over 10,000 items",
            for_each_10k(),
            counter(),
            10_000,
        ),
    ];
    for (name, root, variables, size) in cases {
        let workflow = engine
            .load(&definition(root, variables))
            .expect("the bench workflow loads");
        let check = run(&engine, &workflow);
        assert_eq!(
            check.state.incidents,
            vec![],
            "{name}: unexpected incidents"
        );
        assert_eq!(check.state.status, WorkflowStatus::Finished, "{name}");
        if name.starts_with("100-node") {
            assert_eq!(check.lines.len(), 25, "{name}: one branch per diamond");
        }
        if name.starts_with("100 JavaScript") {
            let root = &check.state.activity_execution_contexts[0];
            assert_eq!(
                root["properties"]["Variables"]["var-n"],
                json!(size),
                "{name}"
            );
        }
        c.bench_function(name, |b| b.iter(|| black_box(run(&engine, &workflow))));
    }

    let workflow = engine
        .load(&definition(waiting_on_event(), counter()))
        .expect("the event workflow loads");
    let suspended = run(&engine, &workflow);
    assert_eq!(suspended.state.status, WorkflowStatus::Running);
    let bytes = serde_json::to_vec(&suspended.state)
        .expect("the state serializes")
        .len();
    println!(
        "serialized state of a suspended instance (flowchart waiting on an Event): {bytes} bytes"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
