//! Blocking activities, bookmarks, resume from persisted state, and cancellation, on workflow
//! JSON written for these tests.

mod support;

use elsa_engine::{
    Engine, ResumeError, ResumeRequest, RunResult, SequentialIds, StartRequest, Workflow,
    bookmark_hash,
};
use elsa_model::{WorkflowState, WorkflowStatus, WorkflowSubStatus};
use serde_json::{Map, Value, json};
use support::*;

fn begin(workflow: &Workflow, trigger: Option<&str>, input: Value) -> RunResult {
    let request = StartRequest {
        input: input.as_object().cloned().unwrap_or_default(),
        trigger_activity_id: trigger.map(str::to_owned),
        ..StartRequest::new("instance-1")
    };
    Engine::default().start(
        workflow,
        request,
        &clock(),
        &RunIds("s", SequentialIds::new()),
    )
}

fn resume(
    workflow: &Workflow,
    state: &WorkflowState,
    bookmark_id: &str,
    input: Value,
    run: &'static str,
) -> Result<RunResult, ResumeError> {
    let request = ResumeRequest {
        bookmark_id: bookmark_id.to_owned(),
        input: input.as_object().cloned().unwrap_or_default(),
    };
    Engine::default().resume(
        workflow,
        state,
        request,
        &clock(),
        &RunIds(run, SequentialIds::new()),
    )
}

/// The state as the store would give it back: through JSON text.
fn round_trip(state: &WorkflowState) -> WorkflowState {
    let text = serde_json::to_string(state).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn assert_suspended(result: &RunResult) {
    assert_eq!(result.state.incidents, vec![], "unexpected incidents");
    assert_eq!(result.state.status, WorkflowStatus::Running);
    assert_eq!(result.state.sub_status, WorkflowSubStatus::Suspended);
}

fn event(id: &str, name: &str) -> Value {
    json!({"id": id, "type": "Elsa.Event", "eventName": name})
}

fn persisted_counter() -> Value {
    json!([{"id": "var-x", "name": "X", "typeName": "Int32", "value": "0",
            "storageDriverTypeName": "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core"}])
}

/// Start → A → join; Start → SetVariable X=5 → Event "Go" → B → join; WaitAll join → "joined".
fn event_in_a_branch() -> Value {
    flowchart(
        json!([
            {"id": "Start1", "type": "Elsa.Start"},
            write_line("A", json!("a")),
            {"id": "Set", "type": "Elsa.SetVariable", "variable": {"id": "var-x", "name": "X"},
             "value": js("5")},
            event("Wait", "Go"),
            write_line("B", js("'b ' + getX() + ' ' + JSON.stringify(getInput('__EventPayloadWorkflowInput'))")),
            {"id": "J", "type": "Elsa.FlowJoin",
             "mode": {"typeName": "FlowJoinMode", "expression": {"type": "Literal", "value": "WaitAll"}}},
            write_line("Joined", json!("joined")),
        ]),
        json!([
            connect("Start1", "Done", "A"),
            connect("Start1", "Done", "Set"),
            connect("Set", "Done", "Wait"),
            connect("Wait", "Done", "B"),
            connect("A", "Done", "J"),
            connect("B", "Done", "J"),
            connect("J", "Done", "Joined"),
        ]),
    )
}

#[test]
fn an_event_suspends_and_resumes_through_a_json_round_trip() {
    let workflow = load(event_in_a_branch(), persisted_counter());
    let suspended = begin(&workflow, None, json!({}));
    assert_suspended(&suspended);
    assert_eq!(suspended.lines, ["a"]);
    let [bookmark] = suspended.bookmarks.as_slice() else {
        panic!("one bookmark expected: {:?}", suspended.bookmarks)
    };
    assert_eq!(bookmark.name, "Elsa.Event");
    assert_eq!(bookmark.payload, json!({"eventName": "Go"}));
    assert_eq!(
        bookmark.hash,
        bookmark_hash("Elsa.Event", &json!({"EventName": "Go"}))
    );
    assert_eq!(bookmark.activity_id, "Wait");
    assert_eq!(suspended.state.bookmarks, suspended.bookmarks);
    assert!(journaled(&suspended, "Suspended").contains(&"Wait".to_owned()));
    let record = suspended
        .activity_records
        .iter()
        .find(|r| &*r.activity_id == "Wait")
        .unwrap();
    assert!(record.has_bookmarks);

    let input = json!({"__EventPayloadWorkflowInput": {"n": 1}});
    let direct = resume(
        &workflow,
        &suspended.state,
        &bookmark.id,
        input.clone(),
        "r",
    )
    .unwrap();
    let stored = resume(
        &workflow,
        &round_trip(&suspended.state),
        &bookmark.id,
        input,
        "r",
    )
    .unwrap();
    assert_eq!(
        direct, stored,
        "resuming a state that went through JSON changes nothing"
    );
    assert_finished(&direct);
    // The persisted variable and the flowchart's join counters survived the suspension.
    assert_eq!(direct.lines, ["b 5 {\"n\":1}", "joined"]);
    assert!(direct.bookmarks.is_empty());
    assert_eq!(journaled(&direct, "Resumed"), ["Wait"]);
    let record = direct
        .activity_records
        .iter()
        .find(|r| &*r.activity_id == "Wait")
        .unwrap();
    assert_eq!(record.outputs, Some(json!({"Result": {"n": 1}})));
    assert_eq!(
        direct.state.execution_log_sequence,
        direct.journal.last().unwrap().sequence + 1
    );
}

#[test]
fn a_loop_body_suspends_per_iteration_and_keeps_its_iteration_variables() {
    let workflow = load(
        json!({"id": "Loop", "type": "Elsa.ForEach",
               "items": {"typeName": "Object", "expression": {"type": "Object", "value": "[\"a\",\"b\"]"}},
               "body": {"id": "Body", "type": "Elsa.Sequence", "activities": [
                   event("Next", "next"), write_line("W", js("getCurrentIndex() + getCurrentValue()"))]}}),
        json!([]),
    );
    let mut result = begin(&workflow, None, json!({}));
    let mut lines = Vec::new();
    for run in ["r1", "r2"] {
        assert_suspended(&result);
        let bookmark = result.bookmarks[0].id.clone();
        result = resume(
            &workflow,
            &round_trip(&result.state),
            &bookmark,
            json!({}),
            run,
        )
        .unwrap();
        lines.extend(result.lines.clone());
    }
    assert_finished(&result);
    assert_eq!(lines, ["0a", "1b"]);
}

#[test]
fn a_trigger_activity_completes_at_once_with_the_stimulus() {
    let workflow = load(
        json!({"id": "Seq", "type": "Elsa.Sequence", "activities": [
            event("Wait", "Go"), write_line("W", js("JSON.stringify(getInput('__EventPayloadWorkflowInput'))"))]}),
        json!([]),
    );
    let result = begin(
        &workflow,
        Some("Wait"),
        json!({"__EventPayloadWorkflowInput": 7}),
    );
    assert_finished(&result);
    assert_eq!(result.lines, ["7"]);
}

#[test]
fn scheduling_activities_bookmark_their_resume_time() {
    let payload = |activity: Value| {
        let result = begin(&load(activity, json!([])), None, json!({}));
        assert_suspended(&result);
        (
            result.bookmarks[0].name.clone(),
            result.bookmarks[0].payload.clone(),
        )
    };
    assert_eq!(
        payload(json!({"type": "Elsa.Delay", "timeSpan": "00:00:05"})),
        (
            "Elsa.Delay".into(),
            json!({"resumeAt": "2026-01-02T03:04:10Z"})
        )
    );
    assert_eq!(
        payload(json!({"type": "Elsa.Timer"})),
        (
            "Elsa.Timer".into(),
            json!({"resumeAt": "2026-01-02T03:05:05Z"})
        )
    );
    assert_eq!(
        payload(json!({"type": "Elsa.StartAt", "dateTime": "2026-03-01T00:00:00+00:00"})),
        (
            "Elsa.StartAt".into(),
            json!({"executeAt": "2026-03-01T00:00:00Z"})
        )
    );
    assert_eq!(
        payload(json!({"type": "Elsa.Cron", "cronExpression": "0 */15 * * * *"})),
        (
            "Elsa.Cron".into(),
            json!({"executeAt": "2026-01-02T03:15:00Z", "cronExpression": "0 */15 * * * *"})
        )
    );
    let past = begin(
        &load(
            json!({"type": "Elsa.StartAt", "dateTime": "2020-01-01T00:00:00Z"}),
            json!([]),
        ),
        None,
        json!({}),
    );
    assert_finished(&past);
    for broken in [
        json!({"type": "Elsa.Delay", "timeSpan": "soon"}),
        json!({"type": "Elsa.Cron", "cronExpression": "not a cron"}),
        // Five fields: Elsa's Cronos wants the seconds too.
        json!({"type": "Elsa.Cron", "cronExpression": "*/15 * * * *"}),
        json!({"type": "Elsa.StartAt", "dateTime": "tomorrow"}),
    ] {
        let result = begin(&load(broken, json!([])), None, json!({}));
        assert_eq!(result.state.sub_status, WorkflowSubStatus::Faulted);
        assert!(result.bookmarks.is_empty());
    }
}

#[test]
fn triggers_are_listed_with_their_inputs_and_an_http_trigger_outputs_its_request() {
    let workflow = load(
        json!({"id": "Seq", "type": "Elsa.Sequence", "activities": [
            {"id": "Http", "type": "Elsa.HttpEndpoint", "path": "orders/{id}",
             "supportedMethods": {"typeName": "List<String>", "expression": {"type": "Object", "value": "[\"POST\"]"}},
             "customProperties": {"canStartWorkflow": true}},
            write_line("W", js("getOutputFrom('Http', 'RouteData').id")),
            {"id": "Cron", "type": "Elsa.Cron",
             "cronExpression": {"typeName": "String", "expression": {"type": "JavaScript", "value": "'0 0 * * * ' + '*'"}},
             "customProperties": {"canStartWorkflow": true}},
            {"id": "Later", "type": "Elsa.HttpEndpoint", "path": "not-a-trigger"}]}),
        json!([]),
    );
    let triggers = Engine::default().triggers(&workflow, &clock(), &SequentialIds::new());
    let listed: Vec<_> = triggers
        .iter()
        .map(|t| (t.activity_id.as_str(), t.type_name))
        .collect();
    assert_eq!(
        listed,
        [("Http", "Elsa.HttpEndpoint"), ("Cron", "Elsa.Cron")]
    );
    assert_eq!(triggers[0].inputs["Path"], json!("orders/{id}"));
    assert_eq!(triggers[0].inputs["SupportedMethods"], json!(["POST"]));
    assert_eq!(triggers[1].inputs["CronExpression"], json!("0 0 * * * *"));

    let request = StartRequest {
        trigger_activity_id: Some("Http".into()),
        trigger_input: Map::from_iter([("RouteData".to_owned(), json!({"id": "42"}))]),
        ..StartRequest::new("instance-1")
    };
    let started = Engine::default().start(&workflow, request, &clock(), &SequentialIds::new());
    // The trigger completed at once with the request as its output; the Cron, not the
    // trigger of this run, waits.
    assert_eq!(started.lines, ["42"]);
    let waiting: Vec<_> = started.bookmarks.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(waiting, ["Elsa.Cron"]);
}

#[test]
fn an_http_endpoint_waits_per_method_and_resumes_with_the_request() {
    let workflow = load(
        json!({"id": "Seq", "type": "Elsa.Sequence", "activities": [
            {"id": "Http", "type": "Elsa.HttpEndpoint", "path": "/Orders",
             "supportedMethods": {"typeName": "List<String>", "expression": {"type": "Object", "value": "[\"GET\",\"POST\"]"}}},
            write_line("W", json!("received"))]}),
        json!([]),
    );
    let suspended = begin(&workflow, None, json!({}));
    assert_suspended(&suspended);
    let payloads: Vec<_> = suspended
        .bookmarks
        .iter()
        .map(|b| b.payload.clone())
        .collect();
    assert_eq!(
        payloads,
        [
            json!({"path": "/orders", "method": "get"}),
            json!({"path": "/orders", "method": "post"})
        ]
    );
    let post = suspended.bookmarks[1].id.clone();
    let input = json!({"ParsedContent": {"id": 3}});
    let result = resume(&workflow, &suspended.state, &post, input, "r").unwrap();
    assert_finished(&result);
    assert_eq!(result.lines, ["received"]);
    assert!(
        result.bookmarks.is_empty(),
        "the GET bookmark went with its activity"
    );
    let record = result
        .activity_records
        .iter()
        .find(|r| &*r.activity_id == "Http")
        .unwrap();
    assert_eq!(record.outputs, Some(json!({"ParsedContent": {"id": 3}})));
}

#[test]
fn cancel_ends_every_running_activity_and_clears_the_bookmarks() {
    let workflow = load(event_in_a_branch(), persisted_counter());
    let suspended = begin(&workflow, None, json!({}));
    let cancelled = Engine::default()
        .cancel(
            &workflow,
            &round_trip(&suspended.state),
            &clock(),
            &RunIds("c", SequentialIds::new()),
        )
        .unwrap();
    assert_eq!(cancelled.state.status, WorkflowStatus::Finished);
    assert_eq!(cancelled.state.sub_status, WorkflowSubStatus::Cancelled);
    assert!(cancelled.bookmarks.is_empty() && cancelled.state.bookmarks.is_empty());
    assert!(cancelled.state.completion_callbacks.is_empty());
    assert_eq!(
        journaled(&cancelled, "Canceled"),
        ["Wait", "Flowchart1", "Workflow1"]
    );
    let bookmark = suspended.bookmarks[0].id.clone();
    assert_eq!(
        resume(&workflow, &cancelled.state, &bookmark, json!({}), "r"),
        Err(ResumeError::Finished)
    );
}

#[test]
fn resume_rejects_what_it_cannot_resume_without_panicking() {
    let workflow = load(event_in_a_branch(), persisted_counter());
    let suspended = begin(&workflow, None, json!({}));
    assert!(matches!(
        resume(&workflow, &suspended.state, "nope", json!({}), "r"),
        Err(ResumeError::BookmarkNotFound(_))
    ));
    let other = Engine::default()
        .load(&{
            let mut definition = definition(event_in_a_branch(), persisted_counter());
            definition.id = "def-v2".into();
            definition
        })
        .unwrap();
    let bookmark = suspended.bookmarks[0].id.clone();
    assert!(matches!(
        resume(&other, &suspended.state, &bookmark, json!({}), "r"),
        Err(ResumeError::WrongWorkflow(_))
    ));
    let mutations: [fn(&mut Map<String, Value>); 4] = [
        |context| {
            context.insert("scheduledActivityNodeId".into(), json!("Workflow1:Gone"));
        },
        |context| {
            context.insert("parentContextId".into(), json!("unknown"));
        },
        |context| {
            context.insert("status".into(), json!("Sleeping"));
        },
        |context| {
            context.insert(
                "properties".into(),
                json!({"Variables": {"var-x": "not a number"}}),
            );
        },
    ];
    for mutate in mutations {
        let mut state = suspended.state.clone();
        if let Some(Value::Object(root)) = state.activity_execution_contexts.first_mut() {
            mutate(root);
        }
        assert!(matches!(
            resume(&workflow, &state, &bookmark, json!({}), "r"),
            Err(ResumeError::CorruptState(_))
        ));
    }
}
