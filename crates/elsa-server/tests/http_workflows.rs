//! Publish validation and HTTP workflows against the real binary (SQLite default).

mod common;

use common::{API_KEY, Server, json as body_of};
use serde_json::{Value, json};

fn start(dir: &std::path::Path, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![("Elsa__Identity__ApiKey", API_KEY)];
    env.extend_from_slice(extra);
    Server::start(dir, &env)
}

/// A flowchart started by `GET /workflows/<path>` that answers `text`.
fn hello(definition_id: &str, path: &str, text: &str) -> Value {
    json!({"publish": true, "model": {
        "definitionId": definition_id, "name": definition_id,
        "root": {"type": "Elsa.Flowchart", "id": "Flowchart1",
            "activities": [
                {"id": "Http", "type": "Elsa.HttpEndpoint", "customProperties": {"canStartWorkflow": true},
                 "path": {"typeName": "String", "expression": {"type": "Literal", "value": path}},
                 "supportedMethods": {"typeName": "String[]", "expression": {"type": "Object", "value": "[\"GET\"]"}}},
                {"id": "Respond", "type": "Elsa.WriteHttpResponse",
                 "statusCode": {"typeName": "HttpStatusCode", "expression": {"type": "Literal", "value": "OK"}},
                 "content": {"typeName": "Object", "expression": {"type": "JavaScript",
                     "value": format!("'{text} ' + getOutputFrom('Http', 'RouteData').name")}}}
            ],
            "connections": [{"source": {"activity": "Http", "port": "Done"}, "target": {"activity": "Respond", "port": "In"}}]}
    }})
}

fn cron(definition_id: &str, expression: &str) -> Value {
    json!({"publish": true, "model": {
        "definitionId": definition_id,
        "root": {"type": "Elsa.Flowchart", "id": "Flowchart1", "activities": [
            {"id": "Cron1", "type": "Elsa.Cron", "customProperties": {"canStartWorkflow": true},
             "cronExpression": {"typeName": "String", "expression": {"type": "Literal", "value": expression}}}
        ], "connections": []}
    }})
}

async fn save(server: &Server, body: &Value) -> reqwest::Response {
    server
        .post("/elsa/api/workflow-definitions")
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn http_workflows_answer_under_workflows_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    server.wait_ready().await;
    let saved = save(&server, &hello("greeter", "hello/{name}", "Hello")).await;
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["validationErrors"], json!([]));
    assert_eq!(saved["workflowDefinition"]["isPublished"], true);

    let response = reqwest::get(server.url("/workflows/hello/World"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(response.text().await.unwrap(), "Hello World");
    let missing = reqwest::get(server.url("/workflows/nothing-here"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let wrong_method = reqwest::Client::new()
        .delete(server.url("/workflows/hello/World"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 404);

    let instances: Value = body_of(server.get("/elsa/api/workflow-instances")).await;
    assert_eq!(instances["totalCount"], 1);
    assert_eq!(instances["items"][0]["status"], "Finished");
    assert_eq!(server.stop().code(), Some(0));

    // The route table is rebuilt from the store.
    let server = start(dir.path(), &[]);
    server.wait_ready().await;
    let response = reqwest::get(server.url("/workflows/hello/again"))
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "Hello again");
}

#[tokio::test]
async fn publish_validation_fails_with_the_messages_or_warns_when_lenient() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    server.wait_ready().await;
    let bad = save(&server, &cron("nightly", "0 0 25 * * *")).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(
        problem["errors"]["generalErrors"],
        json!([
            "Error when parsing cron expression: The given cron expression has an invalid format. Hours: Value must be a number between 0 and 23 (all inclusive)."
        ])
    );
    // The draft was kept; publishing it again fails the same way.
    let again = server
        .post("/elsa/api/workflow-definitions/nightly/publish")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);

    assert_eq!(
        save(&server, &hello("first", "taken", "A")).await.status(),
        200
    );
    let clash: Value = save(&server, &hello("second", "/Taken/", "B"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        clash["errors"]["generalErrors"],
        json!(["The /taken path and get method are already in use by another workflow!"])
    );
    drop(server);

    let dir = tempfile::tempdir().unwrap();
    let lenient = start(
        dir.path(),
        &[("Elsa__Management__FailOnValidationErrors", "false")],
    );
    lenient.wait_ready().await;
    let warned = save(&lenient, &cron("nightly", "BadCronExpression")).await;
    assert_eq!(warned.status(), 200);
    let warned: Value = warned.json().await.unwrap();
    assert_eq!(warned["workflowDefinition"]["isPublished"], true);
    assert_eq!(
        warned["validationErrors"],
        json!([{
            "message": "Error when parsing cron expression: The given cron expression has an invalid format. Seconds: Value must be a number between 0 and 59 (all inclusive).",
            "activityId": "Cron1"
        }])
    );
    // Two published workflows on one route: Elsa refuses to choose.
    save(&lenient, &hello("one", "shared", "one")).await;
    save(&lenient, &hello("two", "shared", "two")).await;
    let ambiguous = reqwest::get(lenient.url("/workflows/shared"))
        .await
        .unwrap();
    assert_eq!(ambiguous.status(), 500);
    let body: Value = ambiguous.json().await.unwrap();
    assert_eq!(
        body,
        json!({"errorMessage": "The call is ambiguous and matches multiple workflows.",
               "workflows": [{"workflowDefinitionId": "one"}, {"workflowDefinitionId": "two"}]})
    );
}
