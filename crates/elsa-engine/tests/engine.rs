//! End-to-end behaviour of the engine on workflow JSON written for these tests.

mod support;

use chrono::{TimeZone, Utc};
use elsa_engine::{
    Engine, EngineOptions, FixedClock, LoadError, RunResult, SequentialIds, StartRequest,
};
use elsa_model::{WorkflowStatus, WorkflowSubStatus};
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};
use support::*;

fn load_error(root: Value) -> LoadError {
    Engine::default()
        .load(&definition(root, json!([])))
        .expect_err("the workflow must not load")
}

fn counter_variable() -> Value {
    json!([{"id": "var-x", "name": "X", "typeName": "Int32", "value": "0",
            "storageDriverTypeName": "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core"}])
}

#[test]
fn runs_the_kubernetes_guide_short_form_as_a_sequence() {
    let result = run(json!({"type": "Sequence", "activities": [
        {"id": "1", "type": "WriteLine", "text": "Hello from Kubernetes!"}
    ]}));
    assert_finished(&result);
    assert_eq!(result.lines, ["Hello from Kubernetes!"]);
    assert_eq!(
        journaled(&result, "Started"),
        ["Workflow1", "Sequence1", "1"]
    );
    assert_eq!(
        &*result.journal[2].activity_node_id,
        "Workflow1:Sequence1:1"
    );
}

#[test]
fn runs_a_flowchart_from_start_to_end() {
    let result = run(flowchart(
        json!([
            write_line("WriteLine1", json!({"typeName": "String", "expression": {"type": "Literal", "value": "Hello"}})),
            {"id": "Start1", "type": "Elsa.Start"},
            {"id": "End1", "type": "Elsa.End"},
            write_line("Never", json!("not connected")),
        ]),
        json!([
            connect("Start1", "Done", "WriteLine1"),
            connect("WriteLine1", "Done", "End1")
        ]),
    ));
    assert_finished(&result);
    assert_eq!(result.lines, ["Hello"]);
    assert_eq!(
        journaled(&result, "Completed"),
        ["Start1", "WriteLine1", "End1", "Flowchart1", "Workflow1"]
    );
    let write_line_completed = &result
        .journal
        .iter()
        .find(|r| &*r.activity_id == "WriteLine1" && r.event_name.as_deref() == Some("Completed"));
    assert_eq!(
        write_line_completed.unwrap().payload,
        Some(json!({"Outcomes": ["Done"]}))
    );
    let sequences: Vec<i64> = result.journal.iter().map(|r| r.sequence).collect();
    assert_eq!(
        sequences,
        (0..result.journal.len() as i64).collect::<Vec<_>>()
    );
    assert_eq!(
        result.state.execution_log_sequence,
        result.journal.len() as i64
    );
}

fn decision_workflow() -> Value {
    flowchart(
        json!([
            {"id": "Start1", "type": "Elsa.Start"},
            {"id": "Decision1", "type": "Elsa.FlowDecision",
             "condition": {"typeName": "Boolean", "expression": {"type": "JavaScript", "value": "getInput('Amount') > 100"}}},
            write_line("Big", json!("big")),
            write_line("Small", json!("small")),
        ]),
        json!([
            connect("Start1", "Done", "Decision1"),
            connect("Decision1", "True", "Big"),
            connect("Decision1", "False", "Small"),
        ]),
    )
}

#[test]
fn flow_decision_takes_the_true_and_the_false_branch() {
    let engine = Engine::default();
    let big = run_with(
        &engine,
        decision_workflow(),
        json!([]),
        json!({"Amount": 500}),
    );
    assert_finished(&big);
    assert_eq!(big.lines, ["big"]);
    let small = run_with(
        &engine,
        decision_workflow(),
        json!([]),
        json!({"Amount": 5}),
    );
    assert_finished(&small);
    assert_eq!(small.lines, ["small"]);
    assert_eq!(
        small.state.input,
        json!({"Amount": 5}).as_object().cloned().unwrap()
    );
}

#[test]
fn a_diamond_join_runs_once_after_the_dead_branch_is_skipped() {
    for (condition, expected) in [("true", ["A", "C"]), ("false", ["B", "C"])] {
        let result = run(flowchart(
            json!([
                {"id": "Start1", "type": "Elsa.Start"},
                {"id": "Decision1", "type": "Elsa.FlowDecision", "condition": js(condition)},
                write_line("A", json!("A")),
                write_line("B", json!("B")),
                write_line("C", json!("C")),
            ]),
            json!([
                connect("Start1", "Done", "Decision1"),
                connect("Decision1", "True", "A"),
                connect("Decision1", "False", "B"),
                connect("A", "Done", "C"),
                connect("B", "Done", "C"),
            ]),
        ));
        assert_finished(&result);
        assert_eq!(result.lines, expected);
        assert_eq!(
            journaled(&result, "Started")
                .iter()
                .filter(|id| *id == "C")
                .count(),
            1
        );
    }
}

#[test]
fn an_implicit_loop_reruns_nodes_through_a_backward_connection() {
    let result = run_with(
        &Engine::default(),
        json!({"type": "Elsa.Flowchart", "start": "Start1", "activities": [
            {"id": "Start1", "type": "Elsa.Start"},
            write_line("Work", json!("work")),
            {"id": "Inc", "type": "Elsa.SetVariable", "variable": {"id": "var-x", "name": "X"}, "value": js("getX() + 1")},
            {"id": "Check", "type": "Elsa.FlowDecision", "condition": js("getX() > 2")},
            write_line("Again", json!("again")),
            write_line("Done", json!("done")),
        ], "connections": [
            {"source": "Start1", "target": "Work", "sourcePort": "Done", "targetPort": "In"},
            {"source": "Work", "target": "Inc"},
            {"source": "Inc", "target": "Check"},
            {"source": "Check", "target": "Done", "sourcePort": "True"},
            {"source": "Check", "target": "Again", "sourcePort": "False"},
            {"source": "Again", "target": "Work"},
        ]}),
        counter_variable(),
        json!({}),
    );
    assert_finished(&result);
    assert_eq!(
        result.lines,
        ["work", "again", "work", "again", "work", "done"]
    );
}

#[test]
fn if_runs_then_or_else() {
    for (condition, expected) in [("True", "then"), ("false", "else")] {
        let result = run(json!({"type": "Elsa.If",
            "condition": {"typeName": "Boolean", "expression": {"type": "Literal", "value": condition}},
            "then": write_line("Then", json!("then")),
            "else": write_line("Else", json!("else"))}));
        assert_finished(&result);
        assert_eq!(result.lines, [expected]);
        let if_record = result
            .activity_records
            .iter()
            .find(|r| &*r.activity_id == "If1")
            .unwrap();
        assert_eq!(
            if_record.outputs,
            Some(json!({"Result": expected == "then"}))
        );
    }
    let without_branch = run(json!({"type": "If", "condition": true}));
    assert_finished(&without_branch);
}

#[test]
fn set_variable_then_scripts_read_it_three_ways() {
    let result = run_with(
        &Engine::default(),
        json!({"type": "Elsa.Sequence", "activities": [
            {"type": "Elsa.SetVariable", "variable": {"id": "var-x", "name": "X", "typeName": "Int32"},
             "value": {"typeName": "Object", "expression": {"type": "Literal", "value": "41"}}},
            write_line("ByName", js("'getVariable: ' + (getVariable('X') + 1)")),
            write_line("ByGetter", js("'getX: ' + getX()")),
            write_line("ByObject", js("variables.X = variables.X + 1; 'variables.X: ' + variables.X")),
            write_line("AfterWrite", js("getX()")),
        ]}),
        counter_variable(),
        json!({}),
    );
    assert_finished(&result);
    assert_eq!(
        result.lines,
        ["getVariable: 42", "getX: 41", "variables.X: 42", "42"]
    );
    let root = &result.state.activity_execution_contexts[0];
    assert_eq!(root["scheduledActivityNodeId"], "Workflow1");
    assert!(root.get("parentContextId").is_none());
    assert_eq!(root["properties"]["Variables"], json!({"var-x": 42}));
    assert_eq!(result.state.activity_execution_contexts.len(), 1);
}

#[test]
fn a_sequence_nested_in_a_flowchart_declares_its_own_variables() {
    let result = run(flowchart(
        json!([
            {"id": "Start1", "type": "Elsa.Start"},
            {"id": "Inner", "type": "Elsa.Sequence",
             "variables": [{"id": "v-local", "name": "Local", "typeName": "String", "value": "inner"}],
             "activities": [write_line("One", js("getLocal() + ' 1'")), write_line("Two", json!("2"))]},
            write_line("After", json!("after")),
        ]),
        json!([
            connect("Start1", "Done", "Inner"),
            connect("Inner", "Done", "After")
        ]),
    ));
    assert_finished(&result);
    assert_eq!(result.lines, ["inner 1", "2", "after"]);
    let two = result
        .journal
        .iter()
        .find(|r| &*r.activity_id == "Two")
        .unwrap();
    assert_eq!(&*two.activity_node_id, "Workflow1:Flowchart1:Inner:Two");
}

#[test]
fn activities_without_ids_get_type_based_ids() {
    let result = run(json!({"type": "Elsa.Sequence", "activities": [
        {"type": "Elsa.WriteLine", "text": "a"},
        {"id": "WriteLine1", "type": "Elsa.WriteLine", "text": "b"},
        {"type": "Elsa.WriteLine", "text": "c"},
    ]}));
    assert_finished(&result);
    assert_eq!(
        journaled(&result, "Started"),
        [
            "Workflow1",
            "Sequence1",
            "WriteLine2",
            "WriteLine1",
            "WriteLine3"
        ]
    );
}

#[test]
fn load_errors_name_the_problem() {
    let unknown = load_error(
        json!({"type": "Elsa.Sequence", "activities": [{"id": "x1", "type": "Acme.Teleport"}]}),
    );
    assert_eq!(
        unknown,
        LoadError::UnknownActivityType {
            type_name: "Acme.Teleport".into(),
            activity_id: "x1".into()
        }
    );
    assert!(unknown.to_string().contains("Acme.Teleport") && unknown.to_string().contains("x1"));

    let syntax = load_error(write_line("Broken", js("getX( +")));
    assert!(
        matches!(&syntax, LoadError::ScriptSyntax { activity_id, input, .. } if activity_id == "Broken" && input == "Text"),
        "{syntax:?}"
    );
    assert!(syntax.to_string().contains("SyntaxError"), "{syntax}");

    let malformed = load_error(json!({"type": "Elsa.Sequence", "activities": [42]}));
    assert!(
        matches!(&malformed, LoadError::Malformed { path, .. } if path == "Workflow1:Sequence1.activities[0]"),
        "{malformed:?}"
    );
    assert!(matches!(
        load_error(json!({"id": "S", "type": "Elsa.SetVariable"})),
        LoadError::Malformed { .. }
    ));
    let literal =
        load_error(json!({"id": "D", "type": "Elsa.FlowDecision", "condition": "perhaps"}));
    assert!(matches!(literal, LoadError::InvalidLiteral { .. }));
    let duplicate = load_error(
        json!({"type": "Elsa.Sequence", "activities": [write_line("A", json!("1")), write_line("A", json!("2"))]}),
    );
    assert_eq!(
        duplicate,
        LoadError::DuplicateActivityId {
            activity_id: "A".into()
        }
    );
}

#[test]
fn a_runtime_script_error_faults_the_workflow_with_one_incident() {
    let result = run(json!({"type": "Elsa.Sequence", "activities": [
        write_line("Before", json!("before")),
        write_line("Boom", js("notDefined.x")),
        write_line("After", json!("after")),
    ]}));
    assert_eq!(result.state.status, WorkflowStatus::Finished);
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
    assert_eq!(result.lines, ["before"]);
    assert_eq!(result.state.incidents.len(), 1);
    let incident = &result.state.incidents[0];
    assert_eq!(incident.activity_id, "Boom");
    assert_eq!(incident.activity_type, "Elsa.WriteLine");
    assert!(
        incident.message.contains("ReferenceError"),
        "{}",
        incident.message
    );
    assert_eq!(journaled(&result, "Faulted"), ["Boom"]);
    let record = result
        .activity_records
        .iter()
        .find(|r| &*r.activity_id == "Boom")
        .unwrap();
    assert_eq!(record.status, "Faulted");
    assert!(result.state.finished_at.is_some());
}

#[test]
fn a_runaway_script_ends_as_an_incident_and_the_thread_stays_usable() {
    let engine = Engine::new(EngineOptions {
        script_timeout: Duration::from_millis(200),
        ..EngineOptions::default()
    });
    let started = Instant::now();
    let result = run_with(
        &engine,
        write_line("Spin", js("while (true) {}")),
        json!([]),
        json!({}),
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
    assert_eq!(result.state.incidents.len(), 1);
    let exception = result.state.incidents[0].exception.as_ref().unwrap();
    assert_eq!(exception.type_name, "TimeoutException");
    let next = run_with(
        &engine,
        write_line("Fine", js("'still ' + 'working'")),
        json!([]),
        json!({}),
    );
    assert_finished(&next);
    assert_eq!(next.lines, ["still working"]);
}

#[test]
fn a_growing_array_ends_as_an_out_of_memory_incident() {
    let engine = Engine::new(EngineOptions {
        script_memory_limit: 8 * 1024 * 1024,
        script_timeout: Duration::from_secs(5),
        ..EngineOptions::default()
    });
    let grow = js("const a = []; while (true) { a.push('some text ' + a.length); }");
    let result = run_with(&engine, write_line("Grow", grow), json!([]), json!({}));
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
    let exception = result.state.incidents[0].exception.as_ref().unwrap();
    assert_eq!(
        exception.type_name, "MemoryLimitExceededException",
        "{}",
        exception.message
    );
    let next = run_with(
        &engine,
        write_line("Fine", js("[1, 2, 3].length")),
        json!([]),
        json!({}),
    );
    assert_eq!(next.lines, ["3"]);
}

fn liquid(source: &str) -> Value {
    json!({"typeName": "Object", "expression": {"type": "Liquid", "value": source}})
}

#[test]
fn a_liquid_template_over_its_limits_ends_as_an_incident_and_the_thread_stays_usable() {
    let nested = "{% for a in (1..1000000) %}{% for b in (1..1000000) %}y{% endfor %}{% endfor %}";
    // The default limits but for the clock: 100,000 iterations of a debug build on a busy
    // machine can take longer than the default second.
    let engine = Engine::new(EngineOptions {
        liquid_timeout: Duration::from_secs(60),
        ..EngineOptions::default()
    });
    let result = run_with(
        &engine,
        write_line("Spin", liquid(nested)),
        json!([]),
        json!({}),
    );
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
    assert_eq!(result.state.incidents.len(), 1);
    let incident = &result.state.incidents[0];
    assert_eq!(incident.activity_id, "Spin");
    assert_eq!(
        incident.message,
        "The Liquid template exceeded the iteration limit of 100000."
    );
    let exception = incident.exception.as_ref().unwrap();
    assert_eq!(exception.type_name, "LiquidException");
    let next = run_with(
        &engine,
        write_line("Fine", liquid("{% for i in (1..3) %}{{ i }}{% endfor %}")),
        json!([]),
        json!({}),
    );
    assert_finished(&next);
    assert_eq!(next.lines, ["123"]);
}

#[test]
fn liquid_limits_come_from_the_engine_options() {
    let engine = Engine::new(EngineOptions {
        liquid_iteration_limit: 10,
        liquid_output_limit: 8,
        liquid_value_limit: 100,
        ..EngineOptions::default()
    });
    for (source, message) in [
        (
            "{% for i in (1..11) %}{% endfor %}",
            "The Liquid template exceeded the iteration limit of 10.",
        ),
        (
            "123456789",
            "The Liquid template's output exceeded 8 bytes.",
        ),
        (
            "{% assign x = 'abcdefghij' | append: 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz' %}",
            "The Liquid template built a value larger than 100 bytes.",
        ),
    ] {
        let result = run_with(
            &engine,
            write_line("L", liquid(source)),
            json!([]),
            json!({}),
        );
        assert_eq!(
            result.state.sub_status,
            WorkflowSubStatus::Faulted,
            "{source}"
        );
        assert_eq!(result.state.incidents[0].message, message);
    }
    let fine = run_with(
        &engine,
        write_line("Fine", liquid("{% for i in (1..10) %}{% endfor %}ok")),
        json!([]),
        json!({}),
    );
    assert_finished(&fine);
    assert_eq!(fine.lines, ["ok"]);
}

/// A flowchart whose A and B follow each other forever.
fn endless_loop() -> Value {
    flowchart(
        json!([{"id": "Start1", "type": "Elsa.Start"}, write_line("A", json!("a")), write_line("B", json!("b"))]),
        json!([
            connect("Start1", "Done", "A"),
            connect("A", "Done", "B"),
            connect("B", "Done", "A")
        ]),
    )
}

#[test]
fn a_flowchart_loop_that_never_ends_hits_the_execution_limit() {
    let engine = Engine::new(EngineOptions {
        max_activity_executions: 50,
        ..EngineOptions::default()
    });
    let result = run_with(&engine, endless_loop(), json!([]), json!({}));
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
    assert!(result.state.incidents[0].message.contains("limit of 50"));
}

#[test]
fn a_run_that_outlasts_its_time_budget_faults_with_an_incident() {
    let engine = Engine::new(EngineOptions {
        max_run_duration: Some(std::time::Duration::from_millis(50)),
        ..EngineOptions::default()
    });
    let started = std::time::Instant::now();
    let result = run_with(&engine, endless_loop(), json!([]), json!({}));
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
    assert!(
        result.state.incidents[0]
            .message
            .contains("time budget of 50 ms"),
        "{}",
        result.state.incidents[0].message
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn runs_are_deterministic() {
    let workflow = || {
        run_with(
            &Engine::default(),
            decision_workflow(),
            counter_variable(),
            json!({"Amount": 101}),
        )
    };
    let (first, second) = (workflow(), workflow());
    let serialize = |result: &RunResult| {
        serde_json::to_string(&(&result.state, &result.journal, &result.activity_records)).unwrap()
    };
    assert_eq!(serialize(&first), serialize(&second));
    assert_eq!(
        first.state.created_at,
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
    );
}

#[test]
fn the_state_serializes_as_elsa_writes_it() {
    let result = run_with(
        &Engine::default(),
        decision_workflow(),
        counter_variable(),
        json!({"Amount": 1}),
    );
    let state = serde_json::to_value(&result.state).unwrap();
    assert_eq!(state["status"], "Finished");
    assert_eq!(state["subStatus"], "Finished");
    assert_eq!(state["definitionVersionId"], "def-v1");
    assert_eq!(state["correlationId"], "corr-1");
    let root = &state["activityExecutionContexts"][0];
    assert_eq!(root["status"], "Completed");
    assert_eq!(root["properties"]["Variables"], json!({"var-x": 0}));
    let journal = serde_json::to_value(&result.journal[0]).unwrap();
    assert_eq!(journal["eventName"], "Started");
    assert_eq!(journal["activityType"], "Elsa.Workflow");
    assert_eq!(journal["workflowInstanceId"], "instance-1");
    let _: Map<String, Value> = serde_json::from_value(state).unwrap();
}

#[test]
fn engine_and_workflow_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Engine>();
    shareable::<elsa_engine::Workflow>();
    let engine = std::sync::Arc::new(Engine::default());
    let workflow = std::sync::Arc::new(
        engine
            .load(&definition(decision_workflow(), json!([])))
            .unwrap(),
    );
    let handles: Vec<_> = (0..4)
        .map(|amount| {
            let (engine, workflow) = (engine.clone(), workflow.clone());
            std::thread::spawn(move || {
                let request = StartRequest {
                    input: json!({"Amount": amount * 100})
                        .as_object()
                        .cloned()
                        .unwrap(),
                    ..StartRequest::new("t")
                };
                let clock = FixedClock(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
                engine
                    .start(&workflow, request, &clock, &SequentialIds::new())
                    .lines
            })
        })
        .collect();
    let lines: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(lines, [["small"], ["small"], ["big"], ["big"]]);
}

#[test]
fn declared_workflow_inputs_have_getters_even_when_not_given() {
    let mut definition = definition(
        write_line("Greet", js("'Hi ' + getName() + ' ' + getMissing()")),
        json!([]),
    );
    definition.inputs = vec![
        json!({"name": "Name", "type": "String"}),
        json!({"name": "Missing", "type": "String"}),
    ];
    let engine = Engine::default();
    let workflow = engine.load(&definition).unwrap();
    let request = StartRequest {
        input: json!({"Name": "Ada"}).as_object().cloned().unwrap(),
        ..StartRequest::new("i")
    };
    let result = engine.start(
        &workflow,
        request,
        &FixedClock(Utc::now()),
        &SequentialIds::new(),
    );
    assert_eq!(result.lines, ["Hi Ada null"]);
}
