//! Activities whose work the runtime does: HTTP responses and requests, and child workflows.
//! The engine returns them as effects and, where it must wait, a bookmark the runtime resumes.

mod support;

use elsa_engine::{
    CHILD_WORKFLOW_RESULT_INPUT, Effect, Engine, HTTP_FAILURE_INPUT, HTTP_FAULT_INPUT,
    HTTP_RESPONSE_INPUT, ResumeRequest, RunResult, SequentialIds, StartRequest, Workflow,
};
use elsa_model::{WorkflowStatus, WorkflowSubStatus};
use serde_json::{Value, json};
use support::*;

/// A workflow without variables.
fn load_root(root: Value) -> Workflow {
    load(root, json!([]))
}

fn begin(workflow: &Workflow) -> RunResult {
    let request = StartRequest::new("parent-1");
    Engine::default().start(
        workflow,
        request,
        &clock(),
        &RunIds("s", SequentialIds::new()),
    )
}

fn resume_with(workflow: &Workflow, suspended: &RunResult, input: Value) -> RunResult {
    let request = ResumeRequest {
        bookmark_id: suspended.bookmarks[0].id.clone(),
        input: input.as_object().cloned().unwrap_or_default(),
    };
    Engine::default()
        .resume(
            workflow,
            &suspended.state,
            request,
            &clock(),
            &RunIds("r", SequentialIds::new()),
        )
        .expect("the instance resumes")
}

fn outcomes_of(result: &RunResult, activity_id: &str) -> Value {
    result
        .journal
        .iter()
        .find(|r| &*r.activity_id == activity_id && r.event_name.as_deref() == Some("Completed"))
        .and_then(|r| r.payload.clone())
        .map(|payload| payload["Outcomes"].clone())
        .unwrap_or(Value::Null)
}

fn outputs_of(result: &RunResult, activity_id: &str) -> Option<Value> {
    result
        .activity_records
        .iter()
        .find(|r| &*r.activity_id == activity_id)
        .and_then(|r| r.outputs.clone())
}

#[test]
fn write_http_response_asks_the_runtime_to_respond() {
    let result = begin(&load_root(
        json!({"id": "Respond", "type": "Elsa.WriteHttpResponse",
        "statusCode": "Created", "content": js("({ id: 7 })"), "contentType": "application/json",
        "responseHeaders": {"typeName": "HttpHeaders", "expression": {"type": "Object", "value": "{\"X-Id\":[\"7\"]}"}}}),
    ));
    assert_finished(&result);
    assert_eq!(
        result.effects,
        [Effect::HttpResponse {
            status_code: 201,
            content: json!({"id": 7}),
            content_type: Some("application/json".into()),
            headers: json!({"X-Id": ["7"]}).as_object().cloned().unwrap(),
        }]
    );
}

fn flow_request() -> Value {
    json!({"id": "Req", "type": "Elsa.FlowSendHttpRequest", "url": "https://example.test/orders",
           "method": "post", "content": js("({ n: 1 })")})
}

#[test]
fn flow_send_http_request_waits_for_the_response_and_completes_by_status() {
    let workflow = load_root(flow_request());
    let suspended = begin(&workflow);
    assert_eq!(suspended.state.sub_status, WorkflowSubStatus::Suspended);
    let [
        Effect::HttpRequest {
            bookmark_id,
            method,
            url,
            content,
            ..
        },
    ] = suspended.effects.as_slice()
    else {
        panic!("one request expected: {:?}", suspended.effects)
    };
    assert_eq!(bookmark_id, &suspended.bookmarks[0].id);
    assert_eq!(
        (method.as_str(), url.as_str()),
        ("POST", "https://example.test/orders")
    );
    assert_eq!(content, &json!({"n": 1}));

    let response = |status: u16| json!({HTTP_RESPONSE_INPUT: {"statusCode": status, "headers": {"A": ["b"]}, "content": {"ok": true}}});
    let ok = resume_with(&workflow, &suspended, response(200));
    assert_finished(&ok);
    assert_eq!(outcomes_of(&ok, "Req"), json!(["200", "Done"]));
    assert_eq!(
        outputs_of(&ok, "Req"),
        Some(
            json!({"StatusCode": 200, "ParsedContent": {"ok": true}, "ResponseHeaders": {"A": ["b"]}})
        )
    );
    let missing = resume_with(&workflow, &suspended, response(404));
    assert_eq!(
        outcomes_of(&missing, "Req"),
        json!(["Unmatched status code", "Done"])
    );
    let failed = resume_with(
        &workflow,
        &suspended,
        json!({HTTP_FAILURE_INPUT: "FailedToConnect"}),
    );
    assert_eq!(outcomes_of(&failed, "Req"), json!(["Failed to connect"]));
    let garbage = resume_with(&workflow, &suspended, json!({}));
    assert_eq!(garbage.state.sub_status, WorkflowSubStatus::Faulted);
}

#[test]
fn http_request_effect_keeps_a_null_content_type_apart_from_a_blank_one() {
    let effect_of = |extra: Value| {
        let mut activity = flow_request();
        for (key, value) in extra.as_object().unwrap() {
            activity[key] = value.clone();
        }
        let suspended = begin(&load_root(activity));
        match suspended.effects.as_slice() {
            [
                Effect::HttpRequest {
                    content_type,
                    authorization,
                    disable_authorization_header_validation,
                    ..
                },
            ] => (
                content_type.clone(),
                authorization.clone(),
                *disable_authorization_header_validation,
            ),
            other => panic!("one request expected: {other:?}"),
        }
    };
    // No content type: Elsa sends no body; a blank one: JSON.
    assert_eq!(effect_of(json!({})), (None, None, false));
    assert_eq!(
        effect_of(json!({"contentType": "", "authorization": "  "})),
        (Some(String::new()), None, false)
    );
    assert_eq!(
        effect_of(
            json!({"contentType": "text/plain", "authorization": "Bearer x",
                         "disableAuthorizationHeaderValidation": true})
        ),
        (Some("text/plain".into()), Some("Bearer x".into()), true)
    );
}

#[test]
fn an_http_fault_faults_the_request_activity_with_its_exception() {
    let workflow = load_root(flow_request());
    let suspended = begin(&workflow);
    let faulted = resume_with(
        &workflow,
        &suspended,
        json!({HTTP_FAULT_INPUT: {"type": "JsonException", "message": "not JSON"}}),
    );
    assert_eq!(faulted.state.sub_status, WorkflowSubStatus::Faulted);
    let incident = &faulted.state.incidents[0];
    assert_eq!(incident.activity_id, "Req");
    let exception = incident.exception.as_ref().expect("an exception");
    assert_eq!(
        (exception.type_name.as_str(), exception.message.as_str()),
        ("JsonException", "not JSON")
    );
}

#[test]
fn send_http_request_runs_the_activity_for_the_status_code() {
    let workflow = load_root(json!({"id": "Seq", "type": "Elsa.Sequence", "activities": [
        {"id": "Req", "type": "Elsa.SendHttpRequest", "url": "https://example.test",
         "expectedStatusCodes": [{"statusCode": 201, "activity": write_line("Created", json!("created"))}],
         "unmatchedStatusCode": write_line("Other", json!("other")),
         "timeout": write_line("Late", json!("late"))},
        write_line("After", json!("after"))]}));
    let suspended = begin(&workflow);
    let lines = |input: Value| {
        let result = resume_with(&workflow, &suspended, input);
        assert_finished(&result);
        result.lines
    };
    let response = |status: u16| json!({HTTP_RESPONSE_INPUT: {"statusCode": status}});
    assert_eq!(lines(response(201)), ["created", "after"]);
    assert_eq!(lines(response(500)), ["other", "after"]);
    assert_eq!(
        lines(json!({HTTP_FAILURE_INPUT: "Timeout"})),
        ["late", "after"]
    );
    assert_eq!(
        lines(json!({HTTP_FAILURE_INPUT: "FailedToConnect"})),
        ["after"]
    );
}

#[test]
fn execute_workflow_starts_the_child_inline_and_completes_with_its_result() {
    let workflow = load_root(json!({"id": "Seq", "type": "Elsa.Sequence", "activities": [
        {"id": "Child", "type": "Elsa.ExecuteWorkflow", "workflowDefinitionId": "child-def",
         "correlationId": "c-1", "input": js("({ Message: 'hi' })")},
        write_line("W", js("JSON.stringify(getInput('ChildWorkflowResult').output)"))]}));
    let suspended = begin(&workflow);
    assert_eq!(suspended.state.sub_status, WorkflowSubStatus::Suspended);
    let [
        Effect::StartWorkflow {
            definition_id,
            instance_id,
            correlation_id,
            input,
            parent_instance_id,
            properties,
            background,
            resume_bookmark_id,
            wait_for_completion,
        },
    ] = suspended.effects.as_slice()
    else {
        panic!("one child expected: {:?}", suspended.effects)
    };
    assert_eq!(definition_id, "child-def");
    assert_eq!(correlation_id.as_deref(), Some("c-1"));
    assert_eq!(
        Value::Object(input.clone()),
        json!({"Message": "hi", "ParentInstanceId": "parent-1"})
    );
    assert_eq!(parent_instance_id, "parent-1");
    assert_eq!(
        Value::Object(properties.clone()),
        json!({"ParentInstanceId": "parent-1"})
    );
    assert!(!background && !wait_for_completion);
    assert_eq!(
        resume_bookmark_id.as_deref(),
        Some(suspended.bookmarks[0].id.as_str())
    );
    assert_eq!(
        suspended.bookmarks[0].payload,
        json!({"childInstanceId": instance_id})
    );

    let child = json!({"workflowInstanceId": instance_id, "status": "Finished",
                       "subStatus": "Finished", "output": {"Result": 42}});
    let result = resume_with(
        &workflow,
        &suspended,
        json!({CHILD_WORKFLOW_RESULT_INPUT: child.clone()}),
    );
    assert_finished(&result);
    assert_eq!(result.lines, ["{\"Result\":42}"]);
    assert_eq!(outputs_of(&result, "Child"), Some(json!({"Result": child})));
}

#[test]
fn dispatch_workflow_completes_at_once_unless_it_waits() {
    let dispatch = |wait: bool| {
        load_root(
            json!({"id": "D", "type": "Elsa.DispatchWorkflow", "workflowDefinitionId": "child-def",
                    "waitForCompletion": wait}),
        )
    };
    let fire_and_forget = begin(&dispatch(false));
    assert_finished(&fire_and_forget);
    assert!(matches!(
        fire_and_forget.effects.as_slice(),
        [Effect::StartWorkflow {
            background: true,
            resume_bookmark_id: None,
            ..
        }]
    ));
    assert!(fire_and_forget.bookmarks.is_empty());
    // A dispatched child learns its parent from its input only (no run properties).
    let [
        Effect::StartWorkflow {
            input, properties, ..
        },
    ] = fire_and_forget.effects.as_slice()
    else {
        unreachable!()
    };
    assert_eq!(input.get("ParentInstanceId"), Some(&json!("parent-1")));
    assert!(properties.is_empty());

    let workflow = dispatch(true);
    let waiting = begin(&workflow);
    assert_eq!(waiting.state.status, WorkflowStatus::Running);
    assert!(matches!(
        waiting.effects.as_slice(),
        [Effect::StartWorkflow {
            background: true,
            resume_bookmark_id: Some(_),
            wait_for_completion: true,
            ..
        }]
    ));
    let child = json!({CHILD_WORKFLOW_RESULT_INPUT: {"output": {"Total": 3}}});
    let done = resume_with(&workflow, &waiting, child);
    assert_finished(&done);
    assert_eq!(
        outputs_of(&done, "D"),
        Some(json!({"Result": {"Total": 3}}))
    );

    let missing = begin(&load_root(
        json!({"id": "D", "type": "Elsa.DispatchWorkflow"}),
    ));
    assert_eq!(missing.state.sub_status, WorkflowSubStatus::Faulted);
}
