//! In-memory engine throughput: load once, then `start` a new instance per iteration.

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use elsa_engine::{Engine, EngineOptions, FixedClock, SequentialIds, StartRequest};
use elsa_model::WorkflowDefinition;
use serde_json::{Value, json};
use std::hint::black_box;

fn definition(root: Value) -> WorkflowDefinition {
    WorkflowDefinition {
        id: "bench-v1".into(),
        definition_id: "bench".into(),
        name: None,
        description: None,
        created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        version: 1,
        tool_version: None,
        variables: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        outcomes: Vec::new(),
        custom_properties: Default::default(),
        is_readonly: false,
        is_system: false,
        is_latest: true,
        is_published: true,
        options: Default::default(),
        root,
    }
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

fn bench(c: &mut Criterion) {
    let engine = Engine::new(EngineOptions::default());
    let clock = FixedClock(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    for (name, root) in [
        ("10-step WriteLine sequence", write_lines()),
        ("10-step flowchart with a JS condition", with_condition()),
    ] {
        let workflow = engine
            .load(&definition(root))
            .expect("the bench workflow loads");
        c.bench_function(name, |b| {
            b.iter(|| {
                let ids = SequentialIds::new();
                let result = engine.start(&workflow, StartRequest::new("instance-1"), &clock, &ids);
                black_box(result)
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
