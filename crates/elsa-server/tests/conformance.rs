//! Conformance runner: every observable case of the Elsa corpus (`ELSA_CORPUS_DIR`, default
//! `../shared/fixtures/elsa-corpus` next to the workspace) runs on a fresh in-memory database
//! through the code path the API takes — the runtime for executions, the real router
//! in-process (`rest_harness`) for REST calls, publishes and HTTP workflows — and its outcome is
//! compared with what Elsa's tests assert (`expect.yaml`, described in the corpus README).
//!
//! One line per case (`PASS`, `FAIL` with the first difference, `FAIL (expected, C# not
//! supported)`, `SKIP` with why), then a summary. The test fails when any case fails, when a
//! C# case ends other than faulted with the not-supported incident, or when a case listed in
//! `conformance-baseline.txt` no longer passes (e.g. it became a skip).
//! `ELSA_CONFORMANCE_BLESS=1` rewrites the baseline with the cases that pass now. Without the
//! corpus the test passes with a notice: the project's own tests never depend on it.

use chrono::{TimeZone, Utc};
use elsa_engine::{Engine, EngineOptions, FixedClock, FlowchartMode, SequentialIds};
use elsa_model::{VersionOptions, WorkflowSubStatus};
use elsa_runtime::{ExecuteOutcome, ExecuteRequest, Runtime, RuntimeError, parse_definition_file};
use elsa_store::InstanceFilter;
use rest_harness::{RestHarness, RestResponse};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod common;
mod rest_harness;

const BASELINE: &str = "tests/conformance-baseline.txt";

/// Bounds `run: until_end` for bookmarks that recreate themselves.
const MAX_RESUMPTIONS: usize = 100;

/// Expectation keys this runner checks; a case asserting anything else is skipped.
const CHECKED: &[&str] = &[
    "stdout_lines",
    "stdout_contains",
    "status",
    "sub_status",
    "output",
    "variables",
    "http_status",
    "response_json",
    "journal",
    "activity_execution_records",
    "child_instance",
];

enum Verdict {
    Pass,
    Fail(String),
    Skip(String),
    /// A case needing C# ended as it must here: faulted with the not-supported incident.
    CSharpNotSupported(String),
    /// A case needing C# ended any other way: always a failure of the test.
    CSharpUnexpected(String),
}

#[tokio::test]
async fn corpus_cases_do_not_regress() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(corpus) = common::corpus_dir("it") else {
        return;
    };
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("read the corpus directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("expect.yaml").is_file())
        .collect();
    scenarios.sort();

    let mut passed = BTreeSet::new();
    let (mut failed, mut skipped, mut csharp) = (0, 0, 0);
    let mut csharp_unexpected = Vec::new();
    let mut failures = Vec::new();
    for dir in &scenarios {
        let text = std::fs::read_to_string(dir.join("expect.yaml")).expect("read expect.yaml");
        let yaml: serde_norway::Value =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let scenario = serde_json::to_value(yaml).expect("YAML maps onto JSON");
        let name = scenario["scenario"].as_str().unwrap_or_default().to_owned();
        for case in scenario["cases"].as_array().into_iter().flatten() {
            let id = format!("{name}/{}", case["id"].as_str().unwrap_or("?"));
            match run_case(dir, &scenario["harness"], case).await {
                Verdict::Pass => {
                    println!("PASS {id}");
                    passed.insert(id);
                }
                Verdict::Fail(difference) => {
                    println!("FAIL {id}: {difference}");
                    failed += 1;
                    failures.push(id);
                }
                Verdict::Skip(reason) => {
                    println!("SKIP {id}: {reason}");
                    skipped += 1;
                }
                Verdict::CSharpNotSupported(message) => {
                    println!("FAIL (expected, C# not supported) {id}: {message}");
                    csharp += 1;
                }
                Verdict::CSharpUnexpected(difference) => {
                    println!(
                        "FAIL {id}: needs C# but did not fault as not supported: {difference}"
                    );
                    failed += 1;
                    csharp_unexpected.push(id);
                }
            }
        }
    }
    println!(
        "{} passed, {failed} failed, {csharp} failed as expected (C# not supported), {skipped} skipped",
        passed.len()
    );
    assert!(
        csharp_unexpected.is_empty(),
        "cases needing C# must fault with the not-supported incident: {csharp_unexpected:?}"
    );
    // Every observable case passes (issue 3); a new failure is a regression even before the
    // baseline below names it.
    assert!(failures.is_empty(), "corpus cases fail: {failures:?}");

    let baseline_path = manifest.join(BASELINE);
    if std::env::var_os("ELSA_CONFORMANCE_BLESS").is_some() {
        let header = "# Corpus cases that pass; the conformance test fails when one of them stops passing.\n";
        let text: String = passed.iter().map(|id| format!("{id}\n")).collect();
        let text = format!("{header}{text}");
        std::fs::write(&baseline_path, text).expect("write the baseline");
        println!("baseline rewritten: {}", baseline_path.display());
        return;
    }
    let baseline: BTreeSet<String> = std::fs::read_to_string(&baseline_path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    for id in passed.difference(&baseline) {
        println!("NEW PASS {id} (add it to {BASELINE})");
    }
    let regressed: Vec<_> = baseline.difference(&passed).collect();
    assert!(
        regressed.is_empty(),
        "cases of the baseline no longer pass: {regressed:?}"
    );
}

async fn run_case(dir: &Path, harness: &Value, case: &Value) -> Verdict {
    if case["observable"] != json!(true) {
        return Verdict::Skip("not observable through the API".into());
    }
    let by = case["start"]["by"].as_str().unwrap_or_default();
    let execute = case["start"]["request"]["path"]
        .as_str()
        .is_some_and(|path| path.ends_with("/execute"));
    let rest_call = by == "rest" && !execute;
    if case.get("steps").is_some() || rest_call || matches!(by, "http_trigger" | "publish") {
        return run_rest_case(dir, case).await;
    }
    let expect = case["expect"].as_object().cloned().unwrap_or_default();
    if let Some(key) = expect.keys().find(|key| !CHECKED.contains(&key.as_str())) {
        return Verdict::Skip(format!("the runner does not check '{key}' yet"));
    }
    if expect
        .get("activity_execution_records")
        .is_some_and(|records| record_checks(records).is_none())
    {
        return Verdict::Skip(
            "the runner does not check this 'activity_execution_records' form yet".into(),
        );
    }
    let start = &case["start"];

    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let runtime = Runtime::in_memory(
        Engine::new(EngineOptions {
            flowchart_mode: flowchart_mode(harness),
            ..EngineOptions::default()
        }),
        Arc::new(FixedClock(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        )),
        Arc::new(SequentialIds::new()),
        Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned())),
    )
    .await
    .expect("an in-memory runtime");

    let mut files = Vec::new();
    for step in case["setup"].as_array().into_iter().flatten() {
        let loaded = if let Some(file) = step["import_publish"].as_str() {
            files.push(file.to_owned());
            load(&runtime, dir, file, true).await
        } else if let Some(preload) = step.get("preload") {
            let mut result = Ok(());
            for file in preload_files(dir, preload) {
                files.push(file.clone());
                result = result.and(load(&runtime, dir, &file, false).await);
            }
            result
        } else if let Some(config) = step.get("server_config") {
            return Verdict::Skip(format!("needs server configuration {config}"));
        } else {
            return Verdict::Skip(format!("needs setup step {step}"));
        };
        if let Err(error) = loaded {
            return csharp_or(&files, dir, error);
        }
    }

    let outcome = match start_case(&runtime, start).await {
        Ok(Some(outcome)) => outcome,
        Ok(None) => {
            let request = &start["request"];
            return Verdict::Skip(format!(
                "needs REST endpoint {} {}",
                request["method"].as_str().unwrap_or("?"),
                request["path"].as_str().unwrap_or("?")
            ));
        }
        Err(RuntimeError::DefinitionNotFound(id))
            if expect.get("http_status") == Some(&json!(404)) =>
        {
            return if expect.len() == 1 {
                Verdict::Pass
            } else {
                Verdict::Fail(format!("definition {id} not found"))
            };
        }
        Err(error) => return csharp_or(&files, dir, error.to_string()),
    };
    let state = &outcome.instance.workflow_state;
    let lines = lines.lock().unwrap().clone();
    if uses_csharp(&files, dir) {
        return csharp_verdict(state);
    }
    match compare(&expect, &outcome, &lines, &runtime).await {
        Ok(()) => Verdict::Pass,
        Err(difference) => {
            let incidents: Vec<_> = state.incidents.iter().map(|i| i.message.as_str()).collect();
            let incidents = if incidents.is_empty() {
                String::new()
            } else {
                format!(" incidents: {incidents:?}")
            };
            Verdict::Fail(format!("{difference}{incidents}"))
        }
    }
}

/// The server's flowchart mode for a case: token-based when the scenario's harness runs every
/// run and resume so (Elsa's execute endpoint cannot pass run properties; the server setting
/// `Elsa:Flowchart:DefaultExecutionMode` stands in for them). A case's own `start.properties`
/// are passed as run properties of its start.
fn flowchart_mode(harness: &Value) -> FlowchartMode {
    if harness["flowchart_mode"] == json!("token-based") {
        FlowchartMode::TokenBased
    } else {
        FlowchartMode::CounterBased
    }
}

/// Loads one scenario file: imported and published, or preloaded as written.
async fn load(runtime: &Runtime, dir: &Path, file: &str, publish: bool) -> Result<(), String> {
    let bytes = std::fs::read(dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
    let json = parse_definition_file(&bytes).map_err(|e| format!("{file}: {e}"))?;
    let result = if publish {
        runtime.import_published(&json).await.map(drop)
    } else {
        runtime.preload(&json).await.map(drop)
    };
    result.map_err(|e| format!("{file}: {e}"))
}

/// A `preload` step's files: the listed ones, or every JSON file of the scenario (`all`).
fn preload_files(dir: &Path, preload: &Value) -> Vec<String> {
    match preload {
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => json_files(dir),
    }
}

fn json_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .collect();
    files.sort();
    files
}

/// Whether the case's workflows need C# (a `CSharp` expression or `Elsa.RunCSharp`).
fn uses_csharp(files: &[String], dir: &Path) -> bool {
    files.iter().any(|file| {
        std::fs::read_to_string(dir.join(file))
            .is_ok_and(|text| text.contains("\"CSharp\"") || text.contains("RunCSharp"))
    })
}

/// A case that could not even start: a failure, and for a C# case an unexpected one (its
/// workflows must load and fault only when the C# runs).
fn csharp_or(files: &[String], dir: &Path, error: String) -> Verdict {
    if uses_csharp(files, dir) {
        Verdict::CSharpUnexpected(error)
    } else {
        Verdict::Fail(error)
    }
}

/// How a case needing C# must end: `Finished/Faulted` with a "... not supported" incident.
fn csharp_verdict(state: &elsa_model::WorkflowState) -> Verdict {
    let messages: Vec<_> = state.incidents.iter().map(|i| i.message.as_str()).collect();
    match messages.iter().find(|m| m.contains("not supported")) {
        Some(message) if state.sub_status == WorkflowSubStatus::Faulted => {
            Verdict::CSharpNotSupported((*message).to_owned())
        }
        _ => Verdict::CSharpUnexpected(format!(
            "sub-status {:?}, incidents {messages:?}",
            state.sub_status
        )),
    }
}

/// Starts the case's workflow; `None` when the start is a REST call other than execute.
async fn start_case(
    runtime: &Runtime,
    start: &Value,
) -> Result<Option<ExecuteOutcome>, RuntimeError> {
    let input = start["input"].as_object().cloned().unwrap_or_default();
    let mut request = ExecuteRequest {
        input,
        correlation_id: start["correlation_id"].as_str().map(str::to_owned),
        properties: start["properties"].as_object().cloned().unwrap_or_default(),
        ..ExecuteRequest::default()
    };
    let definition_id = match start["by"].as_str().unwrap_or_default() {
        "definition_id" => {
            request.version_options = Some(match &start["version"] {
                Value::Number(n) => VersionOptions::Specific(n.as_i64().unwrap_or(1) as i32),
                _ => VersionOptions::Published,
            });
            start["definition_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
        "definition_version_id" => {
            let version_id = start["version_id"].as_str().unwrap_or_default();
            let definition = runtime
                .definitions()
                .get(version_id)
                .await?
                .ok_or_else(|| RuntimeError::DefinitionNotFound(version_id.to_owned()))?;
            request.version_options = Some(VersionOptions::Specific(definition.version));
            definition.definition_id
        }
        "rest" => {
            let rest = &start["request"];
            let path = rest["path"].as_str().unwrap_or_default();
            let Some(id) = path
                .strip_prefix("/elsa/api/workflow-definitions/")
                .and_then(|rest| rest.strip_suffix("/execute"))
                .filter(|_| rest["method"] == "POST")
            else {
                return Ok(None);
            };
            if let Some(body) = rest["body"].as_str().filter(|body| *body != "none") {
                let body: Value = serde_json::from_str(body).unwrap_or_default();
                request.input = body["input"].as_object().cloned().unwrap_or_default();
            }
            id.to_owned()
        }
        _ => return Ok(None),
    };
    let input = request.input.clone();
    let outcome = runtime.execute(&definition_id, request).await?;
    // No background worker here: queued work (dispatched children) is done now.
    runtime.run_due_work().await?;
    if start["run"] == "until_end" {
        let outcome = runtime
            .resume_until_end(outcome, &input, MAX_RESUMPTIONS)
            .await?;
        runtime.run_due_work().await?;
        return Ok(Some(outcome));
    }
    Ok(Some(outcome))
}

async fn compare(
    expect: &Map<String, Value>,
    outcome: &ExecuteOutcome,
    lines: &[String],
    runtime: &Runtime,
) -> Result<(), String> {
    let state = &outcome.instance.workflow_state;
    for (key, expected) in expect {
        match key.as_str() {
            "stdout_lines" => {
                let expected: Vec<String> =
                    serde_json::from_value(expected.clone()).unwrap_or_default();
                if expected != lines {
                    return Err(format!("stdout {lines:?}, expected {expected:?}"));
                }
            }
            "stdout_contains" => {
                for line in expected.as_array().into_iter().flatten() {
                    if !lines.iter().any(|l| Some(l.as_str()) == line.as_str()) {
                        return Err(format!("stdout {lines:?} lacks {line}"));
                    }
                }
            }
            "status" => same("status", &json!(state.status), expected)?,
            "sub_status" => same("subStatus", &json!(state.sub_status), expected)?,
            "output" => {
                for (name, value) in expected.as_object().into_iter().flatten() {
                    same(
                        &format!("output {name}"),
                        state.output.get(name).unwrap_or(&Value::Null),
                        value,
                    )?;
                }
            }
            "variables" => {
                let values = variables(runtime, state).await;
                for (name, value) in expected.as_object().into_iter().flatten() {
                    same(
                        &format!("variable {name}"),
                        values.get(name).unwrap_or(&Value::Null),
                        value,
                    )?;
                }
            }
            "http_status" => {
                let status = if state.sub_status == WorkflowSubStatus::Faulted {
                    500
                } else {
                    200
                };
                same("HTTP status", &json!(status), expected)?;
            }
            "response_json" => {
                response_json(&json!({ "workflowState": state }), expected)?;
            }
            "journal" => {
                let filter = &expected["filter"];
                let journal = runtime
                    .instances()
                    .journal(&outcome.instance.id, 0, i64::MAX)
                    .await
                    .map_err(|e| e.to_string())?;
                let count = journal
                    .items
                    .iter()
                    .filter(|record| {
                        Some(&*record.activity_id) == filter["activity_id"].as_str()
                            && record.event_name.as_deref() == filter["event_name"].as_str()
                    })
                    .count();
                same(
                    &format!("journal records {filter}"),
                    &json!(count),
                    &expected["count"],
                )?;
            }
            "activity_execution_records" => {
                let records = runtime
                    .instances()
                    .activity_records(&outcome.instance.id)
                    .await
                    .map_err(|e| e.to_string())?;
                for check in record_checks(expected).unwrap_or_default() {
                    check.verify(&records)?;
                }
            }
            "child_instance" => check_child_instance(expected, outcome, runtime).await?,
            _ => unreachable!("unchecked keys are skipped before the run"),
        }
    }
    Ok(())
}

fn same(what: &str, actual: &Value, expected: &Value) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what} is {actual}, expected {expected}"))
    }
}

/// `response_json`: `path.to.value: expected` (equal), `expected: absent` (no such property),
/// `path contains: [...]` (each listed value is in the list at `path`).
fn response_json(body: &Value, expected: &Value) -> Result<(), String> {
    for (key, value) in expected.as_object().into_iter().flatten() {
        let (path, contains) = match key.strip_suffix(" contains") {
            Some(path) => (path, true),
            None => (key.as_str(), false),
        };
        let actual = path.split('.').try_fold(body, |at, key| at.get(key));
        match (actual, value.as_str()) {
            (None, Some("absent")) => {}
            (Some(actual), _) if contains => {
                let list = actual
                    .as_array()
                    .ok_or(format!("{path} is not a list: {actual}"))?;
                for wanted in value.as_array().into_iter().flatten() {
                    if !list.contains(wanted) {
                        return Err(format!("{path} is {actual}, which lacks {wanted}"));
                    }
                }
            }
            (Some(actual), _) => same(path, actual, value)?,
            (None, _) => return Err(format!("{path} is missing, expected {value}")),
        }
    }
    Ok(())
}

/// The `definitionId`s of the JSON entries of a zip archive.
fn zip_definition_ids(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("the body is not a zip archive: {e}"))?;
    let mut ids = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| e.to_string())?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text)
            .map_err(|e| format!("zip entry {name}: {e}"))?;
        let json: Value = serde_json::from_str(&text)
            .map_err(|e| format!("zip entry {name} is not JSON: {e}"))?;
        let id = json["definitionId"]
            .as_str()
            .ok_or(format!("zip entry {name} has no definitionId"))?;
        ids.push(id.to_owned());
    }
    Ok(ids)
}

/// The instance's persisted variables by name (what `GET /workflow-instances/{id}/variables`
/// lists): values by variable id in the contexts' `properties.Variables`, named from the
/// definition's declarations.
async fn variables(runtime: &Runtime, state: &elsa_model::WorkflowState) -> Map<String, Value> {
    let Ok(Some(definition)) = runtime
        .definitions()
        .get(&state.definition_version_id)
        .await
    else {
        return Map::new();
    };
    let mut by_name = Map::new();
    for context in &state.activity_execution_contexts {
        let Some(values) = context["properties"]["Variables"].as_object() else {
            continue;
        };
        for declared in &definition.variables {
            let (Some(id), Some(name)) = (declared["id"].as_str(), declared["name"].as_str())
            else {
                continue;
            };
            if let Some(value) = values.get(id) {
                by_name.insert(name.to_owned(), value.clone());
            }
        }
    }
    by_name
}

/// One check of `activity_execution_records`: the records a filter selects (in start order)
/// and what they must hold.
struct RecordCheck {
    select: RecordSelector,
    /// `activity_state_has_key_<Key>`: per selected record (a list) or for the one record.
    state_keys: Vec<(String, Value)>,
    /// `outputs_have_keys`: keys the (first) selected record's outputs must have.
    output_keys: Vec<String>,
}

enum RecordSelector {
    ActivityType(String),
    ActivityName(String),
}

/// The checks of an `activity_execution_records` expectation (one object or a list), `None`
/// for a form the runner does not understand. Filters are prose: "... activity type is
/// Elsa.WriteLine ..." selects by type, "... activity name 'X' ..." by name.
fn record_checks(expected: &Value) -> Option<Vec<RecordCheck>> {
    let items = match expected {
        Value::Array(items) => items.iter().collect(),
        item => vec![item],
    };
    items
        .into_iter()
        .map(|item| {
            let item = item.as_object()?;
            let filter = item.get("filter")?.as_str()?;
            let select = if let Some(quoted) = filter.split('\'').nth(1) {
                RecordSelector::ActivityName(quoted.to_owned())
            } else {
                let word = filter.split_whitespace().find(|w| w.starts_with("Elsa."))?;
                RecordSelector::ActivityType(word.trim_end_matches(',').to_owned())
            };
            let mut check = RecordCheck {
                select,
                state_keys: Vec::new(),
                output_keys: Vec::new(),
            };
            for (key, value) in item.iter().filter(|(key, _)| *key != "filter") {
                if let Some(state_key) = key.strip_prefix("activity_state_has_key_") {
                    check.state_keys.push((state_key.to_owned(), value.clone()));
                } else if key == "outputs_have_keys" {
                    check.output_keys = serde_json::from_value(value.clone()).ok()?;
                } else {
                    return None;
                }
            }
            Some(check)
        })
        .collect()
}

impl RecordCheck {
    fn verify(&self, records: &[elsa_model::ActivityExecutionRecord]) -> Result<(), String> {
        let (what, selected): (String, Vec<_>) = match &self.select {
            RecordSelector::ActivityType(type_name) => (
                format!("{type_name} records"),
                records
                    .iter()
                    .filter(|r| *r.activity_type == **type_name)
                    .collect(),
            ),
            RecordSelector::ActivityName(name) => (
                format!("record '{name}'"),
                records
                    .iter()
                    .filter(|r| r.activity_name.as_deref() == Some(name.as_str()))
                    .collect(),
            ),
        };
        let has_key =
            |map: &Option<Value>, key: &str| map.as_ref().is_some_and(|map| map.get(key).is_some());
        for (key, expected) in &self.state_keys {
            let actual: Vec<bool> = selected
                .iter()
                .map(|r| has_key(&r.activity_state, key))
                .collect();
            let actual = match expected {
                Value::Array(_) => json!(actual),
                _ => actual.first().map_or(Value::Null, |has| json!(has)),
            };
            same(&format!("{what} with input {key}"), &actual, expected)?;
        }
        if !self.output_keys.is_empty() {
            let record = selected
                .first()
                .ok_or_else(|| format!("no {what} among {} records", records.len()))?;
            for key in &self.output_keys {
                if !has_key(&record.outputs, key) {
                    return Err(format!(
                        "{what} has outputs {:?}, expected key {key}",
                        record.outputs
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `child_instance`: the instance of `definition_id` the case created (as a child) and its
/// properties. A value `<id of the ... instance>` stands for the id of the started instance.
async fn check_child_instance(
    expected: &Value,
    outcome: &ExecuteOutcome,
    runtime: &Runtime,
) -> Result<(), String> {
    let definition_id = expected["definition_id"].as_str().unwrap_or_default();
    let filter = elsa_store::InstanceFilter {
        definition_ids: Some(vec![definition_id.to_owned()]),
        ..Default::default()
    };
    let page = runtime
        .instances()
        .list(&filter)
        .await
        .map_err(|e| e.to_string())?;
    let summary = page
        .items
        .first()
        .ok_or_else(|| format!("no instance of {definition_id}"))?;
    let (child, _) = runtime
        .instances()
        .get(&summary.id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("instance {} vanished", summary.id))?;
    let placeholder = |value: &Value| match value.as_str() {
        Some(text) if text.starts_with("<id of the") => json!(outcome.instance.id),
        _ => value.clone(),
    };
    for (key, value) in expected.as_object().into_iter().flatten() {
        match key.as_str() {
            "definition_id" => {}
            "correlation_id" => same(
                "child correlationId",
                &json!(child.correlation_id),
                &placeholder(value),
            )?,
            "workflow_state_properties" => {
                for (name, value) in value.as_object().into_iter().flatten() {
                    same(
                        &format!("child workflowState.properties.{name}"),
                        child
                            .workflow_state
                            .properties
                            .get(name)
                            .unwrap_or(&Value::Null),
                        &placeholder(value),
                    )?;
                }
            }
            other => return Err(format!("the runner does not check child_instance.{other}")),
        }
    }
    Ok(())
}

// Cases that start over REST or with a request to an HTTP workflow: they run through the real
// router (`RestHarness`) around the case's runtime.

/// Expectation keys `run_rest_case` checks (in `expect` and in each step's `expect`).
const REST_CHECKED: &[&str] = &[
    "publish_result",
    "http_status",
    "http_body",
    "faulted_instances",
    "response_json",
    "body_format",
    "zip_entry_definition_ids_contain",
    "zip_entry_definition_ids_exclude",
];

async fn run_rest_case(dir: &Path, case: &Value) -> Verdict {
    if case["observable"] != json!(true) {
        return Verdict::Skip("not observable through the API".into());
    }
    let steps = case["steps"].as_array().cloned().unwrap_or_default();
    let expects = std::iter::once(&case["expect"]).chain(steps.iter().map(|s| &s["expect"]));
    for expect in expects {
        let keys = expect.as_object().into_iter().flat_map(|e| e.keys());
        if let Some(key) = keys
            .into_iter()
            .find(|k| !REST_CHECKED.contains(&k.as_str()))
        {
            return Verdict::Skip(format!("the runner does not check '{key}' yet"));
        }
    }
    let setup = case["setup"].as_array().cloned().unwrap_or_default();
    let mut fail_on_validation_errors = true;
    for config in setup
        .iter()
        .filter_map(|step| step["server_config"].as_object())
    {
        for (key, value) in config {
            match (key.as_str(), value) {
                ("fail_on_validation_errors", Value::Bool(fail)) => {
                    fail_on_validation_errors = *fail;
                }
                // HTTP workflows are always served.
                ("http_module", _) => {}
                _ => return Verdict::Skip(format!("needs server configuration {key}: {value}")),
            }
        }
    }
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    ));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let runtime = Runtime::in_memory(
        Engine::default(),
        clock.clone(),
        Arc::new(SequentialIds::new()),
        Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned())),
    )
    .await
    .expect("an in-memory runtime")
    .with_fail_on_validation_errors(fail_on_validation_errors);
    let runtime = Arc::new(runtime);
    let rest = RestHarness::new(runtime.clone()).await;

    // With a `publish` start, the setup's import is only the import: the start is its publish.
    let start = &case["start"];
    let publish_starts = start["by"] == "publish";
    let mut imported = None;
    for step in &setup {
        if let Some(file) = step["import_publish"].as_str() {
            let definition_id = match import(&rest, dir, file).await {
                Ok(id) => id,
                Err(error) => return Verdict::Fail(error),
            };
            if !publish_starts {
                publish(&rest, &definition_id).await;
            }
            imported = Some(definition_id);
        } else if let Some(preload) = step.get("preload") {
            for file in preload_files(dir, preload) {
                if let Err(error) = load(&runtime, dir, &file, false).await {
                    return Verdict::Fail(error);
                }
            }
        } else if step.get("server_config").is_none() {
            return Verdict::Skip(format!("needs setup step {step}"));
        }
    }

    for (i, step) in steps.iter().enumerate() {
        let action = step["do"].as_str().unwrap_or_default();
        let Some(file) = action
            .strip_prefix("import_publish ")
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|_| action.contains("then publish"))
        else {
            return Verdict::Skip(format!("the runner does not understand step '{action}'"));
        };
        let definition_id = match import(&rest, dir, file).await {
            Ok(id) => id,
            Err(error) => return Verdict::Fail(error),
        };
        let response = publish(&rest, &definition_id).await;
        if let Err(difference) = check_rest(&step["expect"], &[response], &runtime).await {
            return Verdict::Fail(format!("step {}: {difference}", i + 1));
        }
    }

    let mut published = None;
    let responses = match start["by"].as_str() {
        Some("publish") => {
            let id = start["definition_id"]
                .as_str()
                .filter(|id| !id.starts_with('<'))
                .map(str::to_owned)
                .or(imported);
            let Some(id) = id else {
                return Verdict::Fail("no definition to publish".into());
            };
            let response = publish(&rest, &id).await;
            // A lenient publish with validation errors (a cron that does not parse) has no
            // schedule to check.
            let clean = response.json()["validationErrors"]
                .as_array()
                .is_none_or(Vec::is_empty);
            published = (response.status.is_success() && clean).then_some(id);
            vec![response]
        }
        Some("http_trigger" | "rest") => http_requests(&rest, start).await,
        _ => Vec::new(),
    };
    if let Err(difference) = check_rest(&case["expect"], &responses, &runtime).await {
        return Verdict::Fail(difference);
    }
    // Elsa's tests stop at the publish; here a published timer or cron trigger must also fire,
    // through the real scheduler, once its time comes on the test clock.
    if let Some(definition_id) = published
        && let Err(difference) = fires_when_due(&runtime, &clock, &lines, &definition_id).await
    {
        return Verdict::Fail(difference);
    }
    Verdict::Pass
}

/// A clock the test moves by hand.
struct ManualClock(Mutex<chrono::DateTime<Utc>>);

impl ManualClock {
    fn new(at: chrono::DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    fn advance(&self, by: chrono::TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl elsa_engine::Clock for ManualClock {
    fn now(&self) -> chrono::DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// If `definition_id` has a scheduled trigger (a timer or cron tick within the next hour),
/// moving the test clock an hour on makes the background worker start it: an instance runs
/// to its end and its lines are written. Definitions without one start nothing.
async fn fires_when_due(
    runtime: &Arc<Runtime>,
    clock: &ManualClock,
    lines: &Mutex<Vec<String>>,
    definition_id: &str,
) -> Result<(), String> {
    let scheduled = runtime
        .definitions()
        .find(definition_id, elsa_model::VersionOptions::Published)
        .await
        .map_err(|e| e.to_string())?
        .is_some_and(|d| {
            let root = d.root.to_string();
            root.contains("\"Elsa.Timer\"") || root.contains("\"Elsa.Cron\"")
        });
    if !scheduled {
        return Ok(());
    }
    let stop = tokio_util::sync::CancellationToken::new();
    let worker = tokio::spawn(runtime.clone().run_worker(stop.clone()));
    clock.advance(chrono::TimeDelta::hours(1) + chrono::TimeDelta::seconds(1));
    runtime.wake_worker();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let outcome = loop {
        let instances = runtime
            .instances()
            .list(&Default::default())
            .await
            .map_err(|e| e.to_string())?
            .items;
        if let Some(instance) = instances
            .iter()
            .find(|i| i.definition_id == definition_id)
            .filter(|i| i.status == elsa_model::WorkflowStatus::Finished)
        {
            break Ok(format!("{:?}", instance.sub_status));
        }
        if std::time::Instant::now() > deadline {
            break Err(format!(
                "the scheduled trigger of {definition_id} did not start it an hour later"
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    stop.cancel();
    let _ = worker.await;
    let sub_status = outcome?;
    if sub_status != "Finished" || lines.lock().unwrap().is_empty() {
        return Err(format!(
            "the scheduled run of {definition_id} ended {sub_status} and wrote {:?}",
            lines.lock().unwrap()
        ));
    }
    println!("  {definition_id}: its schedule started it on the test clock");
    Ok(())
}

/// Imports a scenario file as a draft through `POST /workflow-definitions/import`; returns its
/// definition id.
async fn import(rest: &RestHarness, dir: &Path, file: &str) -> Result<String, String> {
    let bytes = std::fs::read(dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
    let json = parse_definition_file(&bytes).map_err(|e| format!("{file}: {e}"))?;
    let response = rest
        .post_json("/elsa/api/workflow-definitions/import", &json)
        .await;
    if !response.status.is_success() {
        return Err(format!(
            "{file}: import answered {}: {}",
            response.status,
            response.text()
        ));
    }
    response.json()["definitionId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{file}: the import answered no definitionId"))
}

async fn publish(rest: &RestHarness, definition_id: &str) -> RestResponse {
    rest.post_json(
        &format!("/elsa/api/workflow-definitions/{definition_id}/publish"),
        &json!({}),
    )
    .await
}

/// The start's request, `repeat` times, all at once.
async fn http_requests(rest: &RestHarness, start: &Value) -> Vec<RestResponse> {
    let request = &start["request"];
    let method = request["method"].as_str().unwrap_or("GET").to_owned();
    let path = request["path"].as_str().unwrap_or("/").to_owned();
    let content_type = request["content_type"].as_str().map(str::to_owned);
    let body = request["body"]
        .as_str()
        .unwrap_or_default()
        .as_bytes()
        .to_vec();
    let repeat = start["repeat"].as_u64().unwrap_or(1);
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..repeat {
        let (rest, method, path) = (rest.clone(), method.clone(), path.clone());
        let (content_type, body) = (content_type.clone(), body.clone());
        requests.spawn(async move {
            rest.send(&method, &path, content_type.as_deref(), body)
                .await
        });
    }
    requests.join_all().await
}

/// Checks one expectation block against the responses of its action.
async fn check_rest(
    expect: &Value,
    responses: &[RestResponse],
    runtime: &Runtime,
) -> Result<(), String> {
    for (key, expected) in expect.as_object().into_iter().flatten() {
        match key.as_str() {
            "publish_result" => {
                let response = responses.first().ok_or("no publish response")?;
                let body = response.json();
                let (succeeded, messages) = match response.status.as_u16() {
                    200 => (true, &body["validationErrors"]),
                    400 => (false, &body["errors"]["generalErrors"]),
                    other => return Err(format!("publish answered {other}: {}", response.text())),
                };
                let messages: Vec<Value> = messages
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|m| m.get("message").unwrap_or(m).clone())
                    .collect();
                same(
                    "publish succeeded",
                    &json!(succeeded),
                    &expected["succeeded"],
                )?;
                same(
                    "publish validation errors",
                    &json!(messages),
                    &expected["validation_errors"],
                )?;
            }
            "http_status" => {
                for response in responses {
                    let status = response.status.as_u16();
                    let matches = match expected {
                        Value::String(class) if class == "2xx" => (200..300).contains(&status),
                        _ => json!(status) == *expected,
                    };
                    if !matches {
                        return Err(format!(
                            "HTTP status is {status}, expected {expected}: {}",
                            response.text()
                        ));
                    }
                }
            }
            "http_body" => {
                for response in responses {
                    same("HTTP body", &json!(response.text()), expected)?;
                }
            }
            "faulted_instances" => {
                let definition_ids: Vec<String> =
                    serde_json::from_value(expected["definition_ids"].clone()).unwrap_or_default();
                let faulted = runtime
                    .instances()
                    .list(&InstanceFilter {
                        definition_ids: Some(definition_ids),
                        sub_statuses: Some(vec![WorkflowSubStatus::Faulted]),
                        ..InstanceFilter::default()
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                same(
                    "faulted instances",
                    &json!(faulted.total_count),
                    &expected["count"],
                )?;
            }
            "response_json" => {
                for response in responses {
                    response_json(&response.json(), expected)?;
                }
            }
            "body_format" => {
                let zip = expected.as_str().is_some_and(|f| f.starts_with("zip"));
                for response in responses {
                    if zip {
                        zip_definition_ids(&response.body)?;
                    } else if !response.json().is_object() {
                        return Err(format!("expected {expected}, got {}", response.text()));
                    }
                }
            }
            "zip_entry_definition_ids_contain" | "zip_entry_definition_ids_exclude" => {
                let want_in = key.ends_with("contain");
                for response in responses {
                    let ids = zip_definition_ids(&response.body)?;
                    for id in expected.as_array().into_iter().flatten() {
                        let id = id.as_str().unwrap_or_default();
                        if ids.iter().any(|i| i == id) != want_in {
                            return Err(format!("zip entries are {ids:?}; {key} {id}"));
                        }
                    }
                }
            }

            _ => unreachable!("unchecked keys are skipped before the run"),
        }
    }
    Ok(())
}
