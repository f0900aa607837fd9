//! The runtime's routes and effects over HTTP, on the SQLite default: the work queue listing,
//! task completion, `Elsa.Log` entries in the server log, and the installed features.

mod common;

use common::{API_KEY, Server, eventually, json as body_of};
use serde_json::{Value, json};

fn start(dir: &std::path::Path) -> Server {
    Server::start(dir, &[("Elsa__Identity__ApiKey", API_KEY)])
}

fn literal(type_name: &str, value: Value) -> Value {
    json!({"typeName": type_name, "expression": {"type": "Literal", "value": value}})
}

async fn run_inline(server: &Server, activities: Value) -> Value {
    body_of(
        server
            .post("/elsa/api/workflow-definitions/execute")
            .json(&json!({"workflow": {"activities": activities}})),
    )
    .await
}

#[tokio::test]
async fn the_work_queue_is_listed_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let body = run_inline(
        &server,
        json!([{"id": "Wait", "type": "Elsa.Delay", "timeSpan": literal("TimeSpan", json!("01:00:00"))}]),
    )
    .await;
    let instance_id = body["workflowState"]["id"].as_str().unwrap();

    let all: Value = body_of(server.get("/elsa/api/work-items")).await;
    assert_eq!(all["totalCount"], 1, "{all}");
    let item = &all["items"][0];
    assert_eq!(item["kind"], "Resume");
    assert_eq!(item["status"], "Pending");
    assert_eq!(item["workflowInstanceId"], instance_id);
    assert_eq!(item["attempts"], 0);
    assert!(item["dueAt"].as_str().unwrap() > item["createdAt"].as_str().unwrap());

    for (query, count) in [
        ("?kind=Resume", 1),
        ("?kind=Start", 0),
        ("?status=pending", 1),
        ("?status=DeadLettered", 0),
        (
            &format!("?workflowInstanceId={instance_id}&page=0&pageSize=10"),
            1,
        ),
    ] {
        let page: Value = body_of(server.get(&format!("/elsa/api/work-items{query}"))).await;
        assert_eq!(page["totalCount"], count, "{query}: {page}");
    }
    let bad = server
        .get("/elsa/api/work-items?status=Later")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let problem: Value = bad.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("status"),
        "{problem}"
    );
    let anonymous = reqwest::get(server.url("/elsa/api/work-items"))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_task_is_completed_over_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let body = run_inline(
        &server,
        json!([
            {"id": "Task", "name": "Task", "type": "Elsa.RunTask", "taskName": literal("String", json!("Approve"))},
            {"id": "Done", "type": "Elsa.WriteLine", "text": {"typeName": "String",
             "expression": {"type": "JavaScript", "value": "'task result ' + JSON.stringify(getResultFromTask())"}}}
        ]),
    )
    .await;
    let state = &body["workflowState"];
    assert_eq!(state["subStatus"], "Suspended");
    let id = state["id"].as_str().unwrap().to_owned();
    let task_id = state["bookmarks"][0]["payload"]["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    server.wait_for_log("Task 'Approve' requested");

    // An unknown task is no error (as Elsa).
    let unknown = server
        .post("/elsa/api/tasks/nope/complete")
        .json(&json!({"result": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 200);
    let done = server
        .post(&format!("/elsa/api/tasks/{task_id}/complete"))
        .json(&json!({"result": {"approved": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    eventually(10, "the task's resumption", || async {
        let instance: Value =
            body_of(server.get(&format!("/elsa/api/workflow-instances/{id}"))).await;
        (instance["subStatus"] == "Finished").then_some(())
    })
    .await;
    server.wait_for_output(r#"task result {"approved":true}"#);
}

#[tokio::test]
async fn log_entries_reach_the_server_log_and_features_name_what_works() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let body = run_inline(
        &server,
        json!([{"id": "Log", "type": "Elsa.Log", "message": literal("String", json!("a note from a workflow")),
                "level": literal("String", json!("Warning"))}]),
    )
    .await;
    assert_eq!(body["workflowState"]["subStatus"], "Finished");
    let log = server.wait_for_log("a note from a workflow");
    assert!(
        log.lines()
            .any(|l| l.contains("a note from a workflow") && l.contains("WARN"))
    );

    let features: Value = body_of(server.get("/elsa/api/features/installed")).await;
    let names: Vec<&str> = features["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fullName"].as_str().unwrap())
        .collect();
    for name in ["Elsa.WorkflowRuntime", "Elsa.Http", "Elsa.Scheduling"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
}
