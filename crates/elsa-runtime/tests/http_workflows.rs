//! Publish validation of triggers and requests to HTTP workflows, through the runtime.

mod support;

use elsa_model::{WorkflowDefinitionInput, WorkflowStatus, WorkflowSubStatus};
use elsa_runtime::{
    ExecuteRequest, HttpOutcome, HttpRequest, Runtime, RuntimeError, ValidationError,
    WrittenResponse,
};
use serde_json::{Value, json};
use support::runtime;

/// A sequence of `activities`, saved under `definition_id`.
fn definition(definition_id: &str, activities: Value) -> WorkflowDefinitionInput {
    serde_json::from_value(json!({
        "definitionId": definition_id,
        "name": definition_id,
        "activities": activities,
    }))
    .unwrap()
}

fn endpoint(path: &str, methods: Value, starts: bool) -> Value {
    json!({"id": "Http", "type": "Elsa.HttpEndpoint", "path": path,
           "supportedMethods": methods, "customProperties": {"canStartWorkflow": starts}})
}

fn respond(script: &str) -> Value {
    json!({"id": "Respond", "type": "Elsa.WriteHttpResponse", "statusCode": "Created",
           "contentType": "application/json",
           "content": {"typeName": "Object", "expression": {"type": "JavaScript", "value": script}}})
}

fn cron(expression: &str) -> Value {
    json!({"id": "Cron1", "type": "Elsa.Cron", "cronExpression": expression,
           "customProperties": {"canStartWorkflow": true}})
}

fn request(method: &str, path: &str) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        ..HttpRequest::default()
    }
}

async fn publish(
    rt: &Runtime,
    id: &str,
    activities: Value,
) -> Result<Vec<ValidationError>, RuntimeError> {
    rt.save_definition(definition(id, activities), true)
        .await
        .map(|saved| saved.validation_errors)
}

const BAD_CRON: &str = "Error when parsing cron expression: The given cron expression has an invalid format. Minutes: Value must be a number between 0 and 59 (all inclusive).";

#[tokio::test]
async fn a_bad_cron_expression_fails_the_publish_unless_validation_is_lenient() {
    let (rt, _) = runtime().await;
    let error = publish(&rt, "nightly", json!([cron("0 61 * * * *")]))
        .await
        .unwrap_err();
    let RuntimeError::ValidationFailed(errors) = error else {
        panic!("{error}");
    };
    assert_eq!(
        errors,
        [ValidationError {
            message: BAD_CRON.into(),
            activity_id: Some("Cron1".into()),
        }]
    );
    // The draft stays; nothing was published.
    let draft = rt.definitions().versions("nightly").await.unwrap();
    assert_eq!((draft.len(), draft[0].is_published), (1, false));
    assert_eq!(
        publish(&rt, "hourly", json!([cron("0 0 * * * *")]))
            .await
            .unwrap(),
        []
    );

    let (lenient, _) = runtime().await;
    let lenient = lenient.with_fail_on_validation_errors(false);
    let warnings = publish(&lenient, "nightly", json!([cron("0 61 * * * *")]))
        .await
        .unwrap();
    assert_eq!(warnings[0].message, BAD_CRON);
    assert!(lenient.definitions().versions("nightly").await.unwrap()[0].is_published);
}

#[tokio::test]
async fn an_http_route_of_another_published_definition_is_a_validation_error() {
    let (rt, _) = runtime().await;
    let orders = json!([endpoint("Orders/", json!(["GET", "POST"]), true)]);
    assert_eq!(publish(&rt, "a", orders.clone()).await.unwrap(), []);
    // Publishing a new version of the same definition does not conflict with itself.
    assert_eq!(publish(&rt, "a", orders.clone()).await.unwrap(), []);
    let error = publish(
        &rt,
        "b",
        json!([endpoint("/orders", json!(["post"]), true)]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the workflow cannot be published: The /orders path and post method are already in use by another workflow!"
    );
    // Another method on the same path is free; a trigger that cannot start workflows claims nothing.
    assert_eq!(
        publish(&rt, "c", json!([endpoint("orders", json!(["PUT"]), true)]))
            .await
            .unwrap(),
        []
    );
    assert_eq!(
        publish(&rt, "d", json!([endpoint("orders", json!(["GET"]), false)]))
            .await
            .unwrap(),
        []
    );
}

#[tokio::test]
async fn a_request_starts_the_workflow_whose_trigger_matches_and_gets_its_response() {
    let (rt, _) = runtime().await;
    let script = r#"({id: getOutputFrom("Http", "RouteData").id,
                      page: getOutputFrom("Http", "QueryStringData").page,
                      body: getOutputFrom("Http", "ParsedContent"),
                      agent: getOutputFrom("Http", "Headers")["user-agent"]})"#;
    publish(
        &rt,
        "orders",
        json!([
            endpoint("orders/{id}", json!(["POST"]), true),
            respond(script)
        ]),
    )
    .await
    .unwrap();
    let outcome = rt
        .handle_http(&HttpRequest {
            query: vec![("page".into(), "2".into())],
            headers: vec![("user-agent".into(), "tests".into())],
            content_type: Some("application/json".into()),
            body: br#"{"qty": 3}"#.to_vec(),
            ..request("POST", "/Orders/A-1/")
        })
        .await
        .unwrap();
    let HttpOutcome::Ran { instance, response } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(instance.status, WorkflowStatus::Finished);
    assert_eq!(
        response,
        Some(WrittenResponse {
            status_code: 201,
            content: json!({"id": "A-1", "page": "2", "body": {"qty": 3}, "agent": "tests"}),
            content_type: Some("application/json".into()),
            headers: Default::default(),
        })
    );

    assert!(matches!(
        rt.handle_http(&request("GET", "/orders/A-1"))
            .await
            .unwrap(),
        HttpOutcome::NotFound
    ));
    assert!(matches!(
        rt.handle_http(&request("POST", "/orders")).await.unwrap(),
        HttpOutcome::NotFound
    ));
    let bad = rt
        .handle_http(&HttpRequest {
            content_type: Some("application/json".into()),
            body: b"{".to_vec(),
            ..request("POST", "/orders/1")
        })
        .await
        .unwrap();
    assert!(matches!(bad, HttpOutcome::BadContent(_)), "{bad:?}");
    for (content_type, body) in [
        ("application/json", br#"{"note": "a\u0000b"}"#.to_vec()),
        ("text/plain", b"a\0b".to_vec()),
    ] {
        let nul = rt
            .handle_http(&HttpRequest {
                content_type: Some(content_type.into()),
                body,
                ..request("POST", "/orders/1")
            })
            .await
            .unwrap();
        assert!(
            matches!(&nul, HttpOutcome::BadContent(m) if m.contains("NUL character")),
            "{nul:?}"
        );
    }
}

#[tokio::test]
async fn a_request_resumes_the_instance_waiting_at_an_http_endpoint() {
    let (rt, _) = runtime().await;
    let activities = json!([
        {"id": "Hello", "type": "Elsa.WriteLine", "text": "waiting"},
        endpoint("approvals/{id}", json!(["POST"]), false),
        respond(r#"({approved: getOutputFrom("Http", "RouteData").id})"#),
    ]);
    publish(&rt, "approval", activities).await.unwrap();
    let started = rt
        .execute("approval", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(started.instance.sub_status, WorkflowSubStatus::Suspended);

    // Narrowed to another instance, nothing matches.
    let mut elsewhere = request("POST", "/approvals/7");
    elsewhere.query = vec![("workflowInstanceId".into(), "someone-else".into())];
    assert!(matches!(
        rt.handle_http(&elsewhere).await.unwrap(),
        HttpOutcome::NotFound
    ));

    let outcome = rt
        .handle_http(&request("POST", "/approvals/7"))
        .await
        .unwrap();
    let HttpOutcome::Ran { instance, response } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(instance.id, started.instance.id);
    assert_eq!(instance.status, WorkflowStatus::Finished);
    assert_eq!(response.unwrap().content, json!({"approved": "7"}));
    // The bookmark is gone with the run.
    assert!(matches!(
        rt.handle_http(&request("POST", "/approvals/7"))
            .await
            .unwrap(),
        HttpOutcome::NotFound
    ));
}

#[tokio::test]
async fn two_workflows_on_one_route_are_ambiguous_and_a_faulted_run_writes_nothing() {
    let (rt, _) = runtime().await;
    let rt = rt.with_fail_on_validation_errors(false);
    let shared = json!([endpoint("shared", json!(["GET"]), true)]);
    publish(&rt, "one", shared.clone()).await.unwrap();
    let warnings = publish(&rt, "two", shared).await.unwrap();
    assert_eq!(warnings.len(), 1);
    let outcome = rt.handle_http(&request("GET", "/shared")).await.unwrap();
    let HttpOutcome::Ambiguous(ids) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(ids, ["one", "two"]);

    let faults = json!([
        endpoint("broken", json!(["GET"]), true),
        {"id": "Boom", "type": "Elsa.Fault", "message": "boom"},
    ]);
    publish(&rt, "broken", faults).await.unwrap();
    let outcome = rt.handle_http(&request("GET", "/broken")).await.unwrap();
    let HttpOutcome::Ran { instance, response } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(instance.sub_status, WorkflowSubStatus::Faulted);
    assert_eq!(response, None);
}

#[tokio::test]
async fn authorize_and_policy_admit_only_the_callers_they_name() {
    let (rt, _) = runtime().await;
    let guarded = |path: &str, starts: bool, access: Value| {
        let mut activity = endpoint(path, json!(["POST"]), starts);
        activity
            .as_object_mut()
            .unwrap()
            .extend(access.as_object().unwrap().clone());
        activity
    };
    // A trigger that asks for a caller, and one that asks for a permission.
    publish(
        &rt,
        "members",
        json!([
            guarded("members", true, json!({"authorize": true})),
            respond("({ok: true})")
        ]),
    )
    .await
    .unwrap();
    publish(
        &rt,
        "approvers",
        json!([
            guarded(
                "approve",
                true,
                json!({"authorize": true, "policy": "approve:orders"})
            ),
            respond("({ok: true})")
        ]),
    )
    .await
    .unwrap();
    let call = |path: &str, caller: Option<&[&str]>| HttpRequest {
        caller: caller.map(|held| held.iter().map(|p| p.to_string()).collect()),
        ..request("POST", path)
    };
    let ran = |outcome: &HttpOutcome| matches!(outcome, HttpOutcome::Ran { .. });

    let anonymous = rt.handle_http(&call("/members", None)).await.unwrap();
    assert!(
        matches!(anonymous, HttpOutcome::Unauthorized),
        "{anonymous:?}"
    );
    assert!(ran(&rt
        .handle_http(&call("/members", Some(&[])))
        .await
        .unwrap()));
    let without = rt
        .handle_http(&call("/approve", Some(&["read:*"])))
        .await
        .unwrap();
    assert!(
        matches!(&without, HttpOutcome::Forbidden(p) if p == "approve:orders"),
        "{without:?}"
    );
    for held in [&["approve:orders"][..], &["*"][..]] {
        assert!(ran(&rt
            .handle_http(&call("/approve", Some(held)))
            .await
            .unwrap()));
    }
    assert!(matches!(
        rt.handle_http(&call("/approve", None)).await.unwrap(),
        HttpOutcome::Unauthorized
    ));

    // A waiting endpoint: its bookmark carries the same rule, and is found by its route alone.
    publish(
        &rt,
        "waiter",
        json!([
            {"id": "Hello", "type": "Elsa.WriteLine", "text": "waiting"},
            guarded("resume/{id}", false, json!({"policy": "approve:orders"})),
            respond("({resumed: true})"),
        ]),
    )
    .await
    .unwrap();
    rt.execute("waiter", ExecuteRequest::default())
        .await
        .unwrap();
    assert!(matches!(
        rt.handle_http(&call("/resume/1", None)).await.unwrap(),
        HttpOutcome::Unauthorized
    ));
    assert!(matches!(
        rt.handle_http(&call("/resume/1", Some(&[]))).await.unwrap(),
        HttpOutcome::Forbidden(_)
    ));
    assert!(ran(&rt
        .handle_http(&call("/resume/1", Some(&["approve:orders"])))
        .await
        .unwrap()));
}
