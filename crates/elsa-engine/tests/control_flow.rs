//! The control-flow activities: joins, forks, switches, loops, Break, Complete, Finish, Fault,
//! and the small primitives (Correlate, SetName, SetOutput, Log, RunJavaScript), on workflow
//! JSON written for these tests.

mod support;

use elsa_engine::{Effect, Engine, LogLevel};
use elsa_model::{WorkflowStatus, WorkflowSubStatus};
use serde_json::{Value, json};
use support::*;

fn literal(type_name: &str, value: Value) -> Value {
    json!({"typeName": type_name, "expression": {"type": "Literal", "value": value}})
}

fn object(value: Value) -> Value {
    json!({"typeName": "Object", "expression": {"type": "Object", "value": value.to_string()}})
}

fn join(id: &str, mode: &str) -> Value {
    json!({"id": id, "type": "Elsa.FlowJoin", "mode": literal("FlowJoinMode", json!(mode))})
}

fn start_activity() -> Value {
    json!({"id": "Start1", "type": "Elsa.Start"})
}

fn decision(id: &str, condition: bool) -> Value {
    json!({"id": id, "type": "Elsa.FlowDecision", "condition": literal("Boolean", json!(condition))})
}

fn sequence(id: &str, activities: Value) -> Value {
    json!({"id": id, "type": "Elsa.Sequence", "activities": activities})
}

fn completed_outcomes(result: &elsa_engine::RunResult, activity_id: &str) -> Vec<Value> {
    result
        .journal
        .iter()
        .filter(|r| &*r.activity_id == activity_id && r.event_name.as_deref() == Some("Completed"))
        .map(|r| r.payload.clone().unwrap_or_default()["Outcomes"].clone())
        .collect()
}

/// Two branches from Start meet at `join`: a true decision → A, and a decision → B.
fn two_branches_into(join_activity: Value, second: bool) -> Value {
    flowchart(
        json!([
            start_activity(),
            decision("D1", true),
            decision("D2", second),
            write_line("A", json!("A")),
            write_line("B", json!("B")),
            join_activity,
            write_line("After", json!("after")),
        ]),
        json!([
            connect("Start1", "Done", "D1"),
            connect("Start1", "Done", "D2"),
            connect("D1", "True", "A"),
            connect("D2", "True", "B"),
            connect("A", "Done", "J"),
            connect("B", "Done", "J"),
            connect("J", "Done", "After"),
        ]),
    )
}

#[test]
fn flow_join_wait_all_runs_only_when_every_branch_was_followed() {
    let both = run(two_branches_into(join("J", "WaitAll"), true));
    assert_finished(&both);
    assert_eq!(both.lines, ["A", "B", "after"]);

    let one = run(two_branches_into(join("J", "WaitAll"), false));
    assert_finished(&one);
    assert_eq!(one.lines, ["A"]);
    assert!(completed_outcomes(&one, "J").is_empty(), "WaitAll skipped");
}

#[test]
fn flow_join_wait_all_active_and_implicit_joins_run_after_the_followed_branches() {
    for target in [join("J", "WaitAllActive"), write_line("J", json!("joined"))] {
        let result = run(two_branches_into(target, false));
        assert_finished(&result);
        assert_eq!(result.lines.last().map(String::as_str), Some("after"));
        assert_eq!(completed_outcomes(&result, "J").len(), 1);
    }
}

#[test]
fn flow_join_wait_any_runs_once_and_cancels_the_branch_still_running() {
    // Branch A (two steps) reaches the join while branch B's sequence is still running.
    let result = run(flowchart(
        json!([
            start_activity(),
            write_line("A1", json!("A1")),
            write_line("A2", json!("A2")),
            sequence(
                "B",
                json!([write_line("B1", json!("B1")), write_line("B2", json!("B2")),])
            ),
            join("J", "WaitAny"),
            write_line("After", json!("after")),
        ]),
        json!([
            connect("Start1", "Done", "A1"),
            connect("A1", "Done", "A2"),
            connect("Start1", "Done", "B"),
            connect("A2", "Done", "J"),
            connect("B", "Done", "J"),
            connect("J", "Done", "After"),
        ]),
    ));
    assert_finished(&result);
    assert_eq!(result.lines, ["A1", "A2", "after"]);
    assert_eq!(completed_outcomes(&result, "J").len(), 1);
    assert_eq!(journaled(&result, "Canceled"), ["B"]);
}

#[test]
fn flow_join_wait_any_ignores_a_late_branch() {
    let result = run(two_branches_into(join("J", "WaitAny"), true));
    assert_finished(&result);
    assert_eq!(result.lines, ["A", "B", "after"]);
    assert_eq!(completed_outcomes(&result, "J").len(), 1);
}

#[test]
fn flow_fork_follows_every_branch() {
    let result = run(flowchart(
        json!([
            start_activity(),
            {"id": "Fork1", "type": "Elsa.FlowFork", "branches": literal("List<String>", json!(["Left", "Right"]))},
            write_line("L", json!("left")),
            write_line("R", json!("right")),
            join("J", "WaitAll"),
            write_line("After", json!("after")),
        ]),
        json!([
            connect("Start1", "Done", "Fork1"),
            connect("Fork1", "Left", "L"),
            connect("Fork1", "Right", "R"),
            connect("L", "Done", "J"),
            connect("R", "Done", "J"),
            connect("J", "Done", "After"),
        ]),
    ));
    assert_finished(&result);
    assert_eq!(result.lines, ["left", "right", "after"]);
    assert_eq!(
        completed_outcomes(&result, "Fork1"),
        [json!(["Left", "Right"])]
    );
}

fn flow_switch(mode: &str, amount: i64) -> Value {
    let case = |label: &str, condition: &str| json!({"label": label, "condition": {"type": "JavaScript", "value": condition}});
    json!({"id": "Switch1", "type": "Elsa.FlowSwitch",
    "mode": literal("SwitchMode", json!(mode)),
    "cases": [
        case("Big", &format!("{amount} > 100")),
        case("Even", &format!("{amount} % 2 == 0")),
    ]})
}

#[test]
fn flow_switch_completes_with_the_first_or_every_matching_label_or_default() {
    let outcomes = |mode, amount| {
        let result = run(flowchart(json!([flow_switch(mode, amount)]), json!([])));
        assert_finished(&result);
        completed_outcomes(&result, "Switch1")
    };
    assert_eq!(outcomes("MatchFirst", 150), [json!(["Big"])]);
    assert_eq!(outcomes("MatchAny", 150), [json!(["Big", "Even"])]);
    assert_eq!(outcomes("MatchAny", 7), [json!(["Default"])]);
}

#[test]
fn switch_runs_the_matching_case_activities_or_default() {
    let switch = |mode: &str, condition: &str| {
        json!({"id": "Switch1", "type": "Elsa.Switch", "mode": literal("SwitchMode", json!(mode)),
               "cases": [
                   {"label": "One", "condition": {"type": "JavaScript", "value": condition},
                    "activity": write_line("W1", json!("one"))},
                   {"label": "Two", "condition": {"type": "JavaScript", "value": "true"},
                    "activity": write_line("W2", json!("two"))},
               ],
               "default": write_line("W3", json!("default"))})
    };
    let lines = |root| {
        let result = run(sequence(
            "Seq",
            json!([root, write_line("End", json!("end"))]),
        ));
        assert_finished(&result);
        result.lines
    };
    assert_eq!(lines(switch("MatchFirst", "true")), ["one", "end"]);
    assert_eq!(lines(switch("MatchAny", "true")), ["one", "two", "end"]);
    assert_eq!(lines(switch("MatchFirst", "false")), ["two", "end"]);
    let no_case = json!({"id": "Switch1", "type": "Elsa.Switch", "default": write_line("W3", json!("default"))});
    assert_eq!(lines(no_case), ["default", "end"]);
}

#[test]
fn flow_node_runs_its_body() {
    let result = run(flowchart(
        json!([{"id": "Node1", "type": "Elsa.FlowNode", "body": write_line("W", json!("body"))},
               write_line("After", json!("after"))]),
        json!([connect("Node1", "Done", "After")]),
    ));
    assert_finished(&result);
    assert_eq!(result.lines, ["body", "after"]);
}

#[test]
fn for_each_runs_the_body_per_item_with_iteration_variables() {
    let result = run(json!({"id": "Loop", "type": "Elsa.ForEach",
        "items": object(json!(["a", "b", "c"])),
        "body": write_line("W", js("getCurrentIndex() + ':' + variables.CurrentValue"))}));
    assert_finished(&result);
    assert_eq!(result.lines, ["0:a", "1:b", "2:c"]);
    let record = result
        .activity_records
        .iter()
        .find(|r| &*r.activity_id == "Loop")
        .unwrap();
    assert_eq!(record.outputs, Some(json!({"CurrentValue": "c"})));
}

#[test]
fn for_counts_up_down_and_faults_on_a_zero_step() {
    let count = |start: i64, end: i64, step: i64, inclusive: bool| {
        run(json!({"id": "Loop", "type": "Elsa.For",
            "start": literal("Int32", json!(start)), "end": literal("Int32", json!(end)),
            "step": literal("Int32", json!(step)),
            "outerBoundInclusive": literal("Boolean", json!(inclusive)),
            "body": write_line("W", js("getCurrentValue()"))}))
    };
    assert_eq!(count(1, 3, 1, true).lines, ["1", "2", "3"]);
    assert_eq!(count(3, 1, -1, false).lines, ["3", "2"]);
    assert_eq!(count(0, 10, 4, true).lines, ["0", "4", "8"]);
    let zero = count(0, 3, 0, true);
    assert_eq!(zero.state.sub_status, WorkflowSubStatus::Faulted);
    assert_eq!(zero.state.incidents.len(), 1);
}

fn counter() -> Value {
    json!([{"id": "var-n", "name": "N", "typeName": "Int32", "value": "0"}])
}

fn increment() -> Value {
    json!({"id": "Inc", "type": "Elsa.SetVariable", "variable": {"id": "var-n", "name": "N"},
           "value": js("getN() + 1")})
}

#[test]
fn while_re_evaluates_its_condition_before_every_iteration() {
    let root = json!({"id": "Loop", "type": "Elsa.While",
        "condition": js("getN() < 3"),
        "body": sequence("Body", json!([increment(), write_line("W", js("getN()"))]))});
    let result = run_with(&Engine::default(), root, counter(), json!({}));
    assert_finished(&result);
    assert_eq!(result.lines, ["1", "2", "3"]);
}

#[test]
fn break_stops_the_nearest_loop_through_sequences_and_ifs() {
    let body = sequence(
        "Body",
        json!([
            {"id": "If1", "type": "Elsa.If", "condition": js("getCurrentValue() == 3"),
             "then": {"id": "Break1", "type": "Elsa.Break"}},
            write_line("W", js("getCurrentValue()")),
        ]),
    );
    let root = sequence(
        "Outer",
        json!([
            {"id": "Loop", "type": "Elsa.ForEach", "items": object(json!([1, 2, 3, 4])), "body": body},
            write_line("After", json!("after")),
        ]),
    );
    let result = run(root);
    assert_finished(&result);
    assert_eq!(result.lines, ["1", "2", "after"]);

    let endless = json!({"id": "Loop", "type": "Elsa.While", "condition": literal("Boolean", json!(true)),
        "body": sequence("Body", json!([increment(), write_line("W", js("getN()")),
            {"id": "If1", "type": "Elsa.If", "condition": js("getN() >= 2"),
             "then": {"id": "Break1", "type": "Elsa.Break"}}]))});
    let result = run_with(&Engine::default(), endless, counter(), json!({}));
    assert_finished(&result);
    assert_eq!(result.lines, ["1", "2"]);
}

#[test]
fn break_in_a_flowchart_body_stops_the_loop_not_just_the_flowchart() {
    let body = flowchart(
        json!([
            {"id": "D", "type": "Elsa.FlowDecision", "condition": js("getCurrentValue() == 2")},
            {"id": "Break1", "type": "Elsa.Break"},
            write_line("W", js("getCurrentValue()")),
        ]),
        json!([connect("D", "True", "Break1"), connect("D", "False", "W")]),
    );
    let result = run(sequence(
        "Outer",
        json!([
            {"id": "Loop", "type": "Elsa.ForEach", "items": object(json!([1, 2, 3])), "body": body},
            write_line("After", json!("after")),
        ]),
    ));
    assert_finished(&result);
    assert_eq!(result.lines, ["1", "after"]);
}

#[test]
fn fork_waits_for_all_or_any_branch() {
    let fork = |mode: &str| {
        json!({"id": "Fork1", "type": "Elsa.Fork", "joinMode": mode, "branches": [
            sequence("B", json!([write_line("B1", json!("b1")), write_line("B2", json!("b2"))])),
            write_line("A", json!("a")),
        ]})
    };
    let all = run(sequence(
        "Seq",
        json!([fork("WaitAll"), write_line("End", json!("end"))]),
    ));
    assert_finished(&all);
    assert_eq!(all.lines, ["a", "b1", "b2", "end"]);
    // A finishes first; the sequence, still running, is cancelled before its first child runs.
    let any = run(sequence(
        "Seq",
        json!([fork("WaitAny"), write_line("End", json!("end"))]),
    ));
    assert_finished(&any);
    assert_eq!(any.lines, ["a", "end"]);
    assert_eq!(journaled(&any, "Canceled"), ["B"]);
}

#[test]
fn parallel_and_parallel_for_each_complete_when_all_branches_have() {
    let parallel = run(json!({"id": "P", "type": "Elsa.Parallel", "activities": [
        write_line("A", json!("a")), write_line("B", json!("b"))]}));
    assert_finished(&parallel);
    assert_eq!(parallel.lines, ["a", "b"]);

    let result = run(json!({"id": "Loop", "type": "Elsa.ParallelForEach",
        "items": js("[1, 2, 3]"),
        "body": write_line("W", js("getCurrentIndex() + '=' + getCurrentValue()"))}));
    assert_finished(&result);
    assert_eq!(result.lines, ["0=1", "1=2", "2=3"]);
    assert_eq!(completed_outcomes(&result, "Loop").len(), 1);
}

#[test]
fn complete_and_finish_end_the_workflow_at_once() {
    let result = run(sequence(
        "Seq",
        json!([
            write_line("A", json!("a")),
            {"id": "Complete1", "type": "Elsa.Complete", "outcomes": literal("Object", json!("Approved"))},
            write_line("B", json!("b")),
        ]),
    ));
    assert_finished(&result);
    assert_eq!(result.lines, ["a"]);
    assert_eq!(
        completed_outcomes(&result, "Workflow1"),
        [json!(["Approved"])]
    );

    // Finish in a parallel branch: the other branch's queued work never runs.
    let result = run(json!({"id": "P", "type": "Elsa.Parallel", "activities": [
        {"id": "Finish1", "type": "Elsa.Finish"},
        sequence("Other", json!([write_line("X", json!("x"))])),
    ]}));
    assert_finished(&result);
    assert!(result.lines.is_empty());
    assert_eq!(completed_outcomes(&result, "Finish1"), [json!([])]);
}

#[test]
fn fault_records_an_incident_with_its_code_and_category() {
    let result = run(sequence(
        "Seq",
        json!([
            {"id": "Fault1", "type": "Elsa.Fault", "code": literal("String", json!("110002")),
             "category": literal("String", json!("failure")),
             "message": literal("String", json!("that went south"))},
            write_line("Never", json!("never")),
        ]),
    ));
    assert_eq!(result.state.status, WorkflowStatus::Finished);
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
    assert!(result.lines.is_empty());
    let incident = &result.state.incidents[0];
    assert_eq!(
        (incident.activity_id.as_str(), incident.message.as_str()),
        ("Fault1", "that went south")
    );
    let faulted = result
        .journal
        .iter()
        .find(|r| r.event_name.as_deref() == Some("Faulted"))
        .unwrap();
    assert_eq!(
        faulted.payload,
        Some(
            json!({"Exception": "FaultException", "Message": "that went south",
                    "Code": "110002", "Category": "failure", "Type": "System"})
        )
    );
}

#[test]
fn continue_with_incidents_lets_the_other_branches_run() {
    let mut definition = definition(
        flowchart(
            json!([start_activity(), {"id": "Fault1", "type": "Elsa.Fault"}, write_line("Ok", json!("ok"))]),
            json!([
                connect("Start1", "Done", "Fault1"),
                connect("Start1", "Done", "Ok")
            ]),
        ),
        json!([]),
    );
    definition.options.insert(
        "incidentStrategyType".into(),
        json!(
            "Elsa.Workflows.IncidentStrategies.ContinueWithIncidentsStrategy, Elsa.Workflows.Core"
        ),
    );
    let result = start(&Engine::default(), &definition, json!({}));
    assert_eq!(result.lines, ["ok"]);
    assert_eq!(result.state.incidents.len(), 1);
    assert_eq!(result.state.status, WorkflowStatus::Running);
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Suspended);
}

#[test]
fn correlate_set_name_and_set_output_change_the_instance() {
    let result = run(sequence(
        "Seq",
        json!([
            {"id": "C", "type": "Elsa.Correlate", "correlationId": literal("String", json!("order-7"))},
            {"id": "N", "type": "Elsa.SetName", "value": js("'Order ' + getCorrelationId()")},
            {"id": "O", "type": "Elsa.SetOutput", "outputName": literal("String", json!("Total")),
             "outputValue": js("6 * 7")},
        ]),
    ));
    assert_finished(&result);
    assert_eq!(result.state.correlation_id.as_deref(), Some("order-7"));
    assert_eq!(result.state.name.as_deref(), Some("Order order-7"));
    assert_eq!(result.state.output.get("Total"), Some(&json!(42)));
}

#[test]
fn log_becomes_an_effect_for_the_runtime() {
    let result = run(json!({"id": "Log1", "type": "Elsa.Log",
        "message": literal("String", json!("Order {Id} shipped")), "level": literal("LogLevel", json!("Warning")),
        "arguments": object(json!({"Id": 7}))}));
    assert_finished(&result);
    assert_eq!(
        result.effects,
        [Effect::Log {
            level: LogLevel::Warning,
            category: "Process".into(),
            message: "Order {Id} shipped".into(),
            arguments: json!({"Id": 7}),
        }]
    );
}

#[test]
fn run_javascript_chooses_outcomes_and_sets_variables() {
    let script = |id: &str, source: &str| {
        json!({"id": id, "type": "Elsa.RunJavaScript",
               "script": {"typeName": "String", "expression": {"type": "JavaScript", "value": source}}})
    };
    let root = flowchart(
        json!([
            script("Js1", "setVariable('N', 5); setOutcome('Yes'); 40 + 2"),
            script("Js2", "setOutcomes(['A', 'B']);"),
            script("Js3", "const x = 1;"),
            write_line("Yes", js("'yes ' + getN()")),
            write_line("No", json!("no")),
        ]),
        json!([
            connect("Js1", "Yes", "Yes"),
            connect("Js1", "No", "No"),
            connect("Yes", "Done", "Js2"),
            connect("Js2", "B", "Js3"),
        ]),
    );
    let result = run_with(&Engine::default(), root, counter(), json!({}));
    assert_finished(&result);
    assert_eq!(result.lines, ["yes 5"]);
    assert_eq!(completed_outcomes(&result, "Js1"), [json!(["Yes"])]);
    assert_eq!(completed_outcomes(&result, "Js2"), [json!(["A", "B"])]);
    assert_eq!(completed_outcomes(&result, "Js3"), [json!(["Done"])]);
    let record = result
        .activity_records
        .iter()
        .find(|r| &*r.activity_id == "Js1")
        .unwrap();
    assert_eq!(record.outputs, Some(json!({"Result": 42})));
}

#[test]
fn broken_cases_and_scripts_are_load_errors() {
    let engine = Engine::default();
    let load = |root: Value| engine.load(&definition(root, json!([])));
    assert!(load(json!({"type": "Elsa.FlowSwitch", "cases": 3})).is_err());
    assert!(
        load(json!({"type": "Elsa.FlowSwitch", "cases": [
        {"label": "X", "condition": {"type": "JavaScript", "value": "1 +* 1"}}]}))
        .is_err()
    );
    assert!(load(json!({"type": "Elsa.RunJavaScript", "script": "if ("})).is_err());
}

#[test]
fn the_registry_describes_every_control_flow_activity() {
    let engine = Engine::default();
    for type_name in [
        "Elsa.FlowJoin",
        "Elsa.FlowFork",
        "Elsa.FlowSwitch",
        "Elsa.FlowNode",
        "Elsa.Switch",
        "Elsa.ForEach",
        "Elsa.For",
        "Elsa.While",
        "Elsa.Break",
        "Elsa.Fork",
        "Elsa.Parallel",
        "Elsa.ParallelForEach",
        "Elsa.Complete",
        "Elsa.Finish",
        "Elsa.Fault",
        "Elsa.Correlate",
        "Elsa.SetName",
        "Elsa.SetOutput",
        "Elsa.Log",
        "Elsa.RunJavaScript",
    ] {
        let descriptor = engine.registry().find(type_name).expect(type_name);
        assert_eq!(descriptor.type_name, type_name);
    }
    let join = engine.registry().find("FlowJoin").unwrap();
    assert_eq!(
        join.inputs[0].default.map(|d| d.to_json()),
        Some(json!("WaitAny"))
    );
}
