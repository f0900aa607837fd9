//! Log persistence modes decide what activity execution records keep of an activity's inputs
//! (`activityState`) and outputs, on workflow JSON written for these tests.

mod support;

use elsa_engine::{
    ActivityResolver, Engine, EngineOptions, LogPersistenceMode, RunResult, SequentialIds,
    StartRequest,
};
use elsa_model::WorkflowDefinition;
use serde_json::{Value, json};
use support::*;

/// A WriteLine with a legacy `logPersistenceMode` custom property (none when `modes` is null).
fn logged_write_line(id: &str, modes: Value) -> Value {
    let mut activity = write_line(id, json!("secret"));
    if !modes.is_null() {
        activity["customProperties"] = json!({"logPersistenceMode": modes});
    }
    activity
}

fn with_workflow_properties(root: Value, custom_properties: Value) -> WorkflowDefinition {
    let mut definition = definition(root, json!([]));
    definition.custom_properties = custom_properties.as_object().cloned().unwrap_or_default();
    definition
}

/// Whether the record of `activity_id` kept `key` in its inputs / outputs.
fn kept(result: &RunResult, activity_id: &str, section: &str, key: &str) -> bool {
    let record = result
        .activity_records
        .iter()
        .find(|record| &*record.activity_id == activity_id)
        .unwrap_or_else(|| panic!("no record of {activity_id}"));
    let values = match section {
        "inputs" => &record.activity_state,
        _ => &record.outputs,
    };
    values
        .as_ref()
        .is_some_and(|values| values.get(key).is_some())
}

fn sequence_of(activities: Value) -> Value {
    json!({"id": "Seq", "type": "Elsa.Sequence", "activities": activities})
}

#[test]
fn activity_and_property_modes_decide_which_inputs_are_kept() {
    let root = sequence_of(json!([
        logged_write_line("Plain", Value::Null),
        logged_write_line(
            "ExcludedInherits",
            json!({"default": "Exclude", "inputs": {"text": "Inherit"}})
        ),
        logged_write_line(
            "ExcludedButText",
            json!({"default": "Exclude", "inputs": {"text": "Include"}})
        ),
        logged_write_line(
            "IncludedButText",
            json!({"default": "Include", "inputs": {"text": "Exclude"}})
        ),
    ]));
    let result = start(&Engine::default(), &definition(root, json!([])), json!({}));
    assert_finished(&result);
    let text_kept: Vec<bool> = [
        "Plain",
        "ExcludedInherits",
        "ExcludedButText",
        "IncludedButText",
    ]
    .iter()
    .map(|id| kept(&result, id, "inputs", "Text"))
    .collect();
    assert_eq!(text_kept, [true, false, true, false]);
    assert_eq!(result.lines.len(), 4, "modes change records, not behaviour");
}

#[test]
fn a_workflow_default_applies_to_activities_that_inherit() {
    let root = sequence_of(json!([
        logged_write_line("Plain", Value::Null),
        logged_write_line(
            "Included",
            json!({"default": "Include", "inputs": {"text": "Inherit"}})
        ),
        logged_write_line(
            "InheritsButText",
            json!({"default": "Inherit", "inputs": {"text": "Include"}})
        ),
    ]));
    let definition =
        with_workflow_properties(root, json!({"logPersistenceMode": {"default": "Exclude"}}));
    let result = start(&Engine::default(), &definition, json!({}));
    assert!(!kept(&result, "Plain", "inputs", "Text"));
    assert!(kept(&result, "Included", "inputs", "Text"));
    assert!(kept(&result, "InheritsButText", "inputs", "Text"));
}

#[test]
fn strategy_configs_and_the_server_mode() {
    let strategy = |name: &str| {
        json!({"evaluationMode": "Strategy",
               "strategyType": format!("Elsa.Workflows.LogPersistence.Strategies.{name}, Elsa.Workflows.Core")})
    };
    let mut configured = write_line("Configured", json!("x"));
    configured["customProperties"] =
        json!({"logPersistenceConfig": {"default": strategy("Configuration")}});
    let mut excluded = write_line("Excluded", json!("x"));
    excluded["customProperties"] =
        json!({"logPersistenceConfig": {"inputs": {"text": strategy("Exclude")}}});
    let root = sequence_of(json!([
        write_line("Plain", json!("x")),
        configured,
        excluded
    ]));

    let result = start(
        &Engine::default(),
        &definition(root.clone(), json!([])),
        json!({}),
    );
    assert!(kept(&result, "Plain", "inputs", "Text"));
    assert!(kept(&result, "Configured", "inputs", "Text"));
    assert!(!kept(&result, "Excluded", "inputs", "Text"));

    // The server's mode is the last fallback and what the Configuration strategy answers.
    let excluding = Engine::new(EngineOptions {
        log_persistence_mode: LogPersistenceMode::Exclude,
        ..EngineOptions::default()
    });
    let result = start(&excluding, &definition(root, json!([])), json!({}));
    assert!(!kept(&result, "Plain", "inputs", "Text"));
    assert!(!kept(&result, "Configured", "inputs", "Text"));
}

#[test]
fn outputs_follow_their_own_modes() {
    let script = |id: &str, modes: Value| {
        json!({"id": id, "type": "Elsa.RunJavaScript", "script": "1 + 1",
               "customProperties": {"logPersistenceMode": modes}})
    };
    let root = sequence_of(json!([
        script("Kept", json!({})),
        script("Dropped", json!({"outputs": {"result": "Exclude"}})),
    ]));
    let result = start(&Engine::default(), &definition(root, json!([])), json!({}));
    assert_finished(&result);
    assert!(kept(&result, "Kept", "outputs", "Result"));
    assert!(!kept(&result, "Dropped", "outputs", "Result"));
}

/// `Secretive`: a workflow used as an activity whose definition excludes by default; it sets
/// outputs `Public` and `Hidden`.
struct Secretive;

impl ActivityResolver for Secretive {
    fn resolve(&self, type_name: &str, _version: Option<i32>) -> Option<WorkflowDefinition> {
        let set_output = |id: &str, name: &str, modes: Value| {
            json!({"id": id, "type": "Elsa.SetOutput",
                   "outputName": {"typeName": "String", "expression": {"type": "Literal", "value": name}},
                   "outputValue": {"typeName": "Object", "expression": {"type": "Literal", "value": "v"}},
                   "customProperties": {"logPersistenceMode": modes}})
        };
        (type_name == "Secretive").then(|| {
            serde_json::from_value(json!({
                "id": "secretive-v1", "definitionId": "secretive", "version": 1,
                "createdAt": "2026-01-01T00:00:00Z",
                "options": {"usableAsActivity": true},
                "customProperties": {"logPersistenceMode": {"default": "Exclude"}},
                "outputs": [{"name": "Public", "type": "Object"}, {"name": "Hidden", "type": "Object"}],
                "root": sequence_of(json!([
                    set_output("SetPublic", "Public", json!({"inputs": {"outputName": "Include"}})),
                    set_output("SetHidden", "Hidden", json!({"default": "Inherit"})),
                ])),
            }))
            .unwrap()
        })
    }
}

#[test]
fn activities_inside_a_workflow_used_as_an_activity_inherit_its_definition_default() {
    let engine = Engine::default();
    let root = json!({"id": "Child", "type": "Secretive"});
    let workflow = engine
        .load_with(&definition(root, json!([])), &Secretive)
        .unwrap();
    let result = engine.start(
        &workflow,
        StartRequest::new("parent-1"),
        &clock(),
        &SequentialIds::new(),
    );
    assert_finished(&result);
    assert!(kept(&result, "SetPublic", "inputs", "OutputName"));
    assert!(!kept(&result, "SetHidden", "inputs", "OutputName"));
    // The node in the parent follows the parent's (default) mode: both outputs are kept.
    assert!(kept(&result, "Child", "outputs", "Public"));
    assert!(kept(&result, "Child", "outputs", "Hidden"));
}
