//! Per-run budgets: journal entries and bytes, activity execution records and the size of the
//! state. A run past one faults the instance with an incident naming the limit and its setting,
//! and what the run leaves to write stays within the budget (plus the fault's own entry).

mod support;

use elsa_engine::{
    DEFAULT_MAX_ACTIVITY_RECORDS_PER_RUN, DEFAULT_MAX_JOURNAL_ENTRIES_PER_RUN, Engine,
    EngineOptions, ResumeRequest, RunResult, SequentialIds, StartRequest,
};
use elsa_model::{WorkflowStatus, WorkflowSubStatus};
use serde_json::{Value, json};
use support::*;

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

/// The one incident's message, after asserting the run faulted.
fn faulted(result: &RunResult) -> &str {
    assert_eq!(result.state.status, WorkflowStatus::Finished);
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
    assert!(result.bookmarks.is_empty());
    let incident = result.state.incidents.last().expect("an incident");
    &incident.message
}

/// The bytes the journal's entries take as JSON documents (what the store writes).
fn journal_bytes(result: &RunResult) -> usize {
    result
        .journal
        .iter()
        .map(|record| serde_json::to_string(record).unwrap().len())
        .sum()
}

#[test]
fn a_loop_stops_at_the_journal_entry_budget() {
    let engine = Engine::new(EngineOptions {
        max_journal_entries_per_run: 100,
        ..EngineOptions::default()
    });
    let result = run_with(&engine, endless_loop(), json!([]), json!({}));
    assert_eq!(
        faulted(&result),
        "The workflow exceeded the limit of 100 journal entries in one run (Elsa:Runtime:MaxJournalEntriesPerRun)."
    );
    // The budget, then the fault's own entry on the activity that did not start.
    assert_eq!(result.journal.len(), 101);
    let last = result.journal.last().unwrap();
    assert_eq!(last.event_name.as_deref(), Some("Faulted"));
    assert_eq!(
        result.state.execution_log_sequence,
        last.sequence + 1,
        "no sequence number is skipped"
    );
    let faulted_record = result
        .activity_records
        .iter()
        .find(|record| record.status == "Faulted")
        .unwrap();
    assert_eq!(faulted_record.id, &*last.activity_instance_id);
    // Workflow1, Flowchart1 and Start1 take 4 entries, each A or B 2 (Started, Completed);
    // the one whose `Started` did not fit never ran.
    assert_eq!(result.lines.len(), (100 - 4) / 2);
}

#[test]
fn a_loop_stops_at_the_journal_byte_budget() {
    let budget = 20_000;
    let engine = Engine::new(EngineOptions {
        max_journal_bytes_per_run: budget,
        ..EngineOptions::default()
    });
    let result = run_with(&engine, endless_loop(), json!([]), json!({}));
    assert_eq!(
        faulted(&result),
        "The workflow exceeded the limit of 20000 bytes of journal entries in one run (Elsa:Runtime:MaxJournalBytesPerRun)."
    );
    let (own, within) = result.journal.split_last().unwrap();
    assert_eq!(own.event_name.as_deref(), Some("Faulted"));
    let written: usize = within
        .iter()
        .map(|record| serde_json::to_string(record).unwrap().len())
        .sum();
    // The estimate never undercounts, and is close: the entries fill most of the budget.
    assert!(written <= budget, "{written} bytes");
    assert!(written > budget * 3 / 4, "{written} bytes");
}

#[test]
fn one_large_entry_is_refused_before_it_is_made() {
    // A fault whose message (200 KB) would not fit in the journal: the budget fault replaces
    // its entry, and both incidents are kept.
    let engine = Engine::new(EngineOptions {
        max_journal_bytes_per_run: 50_000,
        ..EngineOptions::default()
    });
    let result = run_with(
        &engine,
        write_line("Big", js("throw new Error('x'.repeat(200000))")),
        json!([]),
        json!({}),
    );
    assert!(faulted(&result).contains("limit of 50000 bytes of journal entries"));
    assert_eq!(result.state.incidents.len(), 2);
    assert!(result.state.incidents[0].message.len() >= 200_000);
    assert!(
        journal_bytes(&result) < 50_000,
        "{}",
        journal_bytes(&result)
    );
    let events: Vec<_> = result
        .journal
        .iter()
        .map(|record| record.event_name.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(events, ["Started", "Started", "Faulted"]);
}

#[test]
fn a_loop_stops_at_the_activity_record_budget() {
    let engine = Engine::new(EngineOptions {
        max_activity_records_per_run: 30,
        ..EngineOptions::default()
    });
    let result = run_with(&engine, endless_loop(), json!([]), json!({}));
    assert_eq!(
        faulted(&result),
        "The workflow exceeded the limit of 30 activity execution records in one run (Elsa:Runtime:MaxActivityRecordsPerRun)."
    );
    // The budget, then the faulted activity's own record (it did not run).
    assert_eq!(result.activity_records.len(), 31);
    assert_eq!(result.activity_records[30].status, "Faulted");
    assert_eq!(result.lines.len(), 30 - 3);
}

#[test]
fn the_budgets_hold_whatever_the_incident_strategy() {
    let engine = Engine::new(EngineOptions {
        max_journal_entries_per_run: 100,
        ..EngineOptions::default()
    });
    let mut definition = definition(endless_loop(), json!([]));
    definition.options.insert(
        "incidentStrategyType".into(),
        json!(
            "Elsa.Workflows.IncidentStrategies.ContinueWithIncidentsStrategy, Elsa.Workflows.Core"
        ),
    );
    let result = start(&engine, &definition, json!({}));
    assert!(faulted(&result).contains("limit of 100 journal entries"));
    assert_eq!(result.journal.len(), 101);
}

#[test]
fn with_the_defaults_an_endless_loop_stops_far_below_the_execution_cap() {
    let result = run_with(&Engine::default(), endless_loop(), json!([]), json!({}));
    assert!(
        faulted(&result).contains("(Elsa:Runtime:MaxActivityRecordsPerRun)"),
        "{:?}",
        result.state.incidents
    );
    assert_eq!(
        result.activity_records.len(),
        DEFAULT_MAX_ACTIVITY_RECORDS_PER_RUN + 1
    );
    assert!(result.journal.len() <= DEFAULT_MAX_JOURNAL_ENTRIES_PER_RUN + 1);
}

#[test]
fn with_the_defaults_a_for_each_over_thousands_of_items_finishes() {
    // 5,000 items, a body of a Sequence of three: 20,000 activity executions.
    let items: Vec<u32> = (0..5_000).collect();
    let body = json!({"id": "Body", "type": "Elsa.Sequence", "activities": [
        write_line("W1", json!("1")), write_line("W2", json!("2")), write_line("W3", json!("3"))]});
    let result = run(json!({"id": "Loop", "type": "Elsa.ForEach",
        "items": {"typeName": "Object", "expression": {"type": "Object", "value": serde_json::to_string(&items).unwrap()}},
        "body": body}));
    assert_finished(&result);
    assert_eq!(result.lines.len(), 15_000);
}

/// A workflow that builds a large variable, then waits for an event.
fn large_variable_then_wait(size: usize) -> (Value, Value) {
    let root = json!({"id": "Seq", "type": "Elsa.Sequence", "activities": [
        {"id": "Set", "type": "Elsa.SetVariable", "variable": {"id": "var-big", "name": "Big"},
         "value": js(&format!("'x'.repeat({size})"))},
        {"id": "Wait", "type": "Elsa.Event", "eventName": "go"},
    ]});
    let variables = json!([{"id": "var-big", "name": "Big", "typeName": "String",
        "storageDriverTypeName": "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core"}]);
    (root, variables)
}

#[test]
fn a_state_over_its_budget_is_not_kept() {
    let engine = Engine::new(EngineOptions {
        max_state_size: 50_000,
        ..EngineOptions::default()
    });
    let (root, variables) = large_variable_then_wait(100_000);
    let result = start(
        &engine,
        &definition(root, variables),
        json!({"note": "small"}),
    );
    let message = faulted(&result);
    assert!(
        message.starts_with("The workflow state of about 10")
            && message
                .ends_with("bytes exceeded the limit of 50000 bytes (Elsa:Runtime:MaxStateSize)."),
        "{message}"
    );
    let incident = &result.state.incidents[0];
    assert_eq!(incident.activity_id, "Workflow1");
    // A bounded state: the root context without variables, no bookmarks or callbacks; the
    // small input is kept.
    let state = serde_json::to_string(&result.state).unwrap();
    assert!(state.len() < 5_000, "{state}");
    assert_eq!(result.state.activity_execution_contexts.len(), 1);
    assert!(result.state.completion_callbacks.is_empty());
    assert!(result.state.bookmarks.is_empty());
    assert_eq!(result.state.input["note"], "small");
    assert_eq!(
        result.journal.last().unwrap().event_name.as_deref(),
        Some("Faulted")
    );
    assert_eq!(&*result.journal.last().unwrap().activity_id, "Workflow1");

    // Below the budget, the same workflow suspends with its variable.
    let (root, variables) = large_variable_then_wait(10_000);
    let result = start(&engine, &definition(root, variables), json!({}));
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Suspended);
    assert_eq!(result.bookmarks.len(), 1);
}

#[test]
fn an_input_over_the_state_budget_is_dropped_too() {
    let engine = Engine::new(EngineOptions {
        max_state_size: 50_000,
        ..EngineOptions::default()
    });
    let result = run_with(
        &engine,
        write_line("W", json!("hi")),
        json!([]),
        json!({"big": "y".repeat(60_000)}),
    );
    assert!(faulted(&result).contains("(Elsa:Runtime:MaxStateSize)"));
    assert!(result.state.input.is_empty());
    assert!(serde_json::to_string(&result.state).unwrap().len() < 5_000);
}

#[test]
fn budgets_are_per_run() {
    // Each iteration waits for an event: every run journals a few entries, far below a budget
    // the runs together exceed.
    let engine = Engine::new(EngineOptions {
        max_journal_entries_per_run: 30,
        max_activity_records_per_run: 30,
        ..EngineOptions::default()
    });
    let items: Vec<u32> = (0..20).collect();
    let workflow = engine
        .load(&definition(
            json!({"id": "Loop", "type": "Elsa.ForEach",
                "items": {"typeName": "Object", "expression": {"type": "Object", "value": serde_json::to_string(&items).unwrap()}},
                "body": {"id": "Body", "type": "Elsa.Sequence", "activities": [
                    {"id": "Wait", "type": "Elsa.Event", "eventName": "next"},
                    write_line("W", js("getCurrentValue()"))]}}),
            json!([]),
        ))
        .unwrap();
    let mut result = engine.start(
        &workflow,
        StartRequest::new("instance-1"),
        &clock(),
        &RunIds("s", SequentialIds::new()),
    );
    let mut journaled = result.journal.len();
    for run in 0..20 {
        assert_eq!(result.state.sub_status, WorkflowSubStatus::Suspended);
        let state = serde_json::from_str(&serde_json::to_string(&result.state).unwrap()).unwrap();
        let request = ResumeRequest {
            bookmark_id: result.bookmarks[0].id.clone(),
            ..ResumeRequest::default()
        };
        let ids = RunIds(
            Box::leak(format!("r{run}-").into_boxed_str()),
            SequentialIds::new(),
        );
        result = engine
            .resume(&workflow, &state, request, &clock(), &ids)
            .unwrap();
        journaled += result.journal.len();
    }
    assert_finished(&result);
    assert!(journaled > 30 * 3, "{journaled}");
}
