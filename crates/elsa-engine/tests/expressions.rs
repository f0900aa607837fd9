//! Expression types, the JavaScript globals and output binding, through whole workflow runs.

use chrono::{TimeZone, Utc};
use elsa_engine::{Engine, FixedClock, IdGenerator, RunResult, SequentialIds, StartRequest};
use elsa_model::{WorkflowDefinition, WorkflowStatus, WorkflowSubStatus};
use serde_json::{Value, json};

fn run_with_input(root: Value, variables: Value, input: Value) -> RunResult {
    run_with_ids(root, variables, input, &SequentialIds::new())
}

fn run_with_ids(root: Value, variables: Value, input: Value, ids: &dyn IdGenerator) -> RunResult {
    let definition: WorkflowDefinition = serde_json::from_value(json!({
        "id": "def-v3", "definitionId": "def", "createdAt": "2026-01-01T00:00:00Z", "version": 3,
        "variables": variables, "inputs": [{"name": "Who"}], "root": root
    }))
    .expect("a valid definition");
    let engine = Engine::default();
    let workflow = engine.load(&definition).expect("the workflow loads");
    let request = StartRequest {
        input: input.as_object().cloned().unwrap_or_default(),
        correlation_id: Some("corr-1".into()),
        ..StartRequest::new("instance-1")
    };
    let clock = FixedClock(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap());
    engine.start(&workflow, request, &clock, ids)
}

fn run(activities: Value, variables: Value) -> RunResult {
    run_with_input(
        json!({"type": "Elsa.Sequence", "activities": activities}),
        variables,
        json!({"Who": "Ada"}),
    )
}

fn expression(kind: &str, value: &str) -> Value {
    json!({"typeName": "Object", "expression": {"type": kind, "value": value}})
}

fn write(id: &str, kind: &str, value: &str) -> Value {
    json!({"id": id, "type": "Elsa.WriteLine", "text": expression(kind, value)})
}

fn finished(result: &RunResult) -> bool {
    result.state.incidents.is_empty() && result.state.sub_status == WorkflowSubStatus::Finished
}

fn name_variable() -> Value {
    json!([{"id": "var-name", "name": "Name", "typeName": "String", "value": "Grace"}])
}

#[test]
fn liquid_renders_elsa_s_model() {
    let result = run(
        json!([write(
            "L",
            "Liquid",
            "{{ Variables.Name }} greets {{ Input.Who }} ({{ CorrelationId }}, {{ WorkflowInstanceId }}, {{ WorkflowDefinitionId }} v{{ WorkflowDefinitionVersion }} {{ WorkflowDefinitionVersionId }})"
        )]),
        name_variable(),
    );
    assert!(finished(&result), "{:?}", result.state.incidents);
    assert_eq!(
        result.lines,
        ["Grace greets Ada (corr-1, instance-1, def v3 def-v3)"]
    );
}

#[test]
fn csharp_and_python_are_incidents_when_evaluated_not_load_errors() {
    for kind in ["CSharp", "Python"] {
        let result = run(
            json!([
                write("Before", "Literal", "before"),
                write("Code", kind, "1 + 1")
            ]),
            json!([]),
        );
        assert_eq!(result.lines, ["before"]);
        assert_eq!(result.state.status, WorkflowStatus::Finished);
        assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
        let incident = &result.state.incidents[0];
        assert_eq!(incident.activity_id, "Code");
        assert_eq!(
            incident.message,
            format!("The expression type '{kind}' is not supported.")
        );
    }
}

#[test]
fn liquid_renders_names_the_workflow_never_declared_as_nothing() {
    let result = run(
        json!([write(
            "L",
            "Liquid",
            "Hi {{ Variables.Undeclared }}{{ Nobody }}{{ Input.Missing.Deeper }}!"
        )]),
        name_variable(),
    );
    assert!(finished(&result), "{:?}", result.state.incidents);
    assert_eq!(result.lines, ["Hi !"]);
}

#[test]
fn run_csharp_and_run_python_load_like_elsa_s_and_fault_when_run() {
    for (type_name, language) in [("Elsa.RunCSharp", "C#"), ("Elsa.RunPython", "Python")] {
        let descriptor = Engine::default()
            .registry()
            .find(type_name)
            .expect("a registered activity type");
        let inputs: Vec<_> = descriptor.inputs.iter().map(|i| i.name).collect();
        assert_eq!(inputs, ["Script", "PossibleOutcomes"]);
        assert_eq!(descriptor.outputs[0].name, "Result");

        let result = run(
            json!([
                write("Before", "Literal", "before"),
                {"id": "Code", "type": type_name,
                 "script": expression("Literal", "return 1;"),
                 "result": {"typeName": "Object", "memoryReference": {"id": "var-name"}}},
                write("After", "Literal", "after"),
            ]),
            name_variable(),
        );
        assert_eq!(result.lines, ["before"]);
        assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
        let incident = &result.state.incidents[0];
        assert_eq!(incident.activity_id, "Code");
        assert_eq!(
            incident.message,
            format!("Running {language} code is not supported.")
        );
    }
}

#[test]
fn variable_and_input_expressions_read_by_reference() {
    let result = run(
        json!([
            write("ByObject", "Variable", "{\"id\":\"var-name\",\"name\":\"Renamed\"}"),
            {"id": "ByValue", "type": "Elsa.WriteLine", "text": {"typeName": "Object", "expression": {"type": "Variable", "value": {"id": "var-name"}}}},
            write("Input", "Input", "{\"name\":\"Who\"}"),
            write("Object", "Object", "{\"a\":[1,2]}"),
        ]),
        name_variable(),
    );
    assert!(finished(&result), "{:?}", result.state.incidents);
    assert_eq!(result.lines, ["Grace", "Grace", "Ada", "{\"a\":[1,2]}"]);
}

#[test]
fn one_workflow_s_global_assignment_is_invisible_to_the_next() {
    let first = run(
        json!([write("Leak", "JavaScript", "leaked = 'first'; leaked")]),
        json!([]),
    );
    assert_eq!(first.lines, ["first"]);
    let second = run(
        json!([write(
            "Probe",
            "JavaScript",
            "try { leaked } catch (e) { 'isolated' }"
        )]),
        json!([]),
    );
    assert!(finished(&second), "{:?}", second.state.incidents);
    assert_eq!(second.lines, ["isolated"]);
}

#[test]
fn scripts_change_the_correlation_id_and_instance_name() {
    let result = run(
        json!([write(
            "Set",
            "JavaScript",
            "setCorrelationId('corr-2'); setWorkflowInstanceName(getWho()); getCorrelationId()"
        )]),
        json!([]),
    );
    assert_eq!(result.lines, ["corr-2"]);
    assert_eq!(result.state.correlation_id.as_deref(), Some("corr-2"));
    assert_eq!(result.state.name.as_deref(), Some("Ada"));
}

#[test]
fn outputs_are_readable_and_bound_outputs_write_variables() {
    // If's `Result` output is bound to variable `var-flag` and read back three ways.
    let result = run(
        json!([
            {"id": "Check", "name": "Check", "type": "Elsa.If", "condition": expression("JavaScript", "getWho() === 'Ada'"),
             "result": {"typeName": "Boolean", "memoryReference": {"id": "var-flag"}}},
            write("Read", "JavaScript", "[getFlag(), getOutputFrom('Check'), getResultFromCheck(), getLastResult()].join()"),
        ]),
        json!([{"id": "var-flag", "name": "Flag", "typeName": "Boolean"}]),
    );
    assert!(finished(&result), "{:?}", result.state.incidents);
    assert_eq!(result.lines, ["true,true,true,true"]);
}

#[test]
fn guids_come_from_the_id_generator() {
    let make = || {
        run(
            json!([write(
                "G",
                "JavaScript",
                "[newGuid(), newShortGuid()].join(' ')"
            )]),
            json!([]),
        )
        .lines
    };
    let (first, second) = (make(), make());
    assert_eq!(first, second, "deterministic ids make deterministic GUIDs");
    assert!(first[0].starts_with("00000000-0000-"), "{first:?}");
}

#[test]
fn scripts_see_the_run_s_clock() {
    let result = run(
        json!([
            write("Now", "JavaScript", "Date.now()"),
            write("Iso", "JavaScript", "new Date().toISOString()"),
            write(
                "Text",
                "JavaScript",
                "Date() === new Date(1767323045000).toString()"
            ),
        ]),
        json!([]),
    );
    assert!(finished(&result), "{:?}", result.state.incidents);
    // The run's FixedClock: 2026-01-02T03:04:05Z.
    assert_eq!(
        result.lines,
        ["1767323045000", "2026-01-02T03:04:05.000Z", "True"]
    );
}

/// The lines of a run of `source` with ids that start after `skipped` draws, and the ids the
/// run made (journal records, activity execution records).
fn run_script_with_ids(source: Value, skipped: usize) -> (Vec<String>, Vec<String>) {
    let ids = SequentialIds::new();
    for _ in 0..skipped {
        ids.new_id();
    }
    let root = json!({"type": "Elsa.Sequence", "activities": [
        {"id": "Script", "type": "Elsa.WriteLine", "text": source}
    ]});
    let result = run_with_ids(root, json!([]), json!({}), &ids);
    assert!(finished(&result), "{:?}", result.state.incidents);
    let journal = result.journal.iter().map(|record| record.id.clone());
    let records = result
        .activity_records
        .iter()
        .map(|record| record.id.clone());
    (result.lines, journal.chain(records).collect())
}

#[test]
fn math_random_replays_from_the_run_s_ids() {
    let random = || expression("JavaScript", "[Math.random(), Math.random()].join(' ')");
    let (first, _) = run_script_with_ids(random(), 0);
    assert_eq!(
        first,
        run_script_with_ids(random(), 0).0,
        "the same ids replay"
    );
    assert_ne!(
        first,
        run_script_with_ids(random(), 5).0,
        "other ids, other numbers"
    );
    let numbers: Vec<f64> = first[0].split(' ').map(|n| n.parse().unwrap()).collect();
    assert_eq!(numbers.len(), 2);
    assert_ne!(numbers[0], numbers[1]);
    assert!(
        numbers.iter().all(|n| (0.0..1.0).contains(n)),
        "{numbers:?}"
    );
}

#[test]
fn only_scripts_that_use_math_random_take_an_id() {
    let (_, literal) = run_script_with_ids(expression("Literal", "text"), 0);
    let (_, dated) = run_script_with_ids(
        expression("JavaScript", "new Date(Date.now()).toISOString()"),
        0,
    );
    assert_eq!(
        dated, literal,
        "a script without Math.random leaves the ids as they were"
    );
    assert_eq!(literal[0], "0000000000000002");
    let (_, random) = run_script_with_ids(expression("JavaScript", "Math.random()"), 0);
    assert_ne!(random, literal, "Math.random takes one id");
}

#[test]
fn a_script_cannot_replace_the_clock_or_random_source_of_the_next() {
    let probe = "[Date.now(), Math.random() !== 0.5].join()";
    let tamper = format!("Date.now = () => 1; Math.random = () => 0.5; {probe}");
    let first = run(json!([write("Tamper", "JavaScript", &tamper)]), json!([]));
    assert!(finished(&first), "{:?}", first.state.incidents);
    assert_eq!(first.lines, ["1767323045000,true"], "not even for itself");
    let second = run(json!([write("Probe", "JavaScript", probe)]), json!([]));
    assert_eq!(second.lines, ["1767323045000,true"]);
}

#[test]
fn deep_recursion_is_an_incident_and_the_next_run_works() {
    let result = run(
        json!([write(
            "Deep",
            "JavaScript",
            "(function f(n) { return f(n + 1) + 1; })(0)"
        )]),
        json!([]),
    );
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
    assert!(
        result.state.incidents[0].message.contains("stack"),
        "{:?}",
        result.state.incidents
    );
    let next = run(
        json!([write("Fine", "JavaScript", "'still ' + getWho()")]),
        json!([]),
    );
    assert_eq!(next.lines, ["still Ada"]);
}

#[test]
fn literals_are_converted_to_the_input_type() {
    // WriteLine's text is a String: a boolean literal reads as .NET prints it. (TimeSpan text is
    // parsed by the scheduling activities, `activities/timing.rs`.)
    let result = run(
        json!([{"id": "B", "type": "Elsa.WriteLine", "text": {"typeName": "String", "expression": {"type": "Literal", "value": true}}}]),
        json!([{"id": "n", "name": "N", "typeName": "Int32", "value": "4"}]),
    );
    assert!(finished(&result), "{:?}", result.state.incidents);
    assert_eq!(result.lines, ["True"]);
    let result = run(
        json!([write("Types", "JavaScript", "typeof getN()")]),
        json!([{"id": "n", "name": "N", "typeName": "Int32", "value": "4"}]),
    );
    assert_eq!(result.lines, ["number"]);
}

#[test]
fn a_liquid_template_the_parser_chokes_on_is_a_load_error() {
    // Found by the `expression` fuzz target: an integer literal beyond i64 before a filter.
    let definition: WorkflowDefinition = serde_json::from_value(json!({
        "id": "v", "definitionId": "d", "createdAt": "2026-01-01T00:00:00Z", "version": 1,
        "root": write("L", "Liquid", "get{{  5555555555555555555555555550|  uC}}"),
    }))
    .unwrap();
    let error = Engine::default().load(&definition).unwrap_err();
    assert!(error.to_string().contains("does not compile"), "{error}");
}
