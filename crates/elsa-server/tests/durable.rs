//! The durable runtime against the real binary, each scenario on SQLite and on PostgreSQL:
//! timers fire on time and survive kill -9, cron triggers tick once per second until
//! retracted, outbound HTTP requests complete (and are retried after a crash), events reach
//! exactly the instances they are for, dispatched work survives a crash, a bookmark is resumed
//! once however many stimuli race for it, and SIGTERM drains what is in flight. "Exactly once"
//! is counted in the database's rows.

mod common;

use axum::Router;
use axum::routing::get;
use common::cluster::Cluster;
use common::workflows::{cron, delay, event, send_http, sequence, write_line};
use common::{Server, eventually, json as body_of};
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

on_both_databases!(
    a_delay_resumes_on_time,
    pending_delays_survive_kill_9_and_run_once,
    a_cron_trigger_ticks_every_second_until_retracted,
    send_http_request_reports_status_content_and_timeout,
    an_event_resumes_exactly_the_correlated_instance,
    dispatched_work_survives_kill_9,
    racing_stimuli_resume_a_bookmark_once,
    sigterm_under_load_drains_and_exits_0,
);

fn write_script(id: &str, script: &str) -> Value {
    json!({"id": id, "type": "Elsa.WriteLine",
           "text": {"typeName": "String", "expression": {"type": "JavaScript", "value": script}}})
}

/// Saves and publishes a definition.
async fn publish(server: &Server, definition_id: &str, root: Value) {
    let resp = server
        .post("/elsa/api/workflow-definitions")
        .json(&json!({"model": {"definitionId": definition_id, "name": definition_id, "root": root}, "publish": true}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
}

/// Runs a published definition; the response body.
async fn execute(server: &Server, definition_id: &str, body: Value) -> Value {
    body_of(
        server
            .post(&format!(
                "/elsa/api/workflow-definitions/{definition_id}/execute"
            ))
            .json(&body),
    )
    .await
}

async fn sub_status(server: &Server, instance_id: &str) -> String {
    let instance =
        body_of(server.get(&format!("/elsa/api/workflow-instances/{instance_id}"))).await;
    instance["subStatus"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn finished(server: &Server, instance_id: &str) -> Option<()> {
    (sub_status(server, instance_id).await == "Finished").then_some(())
}

/// A local HTTP server for `SendHttpRequest`: `/json` answers JSON, `/missing` 404, `/slow`
/// after `slow`. Counts the requests it got.
struct Remote {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Remote {
    async fn start(slow: Duration) -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = |hits: Arc<AtomicUsize>| {
            move || {
                hits.fetch_add(1, Ordering::SeqCst);
                std::future::ready(())
            }
        };
        let app = Router::new()
            .route(
                "/json",
                get({
                    let hit = counted(hits.clone());
                    move || async move {
                        hit().await;
                        axum::Json(json!({"answer": 42, "items": ["a", "b"]}))
                    }
                }),
            )
            .route(
                "/missing",
                get({
                    let hit = counted(hits.clone());
                    move || async move {
                        hit().await;
                        axum::http::StatusCode::NOT_FOUND
                    }
                }),
            )
            .route(
                "/slow",
                get({
                    let hit = counted(hits.clone());
                    move || async move {
                        hit().await;
                        tokio::time::sleep(slow).await;
                        "finally"
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn a_delay_resumes_on_time(cluster: Cluster) {
    let server = cluster.start().await;
    let started = Instant::now();
    let body = body_of(server.post("/elsa/api/workflow-definitions/execute").json(
        &json!({"workflow": {"root": sequence(vec![
            write_line("One", "before the delay"),
            delay("Wait", "00:00:02"),
            write_line("Two", "after the delay"),
        ])}}),
    ))
    .await;
    let state = &body["workflowState"];
    assert_eq!(state["subStatus"], "Suspended", "{body}");
    let id = state["id"].as_str().unwrap().to_owned();
    eventually(10, "the delay's resumption", || finished(&server, &id)).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1_900),
        "resumed after {took:?}, before its time"
    );
    server.wait_for_output("after the delay");
    assert_eq!(cluster.executions("Two").await, (1, 1));
    let left = body_of(server.get("/elsa/api/work-items")).await;
    assert_eq!(
        left["totalCount"], 0,
        "the timer's work item went with the resume"
    );
}

async fn pending_delays_survive_kill_9_and_run_once(cluster: Cluster) {
    let server = cluster.start().await;
    publish(
        &server,
        "waits",
        sequence(vec![
            delay("Wait", "00:00:08"),
            write_line("After", "after the delay"),
        ]),
    )
    .await;
    let started = Instant::now();
    let body = body_of(
        server
            .post("/elsa/api/workflow-definitions/waits/bulk-dispatch")
            .json(&json!({"count": 100})),
    )
    .await;
    let ids: Vec<String> = body["workflowInstanceIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 100);
    // The worker starts them; each waits on its delay's timer.
    eventually(8, "100 instances waiting on their timers", || async {
        (cluster
            .count("\"Elsa_WorkItems\" WHERE kind = 'Resume'")
            .await
            == 100)
            .then_some(())
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "every delay still pending when the process dies"
    );
    server.kill();

    let server = cluster.start().await;
    eventually(60, "all 100 delays resumed after the restart", || async {
        (cluster
            .count("\"Elsa_WorkflowInstances\" WHERE sub_status = 'Finished'")
            .await
            == 100)
            .then_some(())
    })
    .await;
    assert_eq!(
        cluster.executions("After").await,
        (100, 100),
        "the activity after each delay ran exactly once"
    );
    assert_eq!(cluster.count("\"Elsa_WorkItems\"").await, 0);
    for id in ids.iter().take(3) {
        assert_eq!(sub_status(&server, id).await, "Finished");
    }
}

async fn a_cron_trigger_ticks_every_second_until_retracted(cluster: Cluster) {
    let server = cluster.start().await;
    let published = Instant::now();
    publish(
        &server,
        "ticks",
        sequence(vec![
            cron("Tick", "* * * * * *"),
            write_line("Ticked", "tick"),
        ]),
    )
    .await;
    let of_ticks = "\"Elsa_WorkflowInstances\" WHERE definition_id = 'ticks'";
    eventually(20, "ten ticks", || async {
        (cluster.count(of_ticks).await >= 10).then_some(())
    })
    .await;
    let resp = server
        .post("/elsa/api/workflow-definitions/ticks/retract")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let running_for = published.elapsed().as_secs() as i64;
    // A tick queued just before the retract has started or was dropped once no start of it
    // is left in the queue.
    eventually(10, "the queued ticks to be done", || async {
        (cluster
            .count("\"Elsa_WorkItems\" WHERE kind = 'Start'")
            .await
            == 0)
            .then_some(())
    })
    .await;
    let at_retract = cluster.count(of_ticks).await;
    assert!(
        (10..=running_for + 1).contains(&at_retract),
        "{at_retract} instances in {running_for} s: one per second, never two per tick"
    );
    assert_eq!(cluster.executions("Ticked").await.0, at_retract);
    // Nothing polls for this, so it must be waited out: no tick after the retract.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        cluster.count(of_ticks).await,
        at_retract,
        "no instance after the retract"
    );
    assert_eq!(
        cluster
            .count("\"Elsa_Triggers\" WHERE definition_id = 'ticks'")
            .await,
        0
    );
}

async fn send_http_request_reports_status_content_and_timeout(cluster: Cluster) {
    let remote = Remote::start(Duration::from_secs(10)).await;
    let cluster = cluster.with("Elsa__Runtime__HttpRequestTimeout", "00:00:01");
    let server = cluster.start().await;
    let run = |root: Value| {
        let server = &server;
        async move {
            body_of(
                server
                    .post("/elsa/api/workflow-definitions/execute")
                    .json(&json!({"workflow": {"root": root}})),
            )
            .await
        }
    };
    let ok = run(sequence(vec![send_http(
        "Get",
        &remote.url("/json"),
        json!({"expectedStatusCodes": [{"statusCode": 200, "activity": write_script(
            "Ok", "'got ' + getStatusCodeFromGet() + ' ' + JSON.stringify(getParsedContentFromGet())")}]}),
    )]))
    .await;
    assert_eq!(ok["workflowState"]["subStatus"], "Finished", "{ok}");
    server.wait_for_output(r#"got 200 {"answer":42,"items":["a","b"]}"#);

    let missing = run(sequence(vec![send_http(
        "Get",
        &remote.url("/missing"),
        json!({"expectedStatusCodes": [{"statusCode": 200, "activity": write_line("Ok", "ok")}],
               "unmatchedStatusCode": write_script("Unmatched", "'unmatched ' + getStatusCodeFromGet()")}),
    )]))
    .await;
    assert_eq!(missing["workflowState"]["subStatus"], "Finished");
    server.wait_for_output("unmatched 404");

    let slow = run(sequence(vec![send_http(
        "Get",
        &remote.url("/slow"),
        json!({"timeout": write_line("TimedOut", "timed out")}),
    )]))
    .await;
    assert_eq!(slow["workflowState"]["subStatus"], "Finished");
    server.wait_for_output("timed out");

    let refused = run(sequence(vec![send_http(
        "Get",
        "http://127.0.0.1:9/nothing-listens-here",
        json!({"failedToConnect": write_line("Refused", "could not connect")}),
    )]))
    .await;
    assert_eq!(refused["workflowState"]["subStatus"], "Finished");
    server.wait_for_output("could not connect");
    assert_eq!(remote.hits(), 3);
    assert_eq!(cluster.count("\"Elsa_WorkItems\"").await, 0);
}

async fn an_event_resumes_exactly_the_correlated_instance(cluster: Cluster) {
    let server = cluster.start().await;
    publish(
        &server,
        "approval",
        sequence(vec![
            event("Wait", "Approved"),
            write_line("After", "approved"),
        ]),
    )
    .await;
    let mut ids = Vec::new();
    for correlation in ["c1", "c2", "c3"] {
        let body = execute(&server, "approval", json!({"correlationId": correlation})).await;
        assert_eq!(body["workflowState"]["subStatus"], "Suspended");
        ids.push(body["workflowState"]["id"].as_str().unwrap().to_owned());
    }
    // Elsa's default delivery is asynchronous: 200 at once, the worker resumes.
    let resp = server
        .post("/elsa/api/events/Approved/trigger")
        .json(&json!({"correlationId": "c2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    eventually(10, "the correlated instance's resumption", || {
        finished(&server, &ids[1])
    })
    .await;
    eventually(10, "the event's work to be done", || async {
        (cluster.count("\"Elsa_WorkItems\"").await == 0).then_some(())
    })
    .await;
    assert_eq!(sub_status(&server, &ids[0]).await, "Suspended");
    assert_eq!(sub_status(&server, &ids[2]).await, "Suspended");
    assert_eq!(cluster.executions("After").await, (1, 1));
}

async fn dispatched_work_survives_kill_9(cluster: Cluster) {
    let remote = Remote::start(Duration::from_secs(2)).await;
    let server = cluster.start().await;
    publish(
        &server,
        "calls",
        sequence(vec![
            send_http("Call", &remote.url("/slow"), json!({})),
            write_line("After", "called"),
        ]),
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let body = body_of(
            server
                .post("/elsa/api/workflow-definitions/calls/dispatch")
                .json(&json!({})),
        )
        .await;
        let id = body["workflowInstanceId"].as_str().unwrap().to_owned();
        // Acknowledged means stored: the instance exists, Pending or already running.
        assert_ne!(sub_status(&server, &id).await, "");
        ids.push(id);
    }
    // The process dies while the requests are out.
    eventually(10, "the requests to go out", || async {
        (remote.hits() >= 1).then_some(())
    })
    .await;
    server.kill();

    let server = cluster.start().await;
    for id in &ids {
        eventually(
            30,
            "a dispatched instance to finish after the restart",
            || finished(&server, id),
        )
        .await;
    }
    assert_eq!(
        cluster.executions("After").await,
        (5, 5),
        "each dispatched instance ran to its end once"
    );
    assert!(
        remote.hits() >= 5,
        "HTTP requests are at least once: {} sent",
        remote.hits()
    );
    assert_eq!(cluster.count("\"Elsa_WorkItems\"").await, 0);
}

async fn racing_stimuli_resume_a_bookmark_once(cluster: Cluster) {
    let server = cluster.start().await;
    publish(
        &server,
        "race",
        sequence(vec![event("Wait", "Go"), write_line("After", "resumed")]),
    )
    .await;
    let body = execute(&server, "race", json!({})).await;
    let id = body["workflowState"]["id"].as_str().unwrap().to_owned();
    let attempts = (0..8).map(|_| {
        server
            .post("/elsa/api/events/Go/trigger")
            .json(&json!({"workflowInstanceId": id, "workflowExecutionMode": "Synchronous"}))
            .send()
    });
    for resp in join_all(attempts).await {
        assert_eq!(resp.unwrap().status(), 200, "losers get Elsa's answer too");
    }
    assert_eq!(sub_status(&server, &id).await, "Finished");
    assert_eq!(
        cluster.executions("After").await,
        (1, 1),
        "the bookmark was resumed once"
    );
}

async fn sigterm_under_load_drains_and_exits_0(cluster: Cluster) {
    let remote = Remote::start(Duration::from_secs(1)).await;
    let server = cluster.start().await;
    let workflow = json!({"workflow": {"root": sequence(vec![
        send_http("Call", &remote.url("/slow"), json!({})),
        write_line("After", "done"),
    ])}});
    let requests: Vec<_> = (0..16)
        .map(|_| {
            let request = server
                .post("/elsa/api/workflow-definitions/execute")
                .json(&workflow);
            tokio::spawn(async move { request.send().await })
        })
        .collect();
    eventually(
        20,
        "all 16 runs to be waiting on their HTTP requests",
        || async { (remote.hits() == 16).then_some(()) },
    )
    .await;
    let stopping = server.terminate();
    for request in requests {
        let resp = request
            .await
            .unwrap()
            .expect("no request fails during the drain");
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["workflowState"]["subStatus"], "Finished");
    }
    let status = tokio::task::spawn_blocking(move || stopping.wait())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "SIGTERM drains and exits 0");
    assert_eq!(cluster.executions("After").await, (16, 16));
}
