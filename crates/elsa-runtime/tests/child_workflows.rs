//! Workflows that use other workflows, through the runtime: as activities (resolved among the
//! stored definitions usable as activities) and as child instances (`Elsa.ExecuteWorkflow`,
//! `Elsa.DispatchWorkflow`), on workflow JSON written for these tests.

mod support;

use std::sync::Arc;
use support::{eventually, runtime};
use tokio_util::sync::CancellationToken;

use elsa_engine::ResumeRequest;
use elsa_model::{WorkflowStatus, WorkflowSubStatus};
use elsa_runtime::{ExecuteRequest, Runtime};
use serde_json::{Map, Value, json};

fn literal(type_name: &str, value: Value) -> Value {
    json!({"typeName": type_name, "expression": {"type": "Literal", "value": value}})
}

fn js(source: &str) -> Value {
    json!({"typeName": "String", "expression": {"type": "JavaScript", "value": source}})
}

fn write_line(id: &str, text: Value) -> Value {
    json!({"id": id, "type": "Elsa.WriteLine", "text": text})
}

fn sequence(activities: Value) -> Value {
    json!({"id": "Seq", "type": "Elsa.Sequence", "activities": activities})
}

/// `Greeter` (named "greeter workflow", so its type is `GreeterWorkflow`): input `Who`,
/// writes `<greeting>, <Who>` and sets output `Greeted`.
fn greeter(greeting: &str) -> Value {
    json!({
        "definitionId": "greeter", "name": "greeter workflow",
        "options": {"usableAsActivity": true},
        "inputs": [{"name": "Who", "type": "String"}],
        "outputs": [{"name": "Greeted", "type": "String"}],
        "root": sequence(json!([
            write_line("Say", js(&format!("`{greeting}, ${{getWho()}}`"))),
            {"id": "Out", "type": "Elsa.SetOutput", "outputName": literal("String", json!("Greeted")),
             "outputValue": js("getWho()")}
        ]))
    })
}

#[tokio::test]
async fn a_published_workflow_usable_as_an_activity_runs_inside_its_parent() {
    let (rt, lines) = runtime().await;
    rt.import_published(&greeter("Hello")).await.unwrap();
    rt.import_published(&json!({
        "definitionId": "parent",
        "variables": [{"id": "who-var", "name": "Greeted", "typeName": "String", "value": ""}],
        "root": sequence(json!([
            {"id": "Greet", "type": "GreeterWorkflow", "who": literal("String", json!("Ann")),
             "greeted": {"typeName": "String", "memoryReference": {"id": "who-var"}}},
            write_line("After", js("`greeted ${getVariable('Greeted')}`"))
        ]))
    }))
    .await
    .expect("the parent publishes: its activity type is a stored workflow");

    let done = rt
        .execute("parent", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(done.instance.status, WorkflowStatus::Finished);
    assert_eq!(*lines.lock().unwrap(), ["Hello, Ann", "greeted Ann"]);

    // A new published version of the child is what the (cached) parent version uses next.
    rt.import_published(&greeter("Goodbye")).await.unwrap();
    rt.execute("parent", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(
        lines.lock().unwrap()[2..],
        ["Goodbye, Ann", "greeted Ann"],
        "the parent loaded with the previous child version was dropped from the cache"
    );
}

#[tokio::test]
async fn a_workflow_that_is_not_usable_as_an_activity_is_not_resolved() {
    let (rt, _) = runtime().await;
    let mut hidden = greeter("Hello");
    hidden["options"] = json!({});
    rt.import_published(&hidden).await.unwrap();
    let parent = json!({
        "definitionId": "parent",
        "root": {"id": "Greet", "type": "GreeterWorkflow"}
    });
    assert!(rt.import_published(&parent).await.is_err());
}

/// A child that writes a line, waits for event `Go` when `wait` is set, then sets output
/// `Answer` = 42.
fn child(wait: bool) -> Value {
    let mut activities = vec![write_line("Hi", js("`child got ${getInput('Message')}`"))];
    if wait {
        activities.push(json!({"id": "Wait", "type": "Elsa.Event", "eventName": literal("String", json!("Go"))}));
    }
    activities.push(json!({"id": "Out", "type": "Elsa.SetOutput",
        "outputName": literal("String", json!("Answer")), "outputValue": literal("Object", json!(42))}));
    json!({"definitionId": "child", "root": sequence(Value::Array(activities))})
}

fn parent(activity_type: &str, wait_for_completion: bool) -> Value {
    json!({
        "definitionId": "parent",
        "root": sequence(json!([
            write_line("Before", literal("String", json!("parent before"))),
            {"id": "Run", "type": activity_type,
             "workflowDefinitionId": literal("String", json!("child")),
             "correlationId": literal("String", json!("corr-7")),
             "input": {"typeName": "ObjectDictionary",
                       "expression": {"type": "JavaScript", "value": "({ Message: 'hi' })"}},
             "waitForCompletion": literal("Boolean", json!(wait_for_completion)),
             "result": {"typeName": "Object", "memoryReference": {"id": "result-var"}}},
            write_line("After", js("`parent after: ${JSON.stringify(getVariable('ChildResult'))}`"))
        ])),
        "variables": [{"id": "result-var", "name": "ChildResult", "typeName": "Object", "value": null}]
    })
}

async fn child_instance(rt: &Runtime, parent_id: &str) -> elsa_model::WorkflowInstance {
    let (parent, _) = rt.instances().get(parent_id).await.unwrap().unwrap();
    let child_id = parent
        .workflow_state
        .bookmarks
        .iter()
        .find_map(|b| b.payload["childInstanceId"].as_str().map(str::to_owned))
        .expect("the parent waits for its child");
    rt.instances().get(&child_id).await.unwrap().unwrap().0
}

#[tokio::test]
async fn execute_workflow_runs_the_child_and_resumes_the_parent_with_its_result() {
    let (rt, lines) = runtime().await;
    rt.import_published(&child(false)).await.unwrap();
    rt.import_published(&parent("Elsa.ExecuteWorkflow", true))
        .await
        .unwrap();
    let done = rt
        .execute("parent", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(done.instance.status, WorkflowStatus::Finished);
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines[..2], ["parent before", "child got hi"]);
    let result: Value = serde_json::from_str(
        lines[2]
            .strip_prefix("parent after: ")
            .expect("the parent continued"),
    )
    .unwrap();
    assert_eq!(result["status"], "Finished");
    assert_eq!(result["output"], json!({"Answer": 42}));
    let child_id = result["workflowInstanceId"].as_str().unwrap();
    let (child, _) = rt.instances().get(child_id).await.unwrap().unwrap();
    assert_eq!(
        child.parent_workflow_instance_id.as_deref(),
        Some(done.instance.id.as_str())
    );
    assert_eq!(child.correlation_id.as_deref(), Some("corr-7"));
}

#[tokio::test]
async fn a_waiting_parent_resumes_when_its_suspended_child_finishes_later() {
    let (rt, lines) = runtime().await;
    rt.import_published(&child(true)).await.unwrap();
    rt.import_published(&parent("Elsa.ExecuteWorkflow", true))
        .await
        .unwrap();
    let started = rt
        .execute("parent", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(
        started.instance.workflow_state.sub_status,
        WorkflowSubStatus::Suspended
    );
    assert_eq!(*lines.lock().unwrap(), ["parent before", "child got hi"]);

    let child = child_instance(&rt, &started.instance.id).await;
    let bookmark_id = child.workflow_state.bookmarks[0].id.clone();
    let resumed = rt
        .resume(
            &child.id,
            ResumeRequest {
                bookmark_id,
                input: Map::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(resumed.instance.status, WorkflowStatus::Finished);
    let (parent, _) = rt
        .instances()
        .get(&started.instance.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        parent.status,
        WorkflowStatus::Finished,
        "resumed by the child"
    );
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[2].contains(r#""output":{"Answer":42}"#),
        "{}",
        lines[2]
    );
}

#[tokio::test]
async fn execute_without_waiting_resumes_the_parent_after_the_childs_first_run() {
    let (rt, lines) = runtime().await;
    rt.import_published(&child(true)).await.unwrap();
    rt.import_published(&parent("Elsa.ExecuteWorkflow", false))
        .await
        .unwrap();
    let done = rt
        .execute("parent", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(done.instance.status, WorkflowStatus::Finished);
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines[..2], ["parent before", "child got hi"]);
    assert!(
        lines[2].contains(r#""subStatus":"Suspended""#),
        "{}",
        lines[2]
    );
}

#[tokio::test]
async fn dispatch_without_waiting_starts_the_child_on_the_worker() {
    let (rt, lines) = runtime().await;
    rt.import_published(&child(false)).await.unwrap();
    rt.import_published(&parent("Elsa.DispatchWorkflow", false))
        .await
        .unwrap();
    let done = rt
        .execute("parent", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(done.instance.status, WorkflowStatus::Finished);
    assert_eq!(
        *lines.lock().unwrap(),
        ["parent before", "parent after: null"],
        "the child is queued, not run in the request"
    );
    let summaries = rt
        .instances()
        .list(&Default::default())
        .await
        .unwrap()
        .items;
    assert!(summaries.iter().all(|i| i.definition_id != "child"));

    let rt = Arc::new(rt);
    let stop = CancellationToken::new();
    let worker = tokio::spawn(rt.clone().run_worker(stop.clone()));
    let child = eventually(|| async {
        let summaries = rt.instances().list(&Default::default()).await.unwrap();
        summaries
            .items
            .into_iter()
            .find(|i| i.definition_id == "child" && i.status == WorkflowStatus::Finished)
    })
    .await;
    stop.cancel();
    worker.await.unwrap();
    assert_eq!(
        *lines.lock().unwrap(),
        ["parent before", "parent after: null", "child got hi"]
    );
    let (child, _) = rt.instances().get(&child.id).await.unwrap().unwrap();
    assert_eq!(
        child.parent_workflow_instance_id.as_deref(),
        Some(done.instance.id.as_str())
    );
}

#[tokio::test]
async fn a_workflow_that_starts_itself_forever_stops_at_the_follow_up_limit() {
    let (rt, _) = runtime().await;
    rt.import_published(&json!({
        "definitionId": "again",
        "root": {"id": "Run", "type": "Elsa.ExecuteWorkflow",
                 "workflowDefinitionId": literal("String", json!("again")),
                 "waitForCompletion": literal("Boolean", json!(true))}
    }))
    .await
    .unwrap();
    let error = rt
        .execute("again", ExecuteRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, elsa_runtime::RuntimeError::FollowUpLimit(_)),
        "{error}"
    );
}

#[tokio::test]
async fn a_cached_parent_stops_using_a_child_that_is_no_longer_usable_as_an_activity() {
    let (rt, lines) = runtime().await;
    rt.import_published(&greeter("Hello")).await.unwrap();
    rt.import_published(&json!({
        "definitionId": "parent",
        "root": {"id": "Greet", "type": "GreeterWorkflow", "who": literal("String", json!("Bo"))}
    }))
    .await
    .unwrap();
    rt.execute("parent", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(*lines.lock().unwrap(), ["Hello, Bo"]);

    let mut hidden = greeter("Hello");
    hidden["options"] = json!({});
    rt.import_published(&hidden).await.unwrap();
    let error = rt
        .execute("parent", ExecuteRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, elsa_runtime::RuntimeError::InvalidWorkflow { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_child_knows_its_parent_and_stays_in_its_conversation() {
    let (rt, _) = runtime().await;
    rt.import_published(&child(true)).await.unwrap();
    let mut parent = parent("Elsa.ExecuteWorkflow", true);
    // No correlation id of its own: the child takes the parent's.
    parent["root"]["activities"][1]
        .as_object_mut()
        .unwrap()
        .remove("correlationId");
    rt.import_published(&parent).await.unwrap();
    let started = rt
        .execute(
            "parent",
            ExecuteRequest {
                correlation_id: Some("conversation-1".into()),
                ..ExecuteRequest::default()
            },
        )
        .await
        .unwrap();
    let child = child_instance(&rt, &started.instance.id).await;
    assert_eq!(child.correlation_id.as_deref(), Some("conversation-1"));
    let expected_properties =
        json!({"ParentInstanceId": started.instance.id, "WaitForCompletion": true});
    assert_eq!(
        Value::Object(child.workflow_state.properties.clone()),
        expected_properties
    );

    // The properties outlive a resumption of the child.
    let bookmark_id = child.workflow_state.bookmarks[0].id.clone();
    let resumed = rt
        .resume(
            &child.id,
            ResumeRequest {
                bookmark_id,
                input: Map::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(resumed.instance.status, WorkflowStatus::Finished);
    assert_eq!(
        Value::Object(resumed.instance.workflow_state.properties.clone()),
        expected_properties
    );
}
