//! The API slice against the real binary on its SQLite default.

mod common;

use common::{API_KEY, GUIDE_EXECUTE_BODY, Server, json as body_of};
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
    assert_eq!(body["status"], status);
    assert!(body["errors"]["generalErrors"][0].is_string(), "{body}");
    body
}

#[tokio::test]
async fn sqlite_default_serves_the_guide_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    assert!(
        dir.path().join("data/elsa.db").exists(),
        "SQLite lives under ./data"
    );
    assert!(
        server
            .log()
            .contains("Using Sqlite provider for Management (Data Source=")
    );

    let live = reqwest::get(server.url("/health/live")).await.unwrap();
    assert_eq!(live.status(), 200);

    let resp = server.execute_guide_request().await;
    assert_eq!(resp.status(), 200);
    let id = resp.headers()["x-elsa-workflow-instance-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(resp.headers()["x-elsa-workflow-cannot-start"], "False");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["workflowState"]["id"], id);
    assert_eq!(body["workflowState"]["status"], "Finished");
    assert_eq!(body["workflowState"]["subStatus"], "Finished");
    server.wait_for_output("Hello from Kubernetes!");

    let instance: Value = body_of(server.get(&format!("/elsa/api/workflow-instances/{id}"))).await;
    assert_eq!(instance["status"], "Finished");
    assert_eq!(instance["workflowState"]["subStatus"], "Finished");
    assert_eq!(server.stop().code(), Some(0), "SIGTERM drains and exits 0");
}

fn flowchart(condition: &str) -> Value {
    json!({
        "type": "Elsa.Flowchart", "id": "Flowchart1",
        "activities": [
            {"id": "Start1", "type": "Elsa.Start", "version": 1},
            {"id": "Decide", "type": "Elsa.FlowDecision", "version": 1,
             "condition": {"typeName": "Boolean", "expression": {"type": "JavaScript", "value": condition}}},
            {"id": "Yes", "type": "Elsa.WriteLine", "version": 1,
             "text": {"typeName": "String", "expression": {"type": "Literal", "value": "took yes"}}},
            {"id": "No", "type": "Elsa.WriteLine", "version": 1,
             "text": {"typeName": "String", "expression": {"type": "Literal", "value": "took no"}}}
        ],
        "connections": [
            {"source": {"activity": "Start1", "port": "Done"}, "target": {"activity": "Decide", "port": "In"}},
            {"source": {"activity": "Decide", "port": "True"}, "target": {"activity": "Yes", "port": "In"}},
            {"source": {"activity": "Decide", "port": "False"}, "target": {"activity": "No", "port": "In"}}
        ]
    })
}

#[tokio::test]
async fn definitions_save_publish_list_execute() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;

    // PascalCase keys bind like camelCase ones.
    let saved: Value = body_of(server.post("/elsa/api/workflow-definitions").json(
        &json!({"Model": {"Name": "Decide", "root": flowchart("1 + 1 == 2")}, "publish": false}),
    ))
    .await;
    let def = &saved["workflowDefinition"];
    let definition_id = def["definitionId"].as_str().unwrap().to_string();
    assert_eq!(def["name"], "Decide");
    assert_eq!(def["version"], 1);
    assert_eq!(def["isLatest"], true);
    assert_eq!(def["isPublished"], false);
    assert!(
        def["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "publish")
    );

    // Not published yet: execute's default (Published) finds nothing.
    let resp = server
        .post(&format!(
            "/elsa/api/workflow-definitions/{definition_id}/execute"
        ))
        .send()
        .await
        .unwrap();
    problem(resp, 404).await;

    let published: Value = body_of(
        server
            .post(&format!(
                "/elsa/api/workflow-definitions/{definition_id}/publish"
            ))
            .json(&json!({})),
    )
    .await;
    assert_eq!(published["workflowDefinition"]["isPublished"], true);
    assert_eq!(published["alreadyPublished"], false);

    // Saving over a published version starts version 2 as a draft.
    let v2: Value = body_of(server
        .post("/elsa/api/workflow-definitions")
        .json(&json!({"model": {"definitionId": definition_id, "name": "Decide", "root": flowchart("false")}}))).await;
    assert_eq!(v2["workflowDefinition"]["version"], 2);
    assert_eq!(v2["workflowDefinition"]["isPublished"], false);

    let list: Value = body_of(server.get(
        "/elsa/api/workflow-definitions?versionOptions=Latest&Page=0&PageSize=10&OrderBy=Name",
    ))
    .await;
    assert_eq!(list["totalCount"], 1);
    assert_eq!(list["items"][0]["version"], 2);
    assert!(
        list["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "bulk-publish")
    );

    let latest: Value = body_of(server.get(&format!(
        "/elsa/api/workflow-definitions/by-definition-id/{definition_id}?versionOptions=Published"
    )))
    .await;
    assert_eq!(latest["version"], 1);

    // Execute runs the published version 1: the true branch.
    let resp = server
        .post(&format!(
            "/elsa/api/workflow-definitions/{definition_id}/execute"
        ))
        .json(&json!({"correlationId": "order-42", "input": {"OrderId": 42}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["workflowState"]["subStatus"], "Finished");
    assert_eq!(body["workflowState"]["correlationId"], "order-42");
    assert_eq!(body["workflowState"]["input"]["OrderId"], 42);
    assert!(!server.wait_for_output("took yes").contains("took no"));

    // Studio's Run button asks for the latest version: the false branch.
    let resp = server
        .post(&format!(
            "/elsa/api/workflow-definitions/{definition_id}/execute"
        ))
        .json(&json!({"versionOptions": "Latest"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    server.wait_for_output("took no");

    let instances: Value = body_of(
        server
            .post("/elsa/api/workflow-instances")
            .json(&json!({"page": 0, "pageSize": 1, "definitionId": definition_id})),
    )
    .await;
    assert_eq!(instances["totalCount"], 2);
    assert_eq!(instances["items"].as_array().unwrap().len(), 1);
    assert_eq!(instances["items"][0]["version"], 2, "newest first");
}

#[tokio::test]
async fn bad_input_gets_a_4xx_problem_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let execute = |body: &'static str| {
        server
            .post("/elsa/api/workflow-definitions/execute")
            .header("Content-Type", "application/json")
            .body(body)
    };

    let malformed = problem(
        execute(r#"{"workflow": {"activities": [ "#)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(
        malformed["detail"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );

    let unknown = problem(
        execute(r#"{"workflow":{"activities":[{"id":"1","type":"Elsa.Teleport"}]}}"#)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(
        unknown["detail"]
            .as_str()
            .unwrap()
            .contains("Elsa.Teleport"),
        "{unknown}"
    );

    let bad_js = server
        .post("/elsa/api/workflow-definitions/execute")
        .json(&json!({"workflow": {"root": flowchart("1 +* 2")}}))
        .send()
        .await
        .unwrap();
    let bad_js = problem(bad_js, 400).await;
    assert!(
        bad_js["detail"].as_str().unwrap().contains("Decide"),
        "{bad_js}"
    );

    let missing = server
        .post("/elsa/api/workflow-definitions/no-such-definition/execute")
        .send()
        .await
        .unwrap();
    problem(missing, 404).await;
    let missing = server
        .get("/elsa/api/workflow-definitions/by-definition-id/no-such-definition")
        .send()
        .await
        .unwrap();
    problem(missing, 404).await;

    let no_key = reqwest::Client::new()
        .post(server.url("/elsa/api/workflow-definitions/execute"))
        .body(GUIDE_EXECUTE_BODY)
        .send()
        .await
        .unwrap();
    problem(no_key, 401).await;
    let wrong_key = reqwest::Client::new()
        .get(server.url("/elsa/api/workflow-definitions"))
        .header("Authorization", "ApiKey not-the-key")
        .send()
        .await
        .unwrap();
    problem(wrong_key, 401).await;
    let bad_query = server
        .get("/elsa/api/workflow-definitions?versionOptions=Newest")
        .send()
        .await
        .unwrap();
    problem(bad_query, 400).await;

    let ok = server.execute_guide_request().await;
    assert_eq!(ok.status(), 200, "still serving after bad input");
    assert!(!server.log().contains("panicked"));
}

#[tokio::test]
async fn a_generated_api_key_is_printed_once_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start(dir.path(), &[]);
    first.wait_ready().await;
    let log = first.wait_for_log("Application started");
    let key = log
        .split("Authorization: ApiKey ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the generated key is shown")
        .to_string();
    assert_eq!(
        log.matches(&key).count(),
        2,
        "shown in the two lines of the notice, nowhere else"
    );
    let resp = reqwest::Client::new()
        .get(first.url("/elsa/api/workflow-definitions"))
        .header("Authorization", format!("ApiKey {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    drop(first);

    let second = Server::start(dir.path(), &[]);
    second.wait_ready().await;
    second.wait_for_log("Application started");
    assert!(
        !second.log().contains("Generated API key"),
        "only the first start makes a key"
    );
    let resp = reqwest::Client::new()
        .get(second.url("/elsa/api/workflow-definitions"))
        .header("Authorization", format!("ApiKey {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn activity_descriptors_come_from_the_engine_registry() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let all = body_of(server.get("/elsa/api/descriptors/activities")).await;
    let items = all["items"].as_array().unwrap();
    assert_eq!(all["count"], items.len());
    for type_name in [
        "Elsa.WriteLine",
        "Elsa.Flowchart",
        "Elsa.FlowDecision",
        "Elsa.SetVariable",
    ] {
        assert!(
            items.iter().any(|d| d["typeName"] == type_name),
            "{type_name} missing"
        );
    }
    let one =
        body_of(server.get("/elsa/api/descriptors/activities/Elsa.WriteLine?version=1")).await;
    assert_eq!(one["inputs"][0]["name"], "Text");
    let missing = server
        .get("/elsa/api/descriptors/activities/Elsa.Teleport")
        .send()
        .await
        .unwrap();
    problem(missing, 404).await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_served_routes() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    // Anonymous, like Elsa's Swagger endpoints.
    let doc = body_of(reqwest::Client::new().get(server.url("/elsa/api/openapi.json"))).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/elsa/api/workflow-definitions",
        "/elsa/api/workflow-definitions/{definition_id}/execute",
        "/elsa/api/workflow-instances",
        "/elsa/api/descriptors/activities",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
    assert!(paths["/elsa/api/workflow-instances"]["post"].is_object());
    let swagger = reqwest::get(server.url("/elsa/api/swagger/"))
        .await
        .unwrap();
    assert_eq!(swagger.status(), 200);
    assert!(swagger.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn a_trailing_slash_reaches_the_same_route() {
    // Elsa declares bulk cancel with a trailing slash and Studio calls it without; both work.
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let client = reqwest::Client::new();
    for path in [
        "/elsa/api/bulk-actions/cancel/workflow-instances",
        "/elsa/api/bulk-actions/cancel/workflow-instances/",
    ] {
        let resp = client
            .post(server.url(path))
            .header("Authorization", format!("ApiKey {API_KEY}"))
            .json(&json!({"ids": ["nothing-here"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["cancelled"], 0, "{path}");
    }
    let list = client
        .get(server.url("/elsa/api/workflow-definitions/"))
        .header("Authorization", format!("ApiKey {API_KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
}

#[tokio::test]
async fn hostile_expressions_end_as_incidents_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let client = reqwest::Client::new();
    for script in [
        "while (true) {}",
        "const a = []; while (true) { a.push('x'.repeat(1000)); }",
        "function f(n) { return f(n + 1) + 1; } f(0)",
    ] {
        let body = json!({"workflow": {"root": {"type": "Elsa.Sequence", "activities": [{
            "id": "hostile", "type": "Elsa.WriteLine",
            "text": {"typeName": "String", "expression": {"type": "JavaScript", "value": script}}
        }]}}});
        let resp = client
            .post(server.url("/elsa/api/workflow-definitions/execute"))
            .header("Authorization", format!("ApiKey {API_KEY}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        // Elsa answers a faulted execution with 500 and the workflow state.
        assert_eq!(resp.status(), 500, "{script}");
        let state: Value = resp.json().await.unwrap();
        assert_eq!(state["workflowState"]["subStatus"], "Faulted", "{script}");
        assert_eq!(
            state["workflowState"]["incidents"][0]["activityId"], "hostile",
            "{script}"
        );
        let live = reqwest::get(server.url("/health/ready")).await.unwrap();
        assert_eq!(live.status(), 200, "the server still serves after {script}");
    }
}
