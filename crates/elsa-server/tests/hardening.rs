//! Hostile and careless input against the real binary, on SQLite and on PostgreSQL alike:
//! each probe gets a clear 4xx problem, nothing of it is stored, and the server keeps serving;
//! a workflow's fault or text never reads as the server's error.

mod common;

use common::cluster::Cluster;
use common::{API_KEY, GUIDE_EXECUTE_BODY, endless_cycle, eventually, problem, still_serves};
use serde_json::{Value, json};

/// An execute's answer: its status, the instance it names (`x-elsa-workflow-instance-id`) and
/// its body.
async fn answer(resp: reqwest::Response) -> (u16, String, Value) {
    let status = resp.status().as_u16();
    let id = resp.headers()["x-elsa-workflow-instance-id"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, id, resp.json().await.unwrap())
}

on_both_databases!(
    nul_characters_are_refused_alike,
    non_json_bodies_are_refused_with_415,
    a_faulted_workflow_is_a_warning_not_a_server_error,
    workflow_text_cannot_forge_log_lines,
    an_http_endpoint_that_asks_for_a_caller_refuses_anonymous_ones,
    an_oversized_anonymous_login_is_refused_unread,
    a_runaway_flowchart_faults_at_its_run_budget,
    a_configured_journal_budget_holds_to_the_row,
    a_retry_with_the_same_idempotency_key_runs_nothing_twice,
    a_nul_a_script_makes_is_stored_alike,
);

async fn nul_characters_are_refused_alike(cluster: Cluster) {
    let server = cluster.start().await;
    // In a route value and in a query string (PostgreSQL answered 503 here, SQLite 200).
    for path in [
        "/elsa/api/workflow-instances/a%00b",
        "/elsa/api/workflow-definitions?searchTerm=x%00",
        "/workflows/hook%00",
    ] {
        problem(server.get(path).send().await.unwrap(), 400, "NUL character").await;
    }
    // In a body, named by where it is.
    let save = json!({"model": {"name": "bad\u{0}name", "root": {"id": "r", "type": "Elsa.Sequence", "activities": []}}});
    let body = problem(
        server
            .post("/elsa/api/workflow-definitions")
            .json(&save)
            .send()
            .await
            .unwrap(),
        400,
        "$.model.name",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("NUL character"));
    let execute = json!({"workflow": {"root": {"id": "r", "type": "Elsa.WriteLine",
        "text": {"typeName": "String", "expression": {"type": "Literal", "value": "x"}}}},
        "input": {"text": "a\u{0}"}});
    problem(
        server
            .post("/elsa/api/workflow-definitions/execute")
            .json(&execute)
            .send()
            .await
            .unwrap(),
        400,
        "$.input.text",
    )
    .await;
    assert_eq!(cluster.count("\"Elsa_WorkflowDefinitions\"").await, 0);
    assert_eq!(cluster.count("\"Elsa_WorkflowInstances\"").await, 0);
    still_serves(&server).await;
}

async fn non_json_bodies_are_refused_with_415(cluster: Cluster) {
    let server = cluster.start().await;
    let resp = server
        .post("/elsa/api/workflow-definitions/execute")
        .header("Content-Type", "text/plain")
        .body(GUIDE_EXECUTE_BODY)
        .send()
        .await
        .unwrap();
    problem(resp, 415, "'text/plain'").await;
    let resp = server
        .post("/elsa/api/identity/login")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("username=admin&password=x")
        .send()
        .await
        .unwrap();
    problem(resp, 415, "must be JSON").await;
    assert_eq!(cluster.count("\"Elsa_WorkflowInstances\"").await, 0);
    still_serves(&server).await;
}

async fn a_faulted_workflow_is_a_warning_not_a_server_error(cluster: Cluster) {
    let server = cluster.start().await;
    let throws = json!({"workflow": {"root": {"id": "r", "type": "Elsa.WriteLine",
        "text": {"typeName": "String", "expression": {"type": "JavaScript", "value": "throw new Error('boom')"}}}}});
    let resp = server
        .post("/elsa/api/workflow-definitions/execute")
        .json(&throws)
        .send()
        .await
        .unwrap();
    // Elsa answers a faulted run with 500 and its state.
    let (status, instance_id, body) = answer(resp).await;
    assert_eq!(status, 500);
    assert_eq!(body["workflowState"]["subStatus"], "Faulted", "{body}");
    let line = server
        .log_line(|line| line.contains("workflow faulted"))
        .await;
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains(&instance_id), "{line}");
    assert!(
        !server.log().contains("ERROR"),
        "a workflow's fault is not the server's error:\n{}",
        server.log()
    );
    still_serves(&server).await;
}

async fn workflow_text_cannot_forge_log_lines(cluster: Cluster) {
    let server = cluster.start().await;
    // A line break and a terminal escape (ESC) made by a script.
    let forged = r#"'x\n2026-12-03T00:00:00.000000Z ERROR elsa_server: forged' + String.fromCharCode(27) + '[2J'"#;
    let script = |prefix: &str| {
        json!({"typeName": "String",
        "expression": {"type": "JavaScript", "value": format!("'{prefix} ' + {forged}")}})
    };
    let text = |value: &str| json!({"typeName": "String", "expression": {"type": "Literal", "value": value}});
    let workflow = json!({"workflow": {"activities": [
        {"id": "w", "type": "Elsa.WriteLine", "text": script("written")},
        {"id": "l", "type": "Elsa.Log", "message": script("logged"), "level": text("Warning")},
    ]}});
    let resp = server
        .post("/elsa/api/workflow-definitions/execute")
        .json(&workflow)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let escaped = "x\\n2026-12-03T00:00:00.000000Z ERROR elsa_server: forged\\u001b[2J";
    let written = server
        .output_line(|line| line.starts_with("written "))
        .await;
    assert_eq!(written, format!("written {escaped}"));
    let logged = server.log_line(|line| line.contains("logged ")).await;
    assert!(logged.contains(escaped), "{logged}");
    for stream in [server.output(), server.log()] {
        assert!(
            !stream
                .lines()
                .any(|line| line.starts_with("2026-12-03T00:00:00.000000Z")),
            "a forged line:\n{stream}"
        );
        assert!(!stream.contains('\u{1b}'));
    }
}

async fn an_http_endpoint_that_asks_for_a_caller_refuses_anonymous_ones(cluster: Cluster) {
    let server = cluster.start().await;
    let literal = |type_name: &str, value: Value| json!({"typeName": type_name, "expression": {"type": "Literal", "value": value}});
    let root = json!({"id": "Seq", "type": "Elsa.Sequence", "activities": [
        {"id": "Http", "type": "Elsa.HttpEndpoint", "path": literal("String", json!("private")),
         "supportedMethods": literal("String[]", json!(["GET"])),
         "authorize": literal("Boolean", json!(true)), "policy": literal("String", json!("exec:private")),
         "customProperties": {"canStartWorkflow": true}},
        {"id": "Respond", "type": "Elsa.WriteHttpResponse", "statusCode": "OK",
         "content": literal("String", json!("secret"))},
    ]});
    let resp = server
        .post("/elsa/api/workflow-definitions")
        .json(&json!({"model": {"definitionId": "private", "name": "private", "root": root}, "publish": true}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let anonymous = reqwest::get(server.url("/workflows/private"))
        .await
        .unwrap();
    problem(anonymous, 401, "requires an authenticated caller").await;
    let wrong_key = reqwest::Client::new()
        .get(server.url("/workflows/private"))
        .header("Authorization", "ApiKey not-the-key")
        .send()
        .await
        .unwrap();
    problem(wrong_key, 401, "requires an authenticated caller").await;
    // The admin key holds every permission.
    let admin = reqwest::Client::new()
        .get(server.url("/workflows/private"))
        .header("Authorization", format!("ApiKey {API_KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
    assert_eq!(admin.text().await.unwrap(), "secret");
    assert_eq!(
        cluster
            .count("\"Elsa_WorkflowInstances\" WHERE definition_id = 'private'")
            .await,
        1,
        "refused calls start nothing"
    );
}

async fn an_oversized_anonymous_login_is_refused_unread(cluster: Cluster) {
    let server = cluster.start().await;
    let password = "x".repeat(1024 * 1024);
    let resp = reqwest::Client::new()
        .post(server.url("/elsa/api/identity/login"))
        .json(&json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    problem(resp, 413, "length limit exceeded").await;
    // A login of ordinary size is still read and answered.
    let resp = reqwest::Client::new()
        .post(server.url("/elsa/api/identity/login"))
        .json(&json!({"username": "admin", "password": "not-the-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    still_serves(&server).await;
}

async fn a_runaway_flowchart_faults_at_its_run_budget(cluster: Cluster) {
    let server = cluster.start().await;
    let resp = server
        .post("/elsa/api/workflow-definitions/execute")
        .json(&endless_cycle())
        .send()
        .await
        .unwrap();
    // Elsa answers a faulted run with 500 and its state.
    let (status, instance_id, body) = answer(resp).await;
    assert_eq!(status, 500);
    let state = &body["workflowState"];
    assert_eq!(state["status"], "Finished", "{state}");
    assert_eq!(state["subStatus"], "Faulted", "{state}");
    let incidents = state["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let message = incidents[0]["message"].as_str().unwrap();
    assert_eq!(
        message,
        "The workflow exceeded the limit of 25000 activity execution records in one run (Elsa:Runtime:MaxActivityRecordsPerRun)."
    );

    // Stored as answered, with at most the budgets' rows (plus the fault's own).
    let stored: Value = server
        .get(&format!("/elsa/api/workflow-instances/{instance_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["workflowState"]["subStatus"], "Faulted", "{stored}");
    assert_eq!(
        stored["workflowState"]["incidents"][0]["message"].as_str(),
        Some(message)
    );
    let journal: Value = server
        .get(&format!(
            "/elsa/api/workflow-instances/{instance_id}/journal?take=1"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let journaled = journal["totalCount"].as_i64().unwrap();
    let records: Value = server
        .get(&format!(
            "/elsa/api/activity-executions/count?workflowInstanceId={instance_id}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recorded = records["count"].as_i64().unwrap();
    // The records' budget, then the faulted activity's own record; two entries per execution.
    assert_eq!(recorded, 25_001);
    assert!((49_990..=50_001).contains(&journaled), "{journaled}");
    assert_eq!(
        cluster.stored_records(&instance_id).await,
        (journaled, recorded as usize)
    );

    // Nothing of the runaway is left running: the next execute is answered at once.
    let started = std::time::Instant::now();
    still_serves(&server).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

async fn a_configured_journal_budget_holds_to_the_row(cluster: Cluster) {
    let cluster = cluster.with("Elsa__Runtime__MaxJournalEntriesPerRun", "1000");
    let server = cluster.start().await;
    let resp = server
        .post("/elsa/api/workflow-definitions/execute")
        .json(&endless_cycle())
        .send()
        .await
        .unwrap();
    let (status, instance_id, body) = answer(resp).await;
    assert_eq!(status, 500);
    assert_eq!(body["workflowState"]["subStatus"], "Faulted");
    assert_eq!(
        body["workflowState"]["incidents"][0]["message"],
        "The workflow exceeded the limit of 1000 journal entries in one run (Elsa:Runtime:MaxJournalEntriesPerRun)."
    );
    // The budget, then the fault's own entry.
    assert_eq!(cluster.stored_records(&instance_id).await.0, 1001);
    let last: Value = server
        .get(&format!(
            "/elsa/api/workflow-instances/{instance_id}/journal?skip=1000&take=10"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(last["items"].as_array().unwrap().len(), 1, "{last}");
    assert_eq!(last["items"][0]["eventName"], "Faulted", "{last}");
    // Workflow, flowchart, Start, 498 WriteLines that ran and the one that did not.
    assert_eq!(cluster.stored_records(&instance_id).await.1, 502);
    still_serves(&server).await;
}

async fn a_retry_with_the_same_idempotency_key_runs_nothing_twice(cluster: Cluster) {
    let server = cluster.start().await;
    let root = json!({"id": "Flow", "type": "Elsa.Sequence", "activities": [
        {"id": "Once", "type": "Elsa.WriteLine", "text": {"typeName": "String", "expression": {"type": "Literal", "value": "once"}}},
    ]});
    let resp = server
        .post("/elsa/api/workflow-definitions")
        .json(&json!({"model": {"definitionId": "keyed", "name": "keyed", "root": root}, "publish": true}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let execute = |key: &'static str| {
        server
            .post("/elsa/api/workflow-definitions/keyed/execute")
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .body("{}")
            .send()
    };
    // Five at once and one after: one instance, one run, the same answer to all.
    let answers = futures_util::future::join_all((0..5).map(|_| execute("order-42"))).await;
    let mut ids = Vec::new();
    for resp in answers.into_iter().chain([execute("order-42").await]) {
        let (status, id, body) = answer(resp.unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(body["workflowState"]["id"], id.as_str());
        ids.push(id);
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(cluster.executions("Once").await, (1, 1));
    // Another key is another run.
    let other = execute("order-43").await.unwrap();
    assert_ne!(
        other.headers()["x-elsa-workflow-instance-id"],
        ids[0].as_str()
    );
    assert_eq!(cluster.executions("Once").await, (2, 2));

    // Dispatch: the retry answers the instance the first one queued.
    let dispatch = || {
        server
            .post("/elsa/api/workflow-definitions/keyed/dispatch")
            .header("Idempotency-Key", "batch-7")
            .json(&json!({}))
            .send()
    };
    let first: Value = dispatch().await.unwrap().json().await.unwrap();
    let retry: Value = dispatch().await.unwrap().json().await.unwrap();
    assert_eq!(first["workflowInstanceId"], retry["workflowInstanceId"]);
    eventually(30, "the dispatched run", || async {
        (cluster.executions("Once").await == (3, 3)).then_some(())
    })
    .await;
    assert_eq!(
        cluster
            .count("\"Elsa_WorkflowInstances\" WHERE definition_id = 'keyed'")
            .await,
        3
    );
    // A key that cannot be one is refused.
    let resp = server
        .post("/elsa/api/workflow-definitions/keyed/execute")
        .header("Idempotency-Key", "k".repeat(300))
        .send()
        .await
        .unwrap();
    problem(resp, 400, "Idempotency-Key").await;
}

async fn a_nul_a_script_makes_is_stored_alike(cluster: Cluster) {
    let server = cluster.start().await;
    // Input holding a NUL is refused; a script's own cannot be, so it is kept as U+FFFD on both
    // databases (PostgreSQL failed the commit with a 503 here, SQLite stored the NUL).
    let workflow = json!({"workflow": {"activities": [
        {"id": "w", "type": "Elsa.WriteLine", "text": {"typeName": "String",
            "expression": {"type": "JavaScript", "value": "'nul:a' + String.fromCharCode(0) + 'b'"}}},
    ]}});
    let resp = server
        .post("/elsa/api/workflow-definitions/execute")
        .json(&workflow)
        .send()
        .await
        .unwrap();
    let (status, id, body) = answer(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["workflowState"]["subStatus"], "Finished", "{body}");
    let written = server.output_line(|line| line.starts_with("nul:")).await;
    assert_eq!(written, "nul:a\u{FFFD}b");
    let stored = server
        .get(&format!("/elsa/api/workflow-instances/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 200);
    assert_eq!(cluster.executions("w").await, (1, 1));
}
