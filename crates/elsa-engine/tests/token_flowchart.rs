//! Flowcharts in token-based mode: merge modes per target (`customProperties.mergeMode`) and
//! `Elsa.FlowJoin` mapped onto them, on workflow JSON written for these tests.

mod support;

use elsa_engine::{
    Engine, EngineOptions, FLOWCHART_MODE_PROPERTY, FlowchartMode, RunResult, SequentialIds,
    StartRequest,
};
use serde_json::{Value, json};
use support::*;

fn token_engine() -> Engine {
    Engine::new(EngineOptions {
        flowchart_mode: FlowchartMode::TokenBased,
        ..EngineOptions::default()
    })
}

fn run_tokens(root: Value) -> RunResult {
    run_with(&token_engine(), root, json!([]), json!({}))
}

fn decision(id: &str, condition: bool) -> Value {
    json!({"id": id, "type": "Elsa.FlowDecision",
           "condition": {"typeName": "Boolean", "expression": {"type": "Literal", "value": condition}}})
}

fn completions(result: &RunResult, activity_id: &str) -> usize {
    result
        .journal
        .iter()
        .filter(|r| &*r.activity_id == activity_id && r.event_name.as_deref() == Some("Completed"))
        .count()
}

/// Start → A → C and Start → Decision(false) -True-> B → C, with `merge_mode` on C.
fn dead_branch_into(merge_mode: &str) -> Value {
    let mut c = write_line("C", json!("C"));
    c["customProperties"] = json!({"mergeMode": merge_mode});
    flowchart(
        json!([{"id": "Start1", "type": "Elsa.Start"}, write_line("A", json!("A")), decision("D", false),
               write_line("B", json!("B")), c]),
        json!([
            connect("Start1", "Done", "A"),
            connect("Start1", "Done", "D"),
            connect("D", "True", "B"),
            connect("A", "Done", "C"),
            connect("B", "Done", "C"),
        ]),
    )
}

#[test]
fn merge_modes_decide_whether_a_join_waits_for_a_dead_branch() {
    for (mode, lines) in [
        ("Stream", vec!["A", "C"]),
        ("None", vec!["A", "C"]),
        ("Merge", vec!["A"]),
        ("Converge", vec!["A"]),
    ] {
        let result = run_tokens(dead_branch_into(mode));
        assert_finished(&result);
        assert_eq!(result.lines, lines, "{mode}");
    }
    // The same flowchart in counter-based mode skips the dead branch and runs C.
    let counted = run(dead_branch_into("Merge"));
    assert_eq!(counted.lines, ["A", "C"]);
}

fn two_writers_into_join(mode: &str) -> Value {
    flowchart(
        json!([
            {"id": "Start1", "type": "Elsa.Start"},
            write_line("W1", json!("one")),
            write_line("W2", json!("two")),
            {"id": "J", "type": "Elsa.FlowJoin",
             "mode": {"typeName": "FlowJoinMode", "expression": {"type": "Literal", "value": mode}}},
            {"id": "End1", "type": "Elsa.End"},
        ]),
        json!([
            connect("Start1", "Done", "W1"),
            connect("Start1", "Done", "W2"),
            connect("W1", "Done", "J"),
            connect("W2", "Done", "J"),
            connect("J", "Done", "End1"),
        ]),
    )
}

#[test]
fn flow_join_races_for_wait_any_and_converges_for_wait_all() {
    for mode in ["WaitAny", "WaitAll"] {
        let result = run_tokens(two_writers_into_join(mode));
        assert_finished(&result);
        assert_eq!(result.lines, ["one", "two"], "{mode}");
        assert_eq!(completions(&result, "J"), 1, "{mode}: the join runs once");
        assert_eq!(completions(&result, "End1"), 1, "{mode}");
    }
}

#[test]
fn both_decision_ports_into_one_target_finish_the_workflow() {
    let mut end = json!({"id": "End1", "type": "Elsa.End"});
    end["customProperties"] = json!({"mergeMode": "None"});
    let result = run_tokens(flowchart(
        json!([{"id": "Start1", "type": "Elsa.Start"}, decision("D", false), end]),
        json!([
            connect("Start1", "Done", "D"),
            connect("D", "True", "End1"),
            connect("D", "False", "End1"),
        ]),
    ));
    assert_finished(&result);
}

#[test]
fn a_parallel_for_each_whose_body_races_into_a_join_completes_once() {
    let body = flowchart(
        json!([
            decision("D", false),
            write_line("W1", json!("true branch")),
            {"id": "J", "type": "Elsa.FlowJoin",
             "mode": {"typeName": "FlowJoinMode", "expression": {"type": "Literal", "value": "WaitAny"}}},
            write_line("W2", js("'joined ' + getCurrentValue()")),
        ]),
        json!([
            connect("D", "True", "W1"),
            connect("D", "False", "J"),
            connect("W1", "Done", "J"),
            connect("J", "Done", "W2"),
        ]),
    );
    let result = run_tokens(json!({"id": "Loop", "type": "Elsa.ParallelForEach",
        "items": js("[1, 2, 3]"), "body": body}));
    assert_finished(&result);
    assert_eq!(result.lines, ["joined 1", "joined 2", "joined 3"]);
    assert_eq!(completions(&result, "Loop"), 1);
}

#[test]
fn the_run_property_chooses_the_flowchart_mode_over_the_engine_s() {
    let run_as = |engine: &Engine, mode: Value| {
        let workflow = engine
            .load(&definition(dead_branch_into("Merge"), json!([])))
            .unwrap();
        let request = StartRequest {
            properties: json!({ FLOWCHART_MODE_PROPERTY: mode })
                .as_object()
                .cloned()
                .unwrap(),
            ..StartRequest::new("instance-1")
        };
        engine.start(&workflow, request, &clock(), &SequentialIds::new())
    };
    let (counter, token) = (Engine::default(), token_engine());
    // Token-based, a Merge join waits for the dead branch; counter-based skips it and runs C.
    assert_eq!(run_as(&counter, json!("TokenBased")).lines, ["A"]);
    assert_eq!(run_as(&counter, json!(1)).lines, ["A"]);
    assert_eq!(run_as(&token, json!("counterbased")).lines, ["A", "C"]);
    assert_eq!(run_as(&token, json!(2)).lines, ["A", "C"]);
    // `Default` (or anything unknown) leaves the engine's mode.
    assert_eq!(run_as(&token, json!("Default")).lines, ["A"]);
    assert_eq!(run_as(&counter, json!(0)).lines, ["A", "C"]);
    // The property stays with the instance, so its resumptions run in the same mode.
    let result = run_as(&counter, json!("TokenBased"));
    assert_eq!(
        result.state.properties.get(FLOWCHART_MODE_PROPERTY),
        Some(&json!("TokenBased"))
    );
}
