//! Instances, journal, activity executions, events and bookmarks through the real server
//! (elsa-api.md §2.5–2.7): the calls Studio's instance list and viewer make, in order.

mod common;

use common::{API_KEY, Server, json as body_of};
use serde_json::{Value, json};

fn start(dir: &std::path::Path) -> Server {
    Server::start(dir, &[("Elsa__Identity__ApiKey", API_KEY)])
}

async fn problem(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status(), status);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = resp.json().await.unwrap();
    assert!(body["errors"]["generalErrors"][0].is_string(), "{body}");
    body
}

fn delete(server: &Server, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .delete(server.url(path))
        .header("Authorization", format!("ApiKey {API_KEY}"))
}

/// Publishes "Wait for Go": a persisted `Counter` variable, an `Elsa.Event` waiting for `Go`,
/// then a WriteLine of the counter and the event payload. Returns the definition id.
async fn publish_waiting_workflow(server: &Server) -> String {
    let saved: Value = body_of(server.post("/elsa/api/workflow-definitions").json(&json!({
        "model": {
            "name": "Wait for Go",
            "variables": [{"id": "counter", "name": "Counter", "typeName": "Int32", "value": "1",
                "storageDriverTypeName": "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core"}],
            "root": {"id": "Sequence1", "type": "Elsa.Sequence", "activities": [
                {"id": "Event1", "type": "Elsa.Event", "eventName": {"typeName": "String",
                    "expression": {"type": "Literal", "value": "Go"}}},
                {"id": "WriteLine1", "type": "Elsa.WriteLine", "text": {"typeName": "String",
                    "expression": {"type": "JavaScript",
                        "value": "'n=' + variables.Counter + ' x=' + JSON.stringify(getInput('__EventPayloadWorkflowInput'))"}}}
            ]}
        },
        "publish": true
    })))
    .await;
    assert_eq!(saved["workflowDefinition"]["isPublished"], true, "{saved}");
    saved["workflowDefinition"]["definitionId"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn execute(server: &Server, definition_id: &str) -> String {
    let resp = server
        .post(&format!(
            "/elsa/api/workflow-definitions/{definition_id}/execute"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.headers()["x-elsa-workflow-instance-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn studio_instance_list_and_viewer_calls_answer_with_elsas_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let definition_id = publish_waiting_workflow(&server).await;
    let a = execute(&server, &definition_id).await;
    let b = execute(&server, &definition_id).await;

    // Instance list: Studio's body, with a timestamp filter.
    let list: Value = body_of(server.post("/elsa/api/workflow-instances").json(&json!({
        "page": 0, "pageSize": 10, "searchTerm": "", "definitionIds": [definition_id], "isSystem": false,
        "statuses": ["Running"], "subStatuses": [], "orderDirection": "Descending",
        "timestampFilters": [{"column": "CreatedAt", "operator": "GreaterThanOrEqual",
            "timestamp": "2000-01-01T00:00:00+00:00"}],
        "correlationId": null, "name": null
    })))
    .await;
    assert_eq!(list["totalCount"], 2, "{list}");
    assert_eq!(list["items"][0]["subStatus"], "Suspended");
    let none: Value = body_of(server.post("/elsa/api/workflow-instances").json(&json!({
        "timestampFilters": [{"column": "CreatedAt", "operator": "LessThan", "timestamp": "2000-01-01T00:00:00Z"}]
    })))
    .await;
    assert_eq!(none["totalCount"], 0);
    let system: Value = body_of(
        server
            .post("/elsa/api/workflow-instances")
            .json(&json!({"isSystem": true})),
    )
    .await;
    assert_eq!(system["totalCount"], 0);
    for bad in [
        json!({"timestampFilters": [{"column": "Nope", "operator": "Is", "timestamp": "2000-01-01T00:00:00Z"}]}),
        json!({"timestampFilters": [{"column": "CreatedAt", "operator": "Around", "timestamp": "2000-01-01T00:00:00Z"}]}),
        json!({"timestampFilters": [{"column": "CreatedAt", "operator": "Is", "timestamp": "yesterday"}]}),
    ] {
        problem(
            server
                .post("/elsa/api/workflow-instances")
                .json(&bad)
                .send()
                .await
                .unwrap(),
            400,
        )
        .await;
    }

    // Viewer: instance, execution state, variables.
    let instance: Value = body_of(server.get(&format!("/elsa/api/workflow-instances/{a}"))).await;
    assert_eq!(instance["workflowState"]["subStatus"], "Suspended");
    let state: Value =
        body_of(server.get(&format!("/elsa/api/workflow-instances/{a}/execution-state"))).await;
    assert_eq!(state["status"], "Running");
    assert_eq!(state["subStatus"], "Suspended");
    assert!(state["updatedAt"].is_string());
    let vars: Value =
        body_of(server.get(&format!("/elsa/api/workflow-instances/{a}/variables"))).await;
    assert_eq!(
        vars,
        json!({"items": [{"id": "counter", "name": "Counter", "value": 1}], "count": 1})
    );
    let vars: Value = body_of(
        server
            .post(&format!("/elsa/api/workflow-instances/{a}/variables"))
            .json(&json!({"Variables": [{"id": "counter", "value": 5}]})),
    )
    .await;
    assert_eq!(vars["items"][0]["value"], 5);

    // Journal as Studio asks for it: filtered, paged with skip/take.
    let journal: Value = body_of(
        server
            .post(&format!(
                "/elsa/api/workflow-instances/{a}/journal?skip=0&take=50"
            ))
            .json(
                &json!({"filter": {"activityIds": null, "activityNodeIds": null,
                "excludedActivityTypes": ["Elsa.Workflow", "Elsa.Sequence"], "eventNames": null}}),
            ),
    )
    .await;
    let items = journal["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{journal}");
    assert_eq!(journal["totalCount"], items.len());
    for record in items {
        assert_eq!(record["activityType"], "Elsa.Event", "{record}");
        assert!(record["nodeId"].as_str().unwrap().ends_with("Event1"));
        assert!(record["sequence"].is_number() && record["timestamp"].is_string());
    }
    let all: Value = body_of(server.get(&format!(
        "/elsa/api/workflow-instances/{a}/journal?page=0&pageSize=1"
    )))
    .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    assert!(all["totalCount"].as_i64().unwrap() > items.len() as i64);
    let last: Value =
        body_of(server.get(&format!("/elsa/api/workflow-instances/{a}/journal/Event1"))).await;
    assert_eq!(last["activityId"], "Event1");
    problem(
        server
            .get(&format!(
                "/elsa/api/workflow-instances/{a}/journal?skip=-1&take=5"
            ))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;

    // Node badges, then selecting the Event node.
    let report: Value = body_of(
        server
            .post("/elsa/api/activity-executions/report")
            .json(&json!({"workflowInstanceId": a, "activityNodeIds": null})),
    )
    .await;
    let stats = report["stats"].as_array().unwrap();
    let event = stats
        .iter()
        .find(|s| s["activityId"] == "Event1")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(event["startedCount"], 1);
    assert_eq!(event["uncompletedCount"], 1);
    assert_eq!(event["isBlocked"], true);
    assert_eq!(event["isFaulted"], false);
    let node = event["activityNodeId"].as_str().unwrap().to_owned();
    let query = format!("WorkflowInstanceId={a}&ActivityNodeId={}", urlencode(&node));
    let records: Value =
        body_of(server.get(&format!("/elsa/api/activity-executions/list?{query}"))).await;
    assert_eq!(records["count"], 1);
    let record = &records["items"][0];
    assert_eq!(record["status"], "Running");
    assert_eq!(record["hasBookmarks"], true);
    let summaries: Value = body_of(server.get(&format!(
        "/elsa/api/activity-execution-summaries/list?{query}"
    )))
    .await;
    assert_eq!(summaries["items"][0]["id"], record["id"]);
    assert!(summaries["items"][0].get("activityState").is_none());
    let record_id = record["id"].as_str().unwrap();
    let by_id: Value = body_of(server.get(&format!(
        "/elsa/api/activity-executions/by-id?id={record_id}"
    )))
    .await;
    assert_eq!(&by_id, record);
    let by_path: Value =
        body_of(server.get(&format!("/elsa/api/activity-executions/{record_id}"))).await;
    assert_eq!(&by_path, record);
    let stack: Value = body_of(server.get(&format!(
        "/elsa/api/activity-executions/{record_id}/call-stack"
    )))
    .await;
    assert_eq!(stack["activityExecutionId"], record_id);
    let types: Vec<&str> = stack["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["activityType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["Elsa.Workflow", "Elsa.Sequence", "Elsa.Event"],
        "{stack}"
    );
    assert_eq!(stack["totalCount"], 3);
    assert_eq!(stack["items"][2]["id"], record_id);
    let page: Value = body_of(server.get(&format!(
        "/elsa/api/activity-executions/{record_id}/call-stack?skip=1&take=1"
    )))
    .await;
    assert_eq!(page["items"][0]["activityType"], "Elsa.Sequence");
    assert_eq!(
        (page["skip"].as_i64(), page["take"].as_i64()),
        (Some(1), Some(1))
    );
    let count: Value = body_of(server.get(&format!(
        "/elsa/api/activity-executions/count?workflowInstanceId={a}&activityId=Event1&completed=false"
    )))
    .await;
    assert_eq!(count, json!({"count": 1}));
    assert_eq!(
        server
            .get("/elsa/api/activity-executions/by-id?id=nope")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    problem(
        server
            .get("/elsa/api/activity-executions/list?completed=maybe")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    problem(
        server
            .post("/elsa/api/activity-executions/report")
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;

    // The event resumes only instance a, with its payload.
    let resp = server
        .post("/elsa/api/events/Go/trigger")
        .json(&json!({"workflowInstanceId": a, "input": {"x": 1}, "workflowExecutionMode": "Synchronous"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        server.output().contains("n=5 x={\"x\":1}"),
        "{}",
        server.output()
    );
    let state: Value =
        body_of(server.get(&format!("/elsa/api/workflow-instances/{a}/execution-state"))).await;
    assert_eq!(state["subStatus"], "Finished");
    let state: Value =
        body_of(server.get(&format!("/elsa/api/workflow-instances/{b}/execution-state"))).await;
    assert_eq!(state["subStatus"], "Suspended");

    // Cancel b; cancelling again or in bulk changes nothing more.
    let resp = server
        .post(&format!("/elsa/api/cancel/workflow-instances/{b}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cancelled: Value = body_of(server.get(&format!("/elsa/api/workflow-instances/{b}"))).await;
    assert_eq!(cancelled["subStatus"], "Cancelled");
    let bulk: Value = body_of(
        server
            .post("/elsa/api/bulk-actions/cancel/workflow-instances")
            .json(&json!({"definitionId": definition_id, "versionOptions": "Published"})),
    )
    .await;
    assert_eq!(bulk, json!({"cancelled": 0}));
    assert_eq!(
        server
            .post("/elsa/api/cancel/workflow-instances/nope")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // Bulk cancel by definition cancels what still runs.
    let c = execute(&server, &definition_id).await;
    let bulk: Value = body_of(
        server
            .post("/elsa/api/bulk-actions/cancel/workflow-instances")
            .json(&json!({"definitionId": definition_id})),
    )
    .await;
    assert_eq!(bulk, json!({"cancelled": 1}));

    // Deletes take the journal and records along.
    let deleted: Value = body_of(
        server
            .post("/elsa/api/bulk-actions/delete/workflow-instances/by-id")
            .json(&json!({"ids": [a, "nope"]})),
    )
    .await;
    assert_eq!(deleted, json!({"deleted": 1}));
    assert_eq!(
        server
            .get(&format!("/elsa/api/workflow-instances/{a}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let journal: Value =
        body_of(server.get(&format!("/elsa/api/workflow-instances/{a}/journal"))).await;
    assert_eq!(journal["totalCount"], 0);
    assert_eq!(
        delete(&server, &format!("/elsa/api/workflow-instances/{b}"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        delete(&server, &format!("/elsa/api/workflow-instances/{b}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let deleted: Value = body_of(
        server
            .post("/elsa/api/bulk-actions/delete/workflow-instances")
            .json(&json!({"workflowDefinitionId": definition_id})),
    )
    .await;
    assert_eq!(deleted, json!({"deleted": 1}));
    assert_eq!(
        server
            .get(&format!("/elsa/api/workflow-instances/{c}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn tokens_are_checked_without_an_api_key() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let anonymous = reqwest::Client::new();
    for (method, path) in [
        (
            reqwest::Method::GET,
            "/elsa/api/bookmarks/resume?t=forged.token",
        ),
        (
            reqwest::Method::POST,
            "/elsa/api/bookmarks/resume?t=forged.token",
        ),
        (reqwest::Method::GET, "/elsa/api/bookmarks/resume"),
        (
            reqwest::Method::GET,
            "/elsa/api/events/trigger?t=forged.token",
        ),
    ] {
        let resp = anonymous
            .request(method, server.url(path))
            .send()
            .await
            .unwrap();
        problem(resp, 400).await;
    }
    let resp = anonymous
        .get(server.url("/elsa/api/bookmarks/resume?t=x.y&in=not-json"))
        .send()
        .await
        .unwrap();
    problem(resp, 400).await;
    // The authenticated event route still wants the key.
    let resp = anonymous
        .post(server.url("/elsa/api/events/Go/trigger"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    problem(
        server
            .post("/elsa/api/events/Go/trigger")
            .json(&json!({"workflowExecutionMode": "Sometimes"}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
}

/// A multipart body with one `files` part.
fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "elsa-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn instances_export_and_import_with_their_journal() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let definition_id = publish_waiting_workflow(&server).await;
    let a = execute(&server, &definition_id).await;
    let b = execute(&server, &definition_id).await;
    let journal_of = |id: String| {
        let request = server.get(&format!("/elsa/api/workflow-instances/{id}/journal"));
        async move { body_of(request).await["totalCount"].as_i64().unwrap() }
    };
    let journal_a = journal_of(a.clone()).await;
    assert!(journal_a > 0);

    // One instance: a JSON file named after it.
    let resp = server
        .get(&format!("/elsa/api/workflow-instances/{a}/export?includeWorkflowExecutionLog=true&includeBookmarks=True"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-disposition"],
        format!("attachment; filename=\"workflow-instance-{a}.json\"").as_str()
    );
    let file: Value = resp.json().await.unwrap();
    assert_eq!(file["WorkflowState"]["id"], a.as_str());
    assert_eq!(
        file["WorkflowExecutionLogRecords"]
            .as_array()
            .unwrap()
            .len() as i64,
        journal_a
    );
    assert_eq!(file["Bookmarks"].as_array().unwrap().len(), 1);
    assert!(file.get("ActivityExecutionRecords").is_none());

    // Several: a zip; none found: 204.
    let resp = server
        .post("/elsa/api/bulk-actions/export/workflow-instances")
        .json(&json!({"ids": [a, b], "includeWorkflowExecutionLog": true, "includeActivityExecutionLog": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let zip = resp.bytes().await.unwrap();
    assert!(zip.starts_with(b"PK"));
    let resp = server
        .post("/elsa/api/bulk-actions/export/workflow-instances")
        .json(&json!({"ids": ["nope", "nada"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);

    // Delete both, import the zip: they are back, journal included, and still resumable.
    let deleted: Value = body_of(
        server
            .post("/elsa/api/bulk-actions/delete/workflow-instances")
            .json(&json!({"ids": [a, b]})),
    )
    .await;
    assert_eq!(deleted["deleted"], 2);
    let (content_type, body) = multipart("workflow-instances.zip", &zip);
    let imported: Value = body_of(
        server
            .post("/elsa/api/bulk-actions/import/workflow-instances")
            .header("Content-Type", content_type)
            .body(body),
    )
    .await;
    assert_eq!(imported, json!({"count": 2}));
    assert_eq!(journal_of(a.clone()).await, journal_a);
    let report: Value = body_of(
        server
            .post("/elsa/api/activity-executions/report")
            .json(&json!({"workflowInstanceId": b})),
    )
    .await;
    assert!(!report["stats"].as_array().unwrap().is_empty());
    // Elsa's default delivery is asynchronous: the worker resumes b shortly after the 200.
    let resp = server
        .post("/elsa/api/events/Go/trigger")
        .json(&json!({"workflowInstanceId": b}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    common::eventually(10, "the imported instance's resumption", || async {
        let state: Value =
            body_of(server.get(&format!("/elsa/api/workflow-instances/{b}/execution-state"))).await;
        (state["subStatus"] == "Finished").then_some(())
    })
    .await;

    // Re-importing an existing instance replaces its state; a bad file is a 400.
    let (content_type, body) = multipart("a.json", &serde_json::to_vec(&file).unwrap());
    let imported: Value = body_of(
        server
            .post("/elsa/api/bulk-actions/import/workflow-instances")
            .header("Content-Type", content_type)
            .body(body),
    )
    .await;
    assert_eq!(imported["count"], 1);
    let resp = server
        .post("/elsa/api/bulk-actions/import/workflow-instances")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(resp, 400).await;
    let (content_type, body) = multipart("bad.json", b"{\"nope\": 1}");
    let resp = server
        .post("/elsa/api/bulk-actions/import/workflow-instances")
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    problem(resp, 400).await;
}
