//! `/metrics` against the real server: anonymous Prometheus text whose counters move when
//! workflows run and requests are served.

mod common;

use common::workflows::{delay, sequence, write_line};
use common::{API_KEY, Server, eventually};
use serde_json::json;

/// The sum of the samples of `name` whose labels contain `labels`; 0 when there is none (a
/// counter that never moved is not rendered yet).
fn sample(text: &str, name: &str, labels: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(series, _)| {
            series
                .strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('{'))
                && series.contains(labels)
        })
        .map(|(_, value)| value.parse::<f64>().unwrap())
        .sum()
}

async fn scrape(server: &Server) -> String {
    let resp = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(resp.status(), 200, "anonymous, like the probes");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    resp.text().await.unwrap()
}

#[tokio::test]
async fn counters_move_when_workflows_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("Elsa__Identity__ApiKey", API_KEY)]);
    server.wait_ready().await;
    let before = scrape(&server).await;

    for _ in 0..3 {
        assert_eq!(server.execute_guide_request().await.status(), 200);
    }
    // A workflow that faults counts as an execution and a failure (Elsa answers its execute
    // with 500 and the faulted state).
    let faulting = json!({"workflow": {"root": {"id": "Boom", "type": "Elsa.RunJavaScript",
        "script": {"typeName": "String", "expression": {"type": "Literal", "value": "throw new Error('boom')"}}}}});
    let resp = server
        .post("/elsa/api/workflow-definitions/execute")
        .json(&faulting)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["workflowState"]["subStatus"], "Faulted");

    let after = scrape(&server).await;
    let moved =
        |name: &str, labels: &str| sample(&after, name, labels) - sample(&before, name, labels);
    assert_eq!(moved("elsa_workflow_executions_total", ""), 4.0, "{after}");
    assert_eq!(
        moved("elsa_workflow_execution_failed_total", ""),
        1.0,
        "{after}"
    );
    assert!(
        moved("http_requests_total", "method=\"POST\",status=\"200\"") >= 3.0,
        "{after}"
    );
    assert_eq!(
        moved("http_requests_total", "method=\"POST\",status=\"500\""),
        1.0,
        "{after}"
    );
    assert!(
        moved("http_request_duration_seconds_count", "method=\"POST\"") >= 4.0,
        "{after}"
    );
    assert!(
        after.contains("http_request_duration_seconds_bucket{"),
        "a histogram, aggregable across replicas: {after}"
    );
    assert!(
        after.contains("elsa_database_connections_active{module=\"Management\"}"),
        "{after}"
    );
}

/// The database's gauges, refreshed at each heartbeat: a workflow waiting on a timer is a
/// running workflow, and its timer a scheduled row of the work queue.
#[tokio::test]
async fn running_workflows_and_the_queue_are_gauged() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("Elsa__Identity__ApiKey", API_KEY)]);
    server.wait_ready().await;
    let waiting = json!({"workflow": {"root": sequence(vec![
        delay("Wait", "01:00:00"),
        write_line("After", "an hour later"),
    ])}});
    for _ in 0..2 {
        let resp = server
            .post("/elsa/api/workflow-definitions/execute")
            .json(&waiting)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let text = eventually(15, "the gauges counting both waiting workflows", || async {
        let text = scrape(&server).await;
        (sample(&text, "elsa_active_workflows_total", "") == 2.0
            && sample(&text, "elsa_work_queue_depth", "state=\"scheduled\"") == 2.0)
            .then_some(text)
    })
    .await;
    assert_eq!(
        sample(&text, "elsa_work_queue_depth", "state=\"due\""),
        0.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "elsa_work_queue_oldest_due_seconds", ""),
        0.0,
        "{text}"
    );
}

/// The alerts (deploy/kubernetes/overlays/postgres/monitoring.yaml) and the Grafana dashboard
/// (deploy/grafana/elsa-dashboard.json) query only metrics the server exports: every `elsa_*`
/// and `http_*` name in their expressions is a metric of a scrape taken after one request.
#[tokio::test]
async fn the_alerts_and_the_dashboard_query_only_exported_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("Elsa__Identity__ApiKey", API_KEY)]);
    server.wait_ready().await;
    assert_eq!(server.execute_guide_request().await.status(), 200);
    let text = scrape(&server).await;
    let exported: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|line| line.split(' ').next())
        .collect();

    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut expressions = Vec::new();
    let monitoring =
        std::fs::read_to_string(repo.join("deploy/kubernetes/overlays/postgres/monitoring.yaml"))
            .unwrap();
    for doc in monitoring.split("\n---\n") {
        let doc: serde_json::Value = serde_norway::from_str(doc).unwrap();
        for group in doc["spec"]["groups"].as_array().into_iter().flatten() {
            for rule in group["rules"].as_array().unwrap() {
                expressions.push(rule["expr"].as_str().unwrap().to_owned());
            }
        }
    }
    let rules = expressions.len();
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("deploy/grafana/elsa-dashboard.json")).unwrap(),
    )
    .unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            expressions.push(target["expr"].as_str().unwrap().to_owned());
        }
    }
    assert!(
        rules >= 5 && expressions.len() > rules + 5,
        "{expressions:?}"
    );

    for expression in &expressions {
        let names = expression
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with("elsa_") || word.starts_with("http_"));
        for name in names {
            let metric = ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .filter(|base| exported.contains(base))
                .unwrap_or(name);
            assert!(
                exported.contains(&metric),
                "{name} (in {expression}) is not exported:\n{text}"
            );
        }
    }
}
