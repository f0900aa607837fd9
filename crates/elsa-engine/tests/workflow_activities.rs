//! Workflows used as activities: resolved by type name at load, run inline as composites
//! (inputs in, `SetOutput` out, `Complete` with outcomes), on workflow JSON written for these
//! tests.

mod support;

use elsa_engine::{ActivityResolver, Engine, LoadError, RunResult, SequentialIds, StartRequest};
use elsa_model::WorkflowDefinition;
use serde_json::{Value, json};
use support::*;

/// Definitions by type name, as the runtime would find them among published versions.
struct Library(Vec<(&'static str, WorkflowDefinition)>);

impl ActivityResolver for Library {
    fn resolve(&self, type_name: &str, _version: Option<i32>) -> Option<WorkflowDefinition> {
        self.0
            .iter()
            .find(|(name, _)| *name == type_name)
            .map(|(_, definition)| definition.clone())
    }
}

fn usable(definition_id: &str, root: Value, inputs: Value) -> WorkflowDefinition {
    serde_json::from_value(json!({
        "id": format!("{definition_id}-v1"), "definitionId": definition_id,
        "createdAt": "2026-01-01T00:00:00Z", "version": 1, "inputs": inputs,
        "options": {"usableAsActivity": true}, "root": root
    }))
    .unwrap()
}

/// `Sum`: inputs A and B (Int32); output Result = A + B; completes with outcome `Big` when
/// the sum exceeds 10 (and `Done` otherwise).
fn sum() -> WorkflowDefinition {
    usable(
        "sum",
        flowchart(
            json!([
                {"id": "Add", "type": "Elsa.SetOutput", "outputName": "Result", "outputValue": js("getA() + getB()")},
                {"id": "Check", "type": "Elsa.FlowDecision", "condition": js("getInput('A') + getInput('B') > 10")},
                {"id": "Big", "type": "Elsa.Complete", "outcomes": "Big"},
            ]),
            json!([
                connect("Add", "Done", "Check"),
                connect("Check", "True", "Big")
            ]),
        ),
        json!([{"name": "A", "type": "Int32"}, {"name": "B", "type": "Int32"}]),
    )
}

fn run_with_library(root: Value, library: &Library) -> Result<RunResult, LoadError> {
    let engine = Engine::default();
    let workflow = engine.load_with(&definition(root, json!([])), library)?;
    Ok(engine.start(
        &workflow,
        StartRequest::new("parent-1"),
        &clock(),
        &SequentialIds::new(),
    ))
}

fn sum_in_a_flowchart(a: &str, b: &str) -> Value {
    flowchart(
        json!([
            {"id": "Sum1", "type": "Sum", "version": 1,
             "a": {"typeName": "Int32", "expression": {"type": "Literal", "value": a}},
             "b": {"typeName": "Int32", "expression": {"type": "Literal", "value": b}}},
            write_line("Small", json!("small")),
            write_line("Large", json!("large")),
        ]),
        json!([
            connect("Sum1", "Done", "Small"),
            connect("Sum1", "Big", "Large")
        ]),
    )
}

#[test]
fn a_workflow_runs_as_an_activity_with_inputs_outputs_and_outcomes() {
    let library = Library(vec![("Sum", sum())]);
    let small = run_with_library(sum_in_a_flowchart("4", "5"), &library).unwrap();
    assert_finished(&small);
    assert_eq!(small.lines, ["small"]);
    let record = small
        .activity_records
        .iter()
        .find(|r| &*r.activity_id == "Sum1")
        .unwrap();
    assert_eq!(&*record.activity_type, "Sum");
    assert_eq!(
        record.outputs,
        Some(json!({"Result": 9})),
        "4 + 5, not \"45\""
    );
    assert!(
        small.state.output.is_empty(),
        "SetOutput inside the composite is its output"
    );
    // The child's activities keep their ids, nested under the composite's node id.
    let add = small
        .activity_records
        .iter()
        .find(|r| &*r.activity_id == "Add")
        .unwrap();
    assert_eq!(
        &*add.activity_node_id,
        "Workflow1:Flowchart1:Sum1:Flowchart1:Add"
    );

    let big = run_with_library(sum_in_a_flowchart("7", "5"), &library).unwrap();
    assert_finished(&big);
    assert_eq!(big.lines, ["large"]);
}

#[test]
fn unknown_unusable_and_recursive_workflow_types_do_not_load() {
    let root = sum_in_a_flowchart("1", "2");
    assert!(matches!(
        Engine::default().load(&definition(root.clone(), json!([]))),
        Err(LoadError::UnknownActivityType { .. })
    ));
    let mut hidden = sum();
    hidden.options.clear();
    assert!(matches!(
        run_with_library(root, &Library(vec![("Sum", hidden)])),
        Err(LoadError::UnknownActivityType { .. })
    ));
    let recursive = usable("loop", json!({"id": "Again", "type": "Loop"}), json!([]));
    assert!(matches!(
        run_with_library(
            json!({"id": "L", "type": "Loop"}),
            &Library(vec![("Loop", recursive)])
        ),
        Err(LoadError::RecursiveActivity { .. })
    ));
}

/// `Double`: output `Result` declared, set by a RunJavaScript whose result is bound to the
/// output's name (as Elsa's designer writes it), not by SetOutput.
fn double() -> WorkflowDefinition {
    let mut definition = usable(
        "double",
        flowchart(
            json!([{"id": "Calc", "type": "Elsa.RunJavaScript",
                    "script": {"typeName": "String", "expression": {"type": "Literal", "value": "getX() * 2"}},
                    "result": {"typeName": "Object", "memoryReference": {"id": "Result"}}}]),
            json!([]),
        ),
        json!([{"name": "X", "type": "Int32"}]),
    );
    definition.outputs = vec![json!({"name": "Result", "type": "Int32"})];
    definition
}

#[test]
fn declared_outputs_reach_the_parent_variable_they_are_bound_to() {
    let library = Library(vec![("Double", double())]);
    let root = flowchart(
        json!([
            {"id": "Double1", "type": "Double",
             "x": {"typeName": "Int32", "expression": {"type": "Literal", "value": "21"}},
             "result": {"typeName": "Object", "memoryReference": {"id": "total-var"}}},
            write_line("Show", js("`Total: ${getVariable('Total')}`")),
        ]),
        json!([connect("Double1", "Done", "Show")]),
    );
    let engine = Engine::default();
    let workflow = engine
        .load_with(
            &definition(
                root,
                json!([{"id": "total-var", "name": "Total", "typeName": "Object", "value": null}]),
            ),
            &library,
        )
        .unwrap();
    let result = engine.start(
        &workflow,
        StartRequest::new("parent-1"),
        &clock(),
        &SequentialIds::new(),
    );
    assert_finished(&result);
    assert_eq!(result.lines, ["Total: 42"]);
    assert!(
        result.state.output.is_empty(),
        "the child's output is the composite's, not the parent workflow's"
    );
}
