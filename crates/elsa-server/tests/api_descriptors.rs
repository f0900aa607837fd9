//! Descriptors, features, package version and JavaScript type definitions through the real
//! server (elsa-api.md §2.2): every call Studio's designer makes answers 200 with its shape.

mod common;

use common::{API_KEY, Server, json as body_of};
use serde_json::{Value, json};

fn start(dir: &std::path::Path) -> Server {
    Server::start(dir, &[("Elsa__Identity__ApiKey", API_KEY)])
}

#[tokio::test]
async fn descriptor_lists_have_elsas_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;

    let expressions: Value =
        body_of(server.get("/elsa/api/descriptors/expression-descriptors")).await;
    let js = expressions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["type"] == "JavaScript")
        .unwrap();
    assert_eq!(
        js,
        &json!({"type": "JavaScript", "displayName": "JavaScript", "isSerializable": true,
                "isBrowsable": true, "properties": {"MonacoLanguage": "javascript"}})
    );
    assert_eq!(
        expressions["count"],
        expressions["items"].as_array().unwrap().len()
    );

    let variables: Value = body_of(server.get("/elsa/api/descriptors/variables")).await;
    assert!(variables.get("count").is_none());
    assert!(variables["items"].as_array().unwrap().iter().any(|v| v
        == &json!({"typeName": "String", "displayName": "String", "category": "Primitives", "description": ""})));

    let drivers: Value = body_of(server.get("/elsa/api/descriptors/storage-drivers")).await;
    let priorities: Vec<i64> = drivers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["priority"].as_i64().unwrap())
        .collect();
    assert_eq!(priorities, [5, 0, -1]);
    assert_eq!(
        drivers["items"][0]["typeName"],
        "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core"
    );

    let activation: Value =
        body_of(server.get("/elsa/api/descriptors/workflow-activation-strategies")).await;
    let names: Vec<&str> = activation["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Always", "Correlated singleton", "Correlation", "Singleton"]
    );
    let incidents: Value = body_of(server.get("/elsa/api/descriptors/incident-strategies")).await;
    assert!(
        incidents["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["typeName"] == "FaultStrategy")
    );
    let logs: Value = body_of(server.get("/elsa/api/descriptors/log-persistence-strategies")).await;
    assert_eq!(logs["count"], 4);
    for path in ["workflows", "activities"] {
        let commit: Value =
            body_of(server.get(&format!("/elsa/api/descriptors/commit-strategies/{path}"))).await;
        assert_eq!(commit, json!({"items": [], "count": 0}));
    }
    let converters: Value =
        body_of(server.get(
            "/elsa/api/descriptors/output-converters?sourceType=String&destinationType=Object",
        ))
        .await;
    assert_eq!(converters, json!({"items": [], "count": 0}));
    let resp = server
        .get("/elsa/api/descriptors/output-converters?sourceType=String")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    // Features: the list, one by name, and 404 for what is absent (Studio's switch).
    let features: Value = body_of(server.get("/elsa/api/features/installed")).await;
    assert_eq!(
        features["count"],
        features["items"].as_array().unwrap().len()
    );
    let js: Value = body_of(server.get("/elsa/api/features/installed/Elsa.JavaScript")).await;
    assert_eq!(js["fullName"], "Elsa.JavaScript");
    assert_eq!(js["namespace"], "Elsa");
    for absent in ["Elsa.Resilience", "Elsa.RealTimeWorkflowUpdates"] {
        let resp = server
            .get(&format!("/elsa/api/features/installed/{absent}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{absent}");
    }

    // Anonymous.
    let version: Value = reqwest::get(server.url("/elsa/api/package/version"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(version, json!({"packageVersion": "3.8.0"}));

    // Every route of this family is in the OpenAPI document.
    let doc: Value = reqwest::get(server.url("/elsa/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/elsa/api/descriptors/expression-descriptors",
        "/elsa/api/features/installed/{full_name}",
        "/elsa/api/package/version",
        "/elsa/api/bookmarks/resume",
        "/elsa/api/events/trigger",
        "/elsa/api/activity-executions/report",
        "/elsa/api/workflow-instances/{id}/journal",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from openapi.json"
        );
    }
    // Operation ids are unique (the fuzzer and client generators key on them).
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId").and_then(Value::as_str))
        .collect();
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total, "duplicate operationIds in openapi.json");
}

#[tokio::test]
async fn javascript_type_definitions_declare_globals_variables_and_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    let saved: Value = body_of(server.post("/elsa/api/workflow-definitions").json(&json!({
        "model": {
            "name": "Typed",
            "variables": [{"id": "v1", "name": "Counter", "typeName": "Int32", "value": "0"}],
            "inputs": [{"name": "OrderId", "type": "String", "displayName": "Order ID"}],
            "root": {"id": "Flowchart1", "type": "Elsa.Flowchart", "activities": [], "connections": []}
        }
    })))
    .await;
    let definition_id = saved["workflowDefinition"]["definitionId"]
        .as_str()
        .unwrap();
    let resp = server
        .post(&format!(
            "/elsa/api/scripting/javascript/type-definitions/{definition_id}"
        ))
        .json(&json!({"activityTypeName": "Elsa.WriteLine", "propertyName": "Text"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-typescript");
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("declare function getCounter(): number;"),
        "{text}"
    );
    assert!(text.contains("declare function setCounter(value: number): void;"));
    assert!(text.contains("declare function getOrderId(): string;"));
    assert!(text.contains("declare function getWorkflowInstanceId(): string;"));

    let resp = server
        .post("/elsa/api/scripting/javascript/type-definitions/nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}
