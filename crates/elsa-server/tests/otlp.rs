//! Traces over OTLP (cargo feature `otlp`): the real server, its `OTEL_EXPORTER_OTLP_ENDPOINT`
//! pointing at a collector the test runs, exports the spans of a request and of the workflow run
//! it commits as OTLP/HTTP protobuf.
//!   cargo test -p elsa-server --features otlp --test otlp

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use common::{API_KEY, Server, eventually};
use std::sync::{Arc, Mutex};

/// What the collector received: content type and body of each export.
type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

/// A stand-in OTLP/HTTP collector on 127.0.0.1: takes `POST /v1/traces`, answers 200.
async fn collector() -> (String, Received) {
    let received: Received = Arc::default();
    let keep = received.clone();
    let app = Router::new().route(
        "/v1/traces",
        post(move |headers: HeaderMap, body: Bytes| {
            let content_type = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            keep.lock().unwrap().push((content_type, body));
            std::future::ready(())
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

/// Whether a protobuf body holds `text` (strings are stored as their UTF-8 bytes).
fn holds(body: &[u8], text: &str) -> bool {
    body.windows(text.len()).any(|w| w == text.as_bytes())
}

#[tokio::test]
async fn spans_of_requests_and_runs_reach_the_collector() {
    let (endpoint, received) = collector().await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            ("Elsa__Identity__ApiKey", API_KEY),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ],
    );
    server.wait_ready().await;
    let resp = server.execute_guide_request().await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    let instance_id = body["workflowState"]["id"].as_str().unwrap().to_owned();

    eventually(20, "the run's span at the collector", || {
        let received = received.clone();
        let instance_id = instance_id.clone();
        async move {
            let received = received.lock().unwrap();
            received
                .iter()
                .any(|(_, body)| holds(body, "workflow run") && holds(body, &instance_id))
                .then_some(())
        }
    })
    .await;
    let received = received.lock().unwrap();
    assert!(
        received
            .iter()
            .all(|(content_type, _)| content_type == "application/x-protobuf"),
        "OTLP/HTTP protobuf"
    );
    let all: Vec<u8> = received.iter().flat_map(|(_, b)| b.to_vec()).collect();
    assert!(holds(&all, "elsa-server"), "the service name");
    assert!(
        holds(&all, "/elsa/api/workflow-definitions/execute"),
        "the request's span"
    );
}
