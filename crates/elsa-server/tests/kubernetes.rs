//! The manifests of `deploy/kubernetes`, run as written: the rendered overlay's migration Job
//! and Deployment, with the image's static binary in a root of its own (see `kubelet/`), against
//! a local PostgreSQL provisioned from the overlay's own StatefulSet and Secret. Then the
//! guide's verification: its `psql` checks, its execute request through one replica, the
//! probes at the manifest's timings, and SIGTERM within the grace period.
//!
//! Run by `scripts/deploy-check.sh`, which builds the static binary (`ELSA_STATIC_BIN`) and puts
//! kubectl on the PATH; needs root.

mod common;
mod kubelet;

use common::{GUIDE_EXECUTE_BODY, eventually, text};
use elsa_store::testing::TestPg;
use kubelet::{Kubelet, Running};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

/// The overlays share the database and Service addresses the manifests name: one at a time.
static ONE_OVERLAY_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The database the overlay's PostgreSQL would create: `POSTGRES_USER`, `POSTGRES_DB` and
/// `POSTGRES_PASSWORD` of its StatefulSet, the password from its Secret.
struct Database {
    user: String,
    name: String,
    password: String,
    /// Where the overlay's `postgres` Service answers.
    host: String,
    port: u16,
}

impl Database {
    /// Creates the role and a fresh database as the postgres image's entrypoint does (the role
    /// without its superuser power: a stricter test), behind the overlay's Service.
    async fn provision(kubelet: &Kubelet, pg: &TestPg) -> Database {
        let statefulset = kubelet.manifests.get("StatefulSet", "postgres");
        let env = &statefulset["spec"]["template"]["spec"]["containers"][0]["env"];
        let var = |name: &str| -> String {
            let var = env
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["name"] == name)
                .unwrap_or_else(|| panic!("the postgres StatefulSet sets no {name}"));
            match var["value"].as_str() {
                Some(value) => value.to_owned(),
                None => {
                    let secret = &var["valueFrom"]["secretKeyRef"];
                    kubelet.manifests.secret(
                        secret["name"].as_str().unwrap(),
                        secret["key"].as_str().unwrap(),
                    )
                }
            }
        };
        let (user, name, password) = (
            var("POSTGRES_USER"),
            var("POSTGRES_DB"),
            var("POSTGRES_PASSWORD"),
        );
        pg.admin_execute(&format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') THEN \
             CREATE ROLE {user} LOGIN; END IF; END $$; \
             ALTER ROLE {user} PASSWORD '{password}';"
        ))
        .await;
        pg.admin_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        pg.admin_execute(&format!("CREATE DATABASE {name} OWNER {user}"))
            .await;
        kubelet
            .services
            .forward(
                "postgres",
                format!("{}:{}", pg.settings.host, pg.settings.port),
            )
            .await;
        let (host, port) = kubelet.services.address("postgres");
        Database {
            user,
            name,
            password,
            host,
            port,
        }
    }

    /// `psql -U <user> -d <db> -c "<sql>"` through the Service, as the guide runs it.
    fn psql(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args(["-h", &self.host, "-p", &self.port.to_string()])
            .args(["-U", &self.user, "-d", &self.name, "-c", sql])
            .env("PGPASSWORD", &self.password)
            .output()
            .expect("psql is installed");
        assert!(out.status.success(), "psql failed: {}", text(&out.stderr));
        text(&out.stdout)
    }
}

/// The guide's execute request through `replica`, with the API key of the overlay's Secret.
async fn execute_guide_request(kubelet: &Kubelet, replica: &Running) -> Value {
    let key = kubelet.manifests.secret("elsa-server-secret", "api-key");
    let resp = reqwest::Client::new()
        .post(replica.url("/elsa/api/workflow-definitions/execute"))
        .header("Content-Type", "application/json")
        .header("Authorization", format!("ApiKey {key}"))
        .body(GUIDE_EXECUTE_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", replica.log());
    resp.json().await.unwrap()
}

/// Every replica logs the guide's "Using PostgreSql provider" for both modules, never the
/// password.
fn assert_uses_postgres(replicas: &[Running], password: &str) {
    for replica in replicas {
        let log = replica.log();
        for module in ["Management", "Runtime"] {
            assert!(
                log.contains(&format!(
                    "Using PostgreSql provider for {module} (Host=postgres;"
                )),
                "{}:\n{log}",
                replica.pod_name
            );
        }
        assert!(
            !log.contains(password),
            "the password reached the log:\n{log}"
        );
    }
}

/// SIGTERM to every replica at once, as a rollout or `kubectl delete` does: each drains and
/// exits 0 within the grace period.
async fn terminate_all(replicas: Vec<Running>, grace: Duration) {
    let names: Vec<String> = replicas.iter().map(|r| r.pod_name.clone()).collect();
    let stopped =
        futures_util::future::join_all(replicas.into_iter().map(|r| r.terminate(grace))).await;
    for (pod, (status, took, log)) in names.iter().zip(stopped) {
        assert!(
            status.success(),
            "{pod} exited with {status} after SIGTERM:\n{log}"
        );
        assert!(took < grace, "{pod} took {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_overlay_runs_as_written() {
    let _one = ONE_OVERLAY_AT_A_TIME.lock().await;
    let kubelet = Kubelet::new("postgres");
    let pg = TestPg::new().await;
    let db = Database::provision(&kubelet, &pg).await;

    // The guide's Option 3: the Job first, to completion.
    let job = kubelet.run_job("elsa-migrations").await;
    assert!(
        job.contains("Applying migration '20261128000000_InitialCreate'"),
        "{job}"
    );
    assert!(job.trim_end().ends_with("Done."), "{job}");

    let started = Instant::now();
    let mut replicas = kubelet.start_deployment("elsa-server").await;
    assert_eq!(replicas.len(), 3, "the guide's production minimum");
    for replica in &mut replicas {
        replica.wait_ready(Duration::from_secs(60)).await;
    }
    assert_uses_postgres(&replicas, &db.password);

    // "Verifying PostgreSQL is Being Used", step 2: the tables.
    let tables = db.psql("\\dt");
    for table in [
        "Elsa_ActivityExecutionRecords",
        "Elsa_Bookmarks",
        "Elsa_WorkflowDefinitions",
        "Elsa_WorkflowInstances",
    ] {
        assert!(tables.contains(table), "{tables}");
    }
    for module in ["Management", "Runtime"] {
        let history = db.psql(&format!(
            "SELECT * FROM \"__EFMigrationsHistory_{module}\";"
        ));
        assert!(history.contains("_InitialCreate"), "{history}");
    }

    // Step 3: the guide's workflow through one replica, then its query.
    let body = execute_guide_request(&kubelet, &replicas[0]).await;
    let id = body["workflowState"]["id"].as_str().unwrap().to_owned();
    let latest = db.psql(
        "SELECT id, status FROM \"Elsa_WorkflowInstances\" ORDER BY created_at DESC LIMIT 1;",
    );
    assert!(
        latest.contains(&id) && latest.contains("Finished"),
        "{latest}"
    );

    // Each replica is a node named by its pod (POD_NAME from the downward API).
    let key = kubelet.manifests.secret("elsa-server-secret", "api-key");
    let nodes = common::json(
        reqwest::Client::new()
            .get(replicas[1].url("/elsa/api/cluster/nodes"))
            .header("Authorization", format!("ApiKey {key}")),
    )
    .await;
    for replica in &replicas {
        let node = nodes["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["nodeId"] == replica.pod_name.as_str())
            .unwrap_or_else(|| panic!("{} is not among the nodes: {nodes}", replica.pod_name));
        assert_eq!(node["state"], "Alive", "{nodes}");
    }

    // The liveness probe, once its initial delay is over, passes on every replica.
    for replica in &replicas {
        let probe = replica
            .container
            .liveness
            .clone()
            .expect("a liveness probe");
        let due = Duration::from_secs(probe.initial_delay_seconds);
        tokio::time::sleep(due.saturating_sub(started.elapsed())).await;
        replica.assert_live().await;
    }

    // Prometheus scrapes each replica anonymously, as the ServiceMonitor says.
    let monitor = kubelet.manifests.get("ServiceMonitor", "elsa-server");
    let path = monitor["spec"]["endpoints"][0]["path"].as_str().unwrap();
    let metrics = reqwest::get(replicas[0].url(path)).await.unwrap();
    assert_eq!(metrics.status(), 200);
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("elsa_workflow_executions_total 1"),
        "{metrics}"
    );

    // SIGTERM: not ready at once, yet still serving through the manifest's shutdown delay,
    // while the Service's endpoints drop the pod.
    replicas[0].send_sigterm();
    let readiness = replicas[0].container.readiness.clone().unwrap();
    eventually(3, "readiness failing after SIGTERM", || async {
        (!replicas[0].probe(&readiness).await).then_some(())
    })
    .await;
    let body = execute_guide_request(&kubelet, &replicas[0]).await;
    assert_eq!(body["workflowState"]["status"], "Finished", "{body}");

    terminate_all(replicas, kubelet.grace_period("elsa-server")).await;
}

/// Option B (the ConfigMap's appsettings.Production.json at /app) and Option 1 (migrations in
/// an init container): the same server, the same checks.
#[tokio::test(flavor = "multi_thread")]
async fn configmap_and_init_container_overlays_run_as_written() {
    let _one = ONE_OVERLAY_AT_A_TIME.lock().await;
    for overlay in ["postgres-configmap", "postgres-init-container"] {
        let kubelet = Kubelet::new(overlay);
        let pg = TestPg::new().await;
        let db = Database::provision(&kubelet, &pg).await;
        if kubelet.manifests.find("Job", "elsa-migrations").is_some() {
            kubelet.run_job("elsa-migrations").await;
        }
        let mut replicas = kubelet.start_deployment("elsa-server").await;
        for replica in &mut replicas {
            replica.wait_ready(Duration::from_secs(60)).await;
        }
        assert_uses_postgres(&replicas, &db.password);
        let body = execute_guide_request(&kubelet, &replicas[2]).await;
        assert_eq!(
            body["workflowState"]["status"], "Finished",
            "{overlay}: {body}"
        );
        terminate_all(replicas, kubelet.grace_period("elsa-server")).await;
    }
}
