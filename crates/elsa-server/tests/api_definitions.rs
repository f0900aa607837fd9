//! The workflow-definitions REST family against the real binary: queries, versioning, bulk
//! actions, read-only definitions, import/export round trips, consumers and dispatch.

mod common;

use common::{API_KEY, Server, json as body_of, multipart};
use reqwest::RequestBuilder;
use serde_json::{Value, json};
use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

fn start(dir: &std::path::Path) -> Server {
    Server::start(dir, &[("Elsa__Identity__ApiKey", API_KEY)])
}

async fn started() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    server.wait_ready().await;
    (dir, server)
}

fn authed(builder: RequestBuilder) -> RequestBuilder {
    builder.header("Authorization", format!("ApiKey {API_KEY}"))
}

fn delete(server: &Server, path: &str) -> RequestBuilder {
    authed(reqwest::Client::new().delete(server.url(path)))
}

fn put(server: &Server, path: &str) -> RequestBuilder {
    authed(reqwest::Client::new().put(server.url(path)))
}

async fn status_of(request: RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

/// A problem body with the given status; returns its message.
async fn problem(request: RequestBuilder, status: u16) -> String {
    let resp = request.send().await.unwrap();
    assert_eq!(resp.status(), status);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = resp.json().await.unwrap();
    body["errors"]["generalErrors"][0]
        .as_str()
        .unwrap()
        .to_string()
}

fn says(text: &str) -> Value {
    json!({
        "type": "Elsa.Flowchart", "id": "Flow", "version": 1,
        "activities": [{"id": "Say", "type": "Elsa.WriteLine", "version": 1,
            "text": {"typeName": "String", "expression": {"type": "Literal", "value": text}}}],
        "connections": []
    })
}

async fn save(server: &Server, model: Value, publish: bool) -> Value {
    let saved = body_of(
        server
            .post("/elsa/api/workflow-definitions")
            .json(&json!({"model": model, "publish": publish})),
    )
    .await;
    saved["workflowDefinition"].clone()
}

fn rels(item: &Value) -> Vec<&str> {
    item["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn queries_and_versioning() {
    let (_dir, server) = started().await;
    // Studio's create call sends `"publish": null`; the server assigns node ids.
    let created: Value = body_of(
        server
            .post("/elsa/api/workflow-definitions")
            .json(&json!({"model": {"name": "Greeter", "root": says("one")}, "publish": null})),
    )
    .await;
    let v1 = &created["workflowDefinition"];
    let id = v1["definitionId"].as_str().unwrap().to_string();
    assert_eq!(v1["root"]["nodeId"], "Workflow1:Flow");
    assert_eq!(v1["root"]["activities"][0]["nodeId"], "Workflow1:Flow:Say");
    let v1_id = v1["id"].as_str().unwrap().to_string();
    let base = format!("/elsa/api/workflow-definitions/{id}");
    server
        .post(&format!("{base}/publish"))
        .send()
        .await
        .unwrap();
    let v2 = save(
        &server,
        json!({"definitionId": id, "name": "Greeter", "root": says("two")}),
        false,
    )
    .await;
    assert_eq!(v2["version"], 2);

    let versions: Value = body_of(server.get(&format!("{base}/versions"))).await;
    let listed: Vec<(i64, bool, bool)> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["isLatest"] == true,
                v["isPublished"] == true,
            )
        })
        .collect();
    assert_eq!(listed, [(2, true, false), (1, false, true)]);
    assert_eq!(versions[0]["materializerName"], "Json");
    assert_eq!(
        status_of(server.get("/elsa/api/workflow-definitions/nope/versions")).await,
        404
    );

    let by_id: Value =
        body_of(server.get(&format!("/elsa/api/workflow-definitions/by-id/{v1_id}"))).await;
    assert_eq!(
        (by_id["version"].clone(), by_id["isPublished"].clone()),
        (json!(1), json!(true))
    );
    assert!(rels(&by_id).contains(&"publish"));
    assert_eq!(
        status_of(server.get("/elsa/api/workflow-definitions/by-id/nope")).await,
        404
    );

    let many: Value = body_of(server.get(&format!(
        "/elsa/api/workflow-definitions/many-by-id?Ids={v1_id}&ids={}&ids=unknown",
        v2["id"].as_str().unwrap()
    )))
    .await;
    assert_eq!(many["count"], 2);
    assert!(many["items"][0]["links"].is_array());

    save(&server, json!({"name": "Other", "root": says("x")}), false).await;
    let listed: Value = body_of(
        server.get("/elsa/api/workflow-definitions?Materializer=Json&VersionOptions=Latest"),
    )
    .await;
    assert_eq!(listed["totalCount"], 2);
    let listed: Value =
        body_of(server.get("/elsa/api/workflow-definitions?materializer=CSharp")).await;
    assert_eq!(listed["totalCount"], 0);
    let count: Value = body_of(server.get("/elsa/api/workflow-definitions/query/count")).await;
    assert_eq!(count, json!({"count": 2}));

    let unique = |query: String| {
        body_of(server.get(&format!(
            "/elsa/api/workflow-definitions/validation/is-name-unique?{query}"
        )))
    };
    assert_eq!(
        unique("Name=%20Greeter%20".into()).await,
        json!({"isUnique": false})
    );
    assert_eq!(
        unique(format!("name=Greeter&DefinitionId={id}")).await,
        json!({"isUnique": true})
    );
    assert_eq!(unique("name=Fresh".into()).await, json!({"isUnique": true}));
    assert!(
        problem(
            server.get("/elsa/api/workflow-definitions/validation/is-name-unique"),
            400
        )
        .await
        .contains("'name'")
    );

    // Retract takes version 1 out of service; a second retract is refused.
    let retracted: Value = body_of(server.post(&format!("{base}/retract"))).await;
    assert_eq!(
        (
            retracted["version"].clone(),
            retracted["isPublished"].clone()
        ),
        (json!(1), json!(false))
    );
    assert!(
        problem(server.post(&format!("{base}/retract")), 400)
            .await
            .contains("not published")
    );
    assert_eq!(
        status_of(server.post("/elsa/api/workflow-definitions/nope/retract")).await,
        404
    );

    // Revert copies version 1 as version 3.
    let resp = server
        .post(&format!("{base}/revert/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/workflow-definitions/by-id/")
    );
    let reverted: Value = resp.json().await.unwrap();
    assert_eq!(
        (reverted["version"].clone(), reverted["isLatest"].clone()),
        (json!(3), json!(true))
    );
    assert!(
        problem(server.post(&format!("{base}/revert/abc")), 400)
            .await
            .contains("'version'")
    );
    assert_eq!(
        status_of(server.post(&format!("{base}/revert/9"))).await,
        404
    );

    // Deleting versions: by number (200), then by version id (204).
    assert_eq!(
        status_of(delete(&server, &format!("{base}/version/3"))).await,
        200
    );
    let latest: Value = body_of(server.get(&format!("{base}?versionOptions=Latest"))).await;
    assert_eq!(latest["version"], 2);
    assert_eq!(
        status_of(delete(
            &server,
            &format!("/elsa/api/workflow-definition-versions/{v1_id}")
        ))
        .await,
        204
    );
    assert_eq!(
        status_of(delete(
            &server,
            &format!("/elsa/api/workflow-definition-versions/{v1_id}")
        ))
        .await,
        404
    );

    // Bulk publish and retract report per definition.
    let bulk = |action: &str| {
        format!("/elsa/api/bulk-actions/{action}/workflow-definitions/by-definition-ids")
    };
    let published: Value = body_of(
        server
            .post(&bulk("publish"))
            .json(&json!({"DefinitionIds": [id, "missing"]})),
    )
    .await;
    assert_eq!(published["published"], json!([id]));
    assert_eq!(published["notFound"], json!(["missing"]));
    let again: Value = body_of(
        server
            .post(&bulk("publish"))
            .json(&json!({"definitionIds": [id]})),
    )
    .await;
    assert_eq!(again["alreadyPublished"], json!([id]));
    let retracted: Value = body_of(
        server
            .post(&bulk("retract"))
            .json(&json!({"definitionIds": [id, "missing"]})),
    )
    .await;
    assert_eq!(retracted["retracted"], json!([id]));
    assert_eq!(retracted["notFound"], json!(["missing"]));
    assert!(
        problem(server.post(&bulk("publish")).json(&json!({})), 400)
            .await
            .contains("definitionIds")
    );

    // Deleting the definition removes its instances too.
    server
        .post(&format!("{base}/publish"))
        .send()
        .await
        .unwrap();
    let run = server
        .post(&format!("{base}/execute"))
        .send()
        .await
        .unwrap();
    let instance_id = run.headers()["x-elsa-workflow-instance-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(status_of(delete(&server, &base)).await, 204);
    assert_eq!(status_of(server.get(&base)).await, 404);
    assert_eq!(
        status_of(server.get(&format!("/elsa/api/workflow-instances/{instance_id}"))).await,
        404
    );
    assert_eq!(status_of(delete(&server, &base)).await, 404);

    let other = save(&server, json!({"name": "Third", "root": says("x")}), false).await;
    let deleted: Value = body_of(
        server
            .post("/elsa/api/bulk-actions/delete/workflow-definitions/by-definition-id")
            .json(&json!({"definitionIds": [other["definitionId"], "missing"]})),
    )
    .await;
    assert_eq!(deleted, json!({"deleted": 1}));
    let last = save(&server, json!({"name": "Fourth", "root": says("x")}), false).await;
    let deleted: Value = body_of(
        server
            .post("/elsa/api/bulk-actions/delete/workflow-definitions/by-id")
            .json(&json!({"ids": [last["id"]]})),
    )
    .await;
    assert_eq!(deleted, json!({"deleted": 1}));
}

#[tokio::test]
async fn read_only_definitions_answer_403() {
    let (dir, server) = started().await;
    // Elsa's read-only definitions come from providers; write one straight into the database.
    let settings = elsa_store::DbSettings::Sqlite(elsa_store::SqliteSettings {
        filename: dir
            .path()
            .join("data/elsa.db")
            .to_string_lossy()
            .into_owned(),
        ..Default::default()
    });
    let db = elsa_store::Database::connect(&settings).await.unwrap();
    let definition: elsa_model::WorkflowDefinition = serde_json::from_value(json!({
        "id": "ro-v1", "definitionId": "ro", "name": "Locked", "createdAt": "2026-01-01T00:00:00+00:00",
        "version": 1, "isReadonly": true, "isLatest": true, "isPublished": true, "root": says("x")
    }))
    .unwrap();
    elsa_store::DefinitionStore::new(db.clone())
        .save(&[definition], &[])
        .await
        .unwrap();
    db.close().await;

    let base = "/elsa/api/workflow-definitions/ro";
    let item: Value = body_of(server.get(base)).await;
    assert!(
        !rels(&item).contains(&"publish"),
        "Studio reads a missing publish link as read-only"
    );
    for request in [
        server.post(&format!("{base}/publish")),
        server.post(&format!("{base}/retract")),
        server.post(&format!("{base}/revert/1")),
        delete(&server, base),
        delete(&server, "/elsa/api/workflow-definition-versions/ro-v1"),
        put(&server, &format!("{base}/import")).json(&json!({"root": says("y")})),
        server
            .post("/elsa/api/workflow-definitions")
            .json(&json!({"model": {"definitionId": "ro", "root": says("y")}})),
    ] {
        problem(request, 403).await;
    }
    let bulk: Value = body_of(
        server
            .post("/elsa/api/bulk-actions/delete/workflow-definitions/by-definition-id")
            .json(&json!({"definitionIds": ["ro"]})),
    )
    .await;
    assert_eq!(bulk, json!({"deleted": 0}));
    assert_eq!(status_of(server.get(base)).await, 200);
}

/// The definition ids of the JSON entries of a zip.
fn zip_definition_ids(bytes: &[u8]) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut ids = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        ids.push(json["definitionId"].as_str().unwrap().to_string());
    }
    ids.sort();
    ids
}

/// The "done when": a definition exported from one server imports into another and
/// runs there; exporting the import gives the same document.
#[tokio::test]
async fn export_then_import_round_trips_and_runs() {
    let (_dir, source) = started().await;
    let original = save(
        &source,
        json!({"definitionId": "round-trip", "name": "Round Trip", "description": "exported",
               "variables": [{"id": "v1", "name": "Count", "typeName": "Int32", "value": "1"}],
               "options": {"usableAsActivity": false}, "root": says("imported and ran")}),
        true,
    )
    .await;
    let resp = source
        .get("/elsa/api/workflow-definitions/round-trip/export?versionOptions=&includeConsumingWorkflows=False")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=workflow-definition-round-trip.json"),
        "{disposition}"
    );
    let exported = resp.text().await.unwrap();
    assert!(exported.trim_start().starts_with("{\n  \"$schema\": \"https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json\""));
    let exported: Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(exported["definitionId"], "round-trip");
    assert_eq!(exported["root"], original["root"]);
    assert_eq!(
        status_of(source.get("/elsa/api/workflow-definitions/nope/export")).await,
        404
    );
    // Elsa also answers POST, and documents both.
    assert_eq!(
        status_of(source.post("/elsa/api/workflow-definitions/round-trip/export")).await,
        200
    );
    let doc: Value = body_of(source.get("/elsa/api/openapi.json")).await;
    let export_path = &doc["paths"]["/elsa/api/workflow-definitions/{definition_id}/export"];
    assert!(export_path["get"].is_object() && export_path["post"].is_object());
    assert_eq!(
        status_of(source.get(
            "/elsa/api/workflow-definitions/round-trip/export?includeConsumingWorkflows=maybe"
        ))
        .await,
        400
    );

    let (_dir2, target) = started().await;
    let resp = target
        .post("/elsa/api/workflow-definitions/import")
        .json(&exported)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "a new definition");
    let imported: Value = resp.json().await.unwrap();
    assert_eq!(imported["definitionId"], "round-trip");
    assert_eq!(
        (
            imported["isPublished"].clone(),
            imported["isLatest"].clone()
        ),
        (json!(false), json!(true))
    );
    assert!(rels(&imported).contains(&"publish"));
    // Importing again updates the same draft: 200.
    let resp = target
        .post("/elsa/api/workflow-definitions/import")
        .json(&exported)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    target
        .post("/elsa/api/workflow-definitions/round-trip/publish")
        .send()
        .await
        .unwrap();
    let run = target
        .post("/elsa/api/workflow-definitions/round-trip/execute")
        .send()
        .await
        .unwrap();
    assert_eq!(run.status(), 200);
    target.wait_for_output("imported and ran");

    let again: Value = serde_json::from_str(
        &target
            .get("/elsa/api/workflow-definitions/round-trip/export")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    for key in [
        "$schema",
        "definitionId",
        "name",
        "description",
        "variables",
        "inputs",
        "outputs",
        "outcomes",
        "customProperties",
        "options",
        "root",
    ] {
        assert_eq!(
            again[key], exported[key],
            "{key} survives export → import → export"
        );
    }

    // PUT {definitionId}/import puts the model under that definition.
    let resp = put(&target, "/elsa/api/workflow-definitions/renamed/import")
        .json(&exported)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["definitionId"],
        "renamed"
    );

    // Definitions larger than axum's 2 MB default body limit still import.
    let large =
        json!({"definitionId": "large", "description": "x".repeat(3 << 20), "root": says("big")});
    let resp = target
        .post("/elsa/api/workflow-definitions/import")
        .json(&large)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);

    // import-files: a JSON file and the bulk-export zip of the source server.
    let zip_bytes = source
        .post("/elsa/api/bulk-actions/export/workflow-definitions")
        .json(&json!({"ids": [original["id"]]}))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (_dir3, third) = started().await;
    let file =
        serde_json::to_vec(&json!({"definitionId": "from-file", "root": says("file")})).unwrap();
    let (content_type, body) = multipart(&[("one.json", &file), ("all.zip", &zip_bytes)]);
    let counted: Value = body_of(
        third
            .post("/elsa/api/workflow-definitions/import-files")
            .header("Content-Type", content_type)
            .body(body),
    )
    .await;
    assert_eq!(counted, json!({"count": 2}));
    assert_eq!(
        status_of(third.get("/elsa/api/workflow-definitions/round-trip")).await,
        200
    );
    let (content_type, body) = multipart(&[("bad.json", b"{not json")]);
    assert!(
        problem(
            third
                .post("/elsa/api/workflow-definitions/import-files")
                .header("Content-Type", content_type)
                .body(body),
            400
        )
        .await
        .contains("bad.json")
    );
}

#[tokio::test]
async fn consumers_and_exports_follow_the_reference_graph() {
    let (_dir, server) = started().await;
    let usable = json!({"usableAsActivity": true});
    save(
        &server,
        json!({"definitionId": "leaf", "name": "Leaf", "options": usable, "root": says("leaf")}),
        true,
    )
    .await;
    let middle = save(&server, json!({"definitionId": "middle", "name": "Middle", "options": usable, "root": {
        "type": "Elsa.Flowchart", "id": "F", "version": 1, "connections": [],
        "activities": [{"type": "Leaf", "id": "L", "version": 1, "workflowDefinitionId": "leaf"}]}}), true).await;
    save(
        &server,
        json!({"definitionId": "top", "name": "Top", "root": {
        "type": "Elsa.Flowchart", "id": "F", "version": 1, "connections": [],
        "activities": [{"type": "Middle", "id": "M", "version": 1}]}}),
        true,
    )
    .await;

    let consumers: Value =
        body_of(server.get("/elsa/api/workflow-definitions/leaf/consumers")).await;
    assert_eq!(
        consumers,
        json!({"consumingWorkflowDefinitionIds": ["middle", "top"]})
    );
    let none: Value = body_of(server.get("/elsa/api/workflow-definitions/top/consumers")).await;
    assert_eq!(none, json!({"consumingWorkflowDefinitionIds": []}));
    assert_eq!(
        status_of(server.get("/elsa/api/workflow-definitions/nope/consumers")).await,
        404
    );

    let resp = server
        .get("/elsa/api/workflow-definitions/leaf/export?versionOptions=&includeConsumingWorkflows=True")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("workflow-definitions.zip")
    );
    assert_eq!(
        zip_definition_ids(&resp.bytes().await.unwrap()),
        ["leaf", "middle", "top"]
    );

    let bulk = |body: Value| {
        server
            .post("/elsa/api/bulk-actions/export/workflow-definitions")
            .json(&body)
    };
    let only: Vec<String> = zip_definition_ids(
        &bulk(json!({"ids": [middle["id"]], "includeConsumingWorkflows": false}))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(only, ["middle"]);
    let with: Vec<String> = zip_definition_ids(
        &bulk(json!({"ids": [middle["id"]], "includeConsumingWorkflows": true}))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(with, ["middle", "top"]);
    assert_eq!(status_of(bulk(json!({"ids": ["unknown"]}))).await, 204);

    // A new leaf version: update-references gives `middle` a draft naming it.
    save(
        &server,
        json!({"definitionId": "leaf", "name": "Leaf", "options": usable, "root": says("leaf 2")}),
        true,
    )
    .await;
    let updated: Value =
        body_of(server.post("/elsa/api/workflow-definitions/leaf/update-references")).await;
    assert_eq!(updated, json!({"affectedWorkflows": ["Middle"]}));
}

#[tokio::test]
async fn dispatch_answers_at_once_and_runs_in_the_background() {
    let (_dir, server) = started().await;
    save(
        &server,
        json!({"definitionId": "bg", "name": "Background", "root": says("dispatched")}),
        true,
    )
    .await;
    let dispatched: Value = body_of(
        server
            .post("/elsa/api/workflow-definitions/bg/dispatch")
            .json(&json!({"input": {"a": 1}, "correlationId": "c-1"})),
    )
    .await;
    let id = dispatched["workflowInstanceId"]
        .as_str()
        .unwrap()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let resp = server
            .get(&format!("/elsa/api/workflow-instances/{id}"))
            .send()
            .await
            .unwrap();
        if resp.status() == 200 {
            let instance: Value = resp.json().await.unwrap();
            if instance["status"] == "Finished" {
                assert_eq!(instance["correlationId"], "c-1");
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "dispatched instance {id} never finished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.wait_for_output("dispatched");

    // Execute also answers GET, with the input as a JSON query value.
    let resp = server
        .get("/elsa/api/workflow-definitions/bg/execute?VersionOptions=Latest&input=%7B%22a%22%3A1%7D")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-elsa-workflow-cannot-start"], "False");
    let state: Value = resp.json().await.unwrap();
    assert_eq!(state["workflowState"]["input"]["a"], 1);
    assert!(
        problem(
            server.get("/elsa/api/workflow-definitions/bg/execute?input=[1]"),
            400
        )
        .await
        .contains("'input'")
    );

    let bulk: Value = body_of(
        server
            .post("/elsa/api/workflow-definitions/bg/bulk-dispatch")
            .json(&json!({"count": 3})),
    )
    .await;
    assert_eq!(bulk["workflowInstanceIds"].as_array().unwrap().len(), 3);
    assert_eq!(
        status_of(
            server
                .post("/elsa/api/workflow-definitions/nope/dispatch")
                .json(&json!({}))
        )
        .await,
        404
    );
    assert!(
        problem(
            server
                .post("/elsa/api/workflow-definitions/bg/dispatch")
                .json(&json!({"input": [1]})),
            400
        )
        .await
        .contains("input")
    );
    assert!(
        problem(
            server
                .post("/elsa/api/workflow-definitions/bg/bulk-dispatch")
                .json(&json!({"count": 100000})),
            400
        )
        .await
        .contains("count")
    );
}

#[tokio::test]
async fn subgraph_and_path_segments_of_a_version() {
    let (_dir, server) = started().await;
    let saved = save(
        &server,
        json!({"name": "Nested", "root": {
        "type": "Elsa.Flowchart", "id": "Flow", "version": 1, "connections": [],
        "activities": [
            {"type": "Elsa.Sequence", "id": "Seq", "version": 1, "name": "Steps", "activities": [
                {"type": "Elsa.WriteLine", "id": "Inner", "version": 1, "text": "in"}]},
            {"type": "Elsa.WriteLine", "id": "Top", "version": 1, "text": "top"}
        ]}}),
        false,
    )
    .await;
    let version = saved["id"].as_str().unwrap();
    let subgraph = |query: &str| {
        body_of(server.get(&format!(
            "/elsa/api/workflow-definitions/subgraph/{version}{query}"
        )))
    };

    let seq = subgraph("?parentNodeId=Workflow1:Flow:Seq").await;
    assert_eq!(
        (seq["nodeId"].clone(), seq["port"].clone()),
        (json!("Workflow1:Flow:Seq"), json!("Activities"))
    );
    assert_eq!(seq["activity"]["activities"][0]["id"], "Inner");
    let root = subgraph("?parentNodeId=unknown").await;
    assert_eq!(
        (root["nodeId"].clone(), root["port"].clone()),
        (json!("Workflow1:Flow"), json!("Root"))
    );
    assert_eq!(
        status_of(server.get("/elsa/api/workflow-definitions/subgraph/nope")).await,
        404
    );

    let segments_of = |node: &str| {
        server.get(&format!(
            "/elsa/api/workflow-definitions/subgraph/segments/{version}?childNodeId={node}"
        ))
    };
    let path: Value = body_of(segments_of("Workflow1:Flow:Seq:Inner")).await;
    assert_eq!(path["childNode"]["nodeId"], "Workflow1:Flow:Seq:Inner");
    assert_eq!(path["container"]["nodeId"], "Workflow1:Flow:Seq");
    assert_eq!(
        path["pathSegments"],
        json!([{"activityNodeId": "Workflow1:Flow:Seq", "activityId": "Seq", "activityType": "Elsa.Sequence",
                "portName": "Root", "activityName": "Steps"}])
    );
    assert!(
        problem(segments_of("Workflow1:Flow:Top"), 400)
            .await
            .contains("composite")
    );
    assert!(
        problem(segments_of("missing"), 400)
            .await
            .contains("missing")
    );
}

/// Studio's create call and an auto-save after dropping an activity (studio.md §3.1–3.2): nulls
/// everywhere, `publish: null`, a root without node ids; every returned activity has one.
#[tokio::test]
async fn studio_create_and_auto_save_get_node_ids() {
    let (_dir, server) = started().await;
    let created: Value = body_of(server.post("/elsa/api/workflow-definitions").json(&json!({
        "model": {"id": null, "definitionId": null, "name": "Workflow 1", "description": null,
            "toolVersion": "3.8.0.0", "version": 1, "isLatest": true, "isPublished": false,
            "createdAt": "0001-01-01T00:00:00+00:00", "variables": null, "inputs": null,
            "outputs": null, "outcomes": null, "customProperties": null, "options": null,
            "root": {"id": "a1b2c3d4e5f60718", "type": "Elsa.Flowchart", "version": 1, "name": "Flowchart1"}},
        "publish": null
    })))
    .await;
    let mut model = created["workflowDefinition"].clone();
    assert_eq!(model["root"]["nodeId"], "Workflow1:a1b2c3d4e5f60718");
    assert_eq!(
        (model["isLatest"].clone(), model["version"].clone()),
        (json!(true), json!(1))
    );

    model["root"]["activities"] = json!([{
        "id": "WriteLine2", "nodeId": "Workflow1:a1b2c3d4e5f60718:WriteLine2", "name": "WriteLine2",
        "type": "Elsa.WriteLine", "version": 1,
        "text": {"typeName": null, "expression": {"type": "Literal", "value": "hi"}, "memoryReference": null},
        "metadata": {"designer": {"position": {"x": 1, "y": 2}, "size": {"width": 10, "height": 5}}}
    }]);
    model["root"]["connections"] = json!([]);
    let saved: Value = body_of(
        server
            .post("/elsa/api/workflow-definitions")
            .json(&json!({"model": model, "publish": true})),
    )
    .await;
    let root = &saved["workflowDefinition"]["root"];
    assert_eq!(saved["workflowDefinition"]["isPublished"], true);
    assert_eq!(
        root["activities"][0]["nodeId"],
        "Workflow1:a1b2c3d4e5f60718:WriteLine2"
    );
    assert_eq!(
        root["activities"][0]["metadata"]["designer"]["position"]["x"],
        1
    );
    assert!(
        root["activities"][0]["text"]["expression"]
            .get("nodeId")
            .is_none()
    );
}
