//! Cluster mode: three `elsa-server` processes on 127.0.0.1 sharing one PostgreSQL database,
//! started as the guide's Option A starts them (Production, its persistence keys, no token
//! signing key, each pod named by `HOSTNAME`). Tokens from one node work on the others, work is
//! claimed once cluster-wide, timers and cron ticks fire once, and every node lists the others
//! with their figures. "Exactly once" is counted in the database's rows. Also: a second server
//! on the same SQLite file refuses to start.

mod common;

use common::{Server, eventually, run, text};
use elsa_store::testing::TestPg;
use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};
use reqwest::{Client, RequestBuilder};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "cluster-admin-password-0123456789";

/// One cluster at a time: three servers each are what two cores can carry.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One PostgreSQL database and the nodes that share it.
struct Nodes {
    _turn: tokio::sync::MutexGuard<'static, ()>,
    pg: TestPg,
    dir: tempfile::TempDir,
    servers: Vec<Server>,
    client: Client,
}

impl Nodes {
    /// Starts `count` nodes at once (they race to migrate and to store the signing key) and
    /// waits until every one is ready.
    async fn start(count: usize) -> Self {
        // reqwest's TLS needs a crypto provider installed before any client is built.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let turn = ONE_AT_A_TIME.lock().await;
        let pg = TestPg::new().await;
        let dir = tempfile::tempdir().unwrap();
        let mut nodes = Self {
            _turn: turn,
            pg,
            dir,
            servers: Vec::new(),
            client: Client::new(),
        };
        for i in 0..count {
            let server = nodes.spawn(i);
            nodes.servers.push(server);
        }
        join_all(nodes.servers.iter().map(Server::wait_ready)).await;
        nodes
    }

    /// Starts node `i` (`elsa-server-<i>`) with the guide's Option A environment.
    fn spawn(&self, i: usize) -> Server {
        let connection = self.pg.connection_string();
        let hostname = format!("elsa-server-{i}");
        let env = [
            ("ASPNETCORE_ENVIRONMENT", "Production"),
            ("ConnectionStrings__PostgreSql", connection.as_str()),
            ("Elsa__Persistence__Provider", "PostgreSql"),
            ("Elsa__Persistence__ConnectionStringName", "PostgreSql"),
            (
                "Elsa__Modules__Management__Persistence__Provider",
                "EntityFrameworkCore.PostgreSql",
            ),
            (
                "Elsa__Modules__Runtime__Persistence__Provider",
                "EntityFrameworkCore.PostgreSql",
            ),
            ("Elsa__AutoMigrate", "true"),
            ("Elsa__Identity__AdminPassword", ADMIN_PASSWORD),
            // Unset: the harness would otherwise configure one.
            ("Elsa__Identity__Tokens__SigningKey", ""),
            // Kubernetes names each pod's host.
            ("HOSTNAME", hostname.as_str()),
        ];
        Server::start(self.dir.path(), &env)
    }

    /// `SELECT COUNT(*) FROM {from}`.
    async fn count(&self, from: &str) -> i64 {
        self.pg
            .admin_query(&format!(
                "SELECT CAST((SELECT COUNT(*) FROM {from}) AS TEXT)"
            ))
            .await[0]
            .parse()
            .unwrap()
    }

    /// How many times activity `activity_id` ran, in how many distinct instances.
    async fn executions(&self, activity_id: &str) -> (i64, i64) {
        let of = format!("\"Elsa_ActivityExecutionRecords\" WHERE activity_id = '{activity_id}'");
        let distinct = format!(
            "(SELECT DISTINCT workflow_instance_id FROM \"Elsa_ActivityExecutionRecords\" WHERE activity_id = '{activity_id}') AS t"
        );
        (self.count(&of).await, self.count(&distinct).await)
    }

    /// An access token, from a login on node `i`.
    async fn token(&self, i: usize) -> String {
        let body: Value = self
            .client
            .post(self.servers[i].url("/elsa/api/identity/login"))
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {body}"))
            .to_owned()
    }

    fn get(&self, i: usize, path: &str, token: &str) -> RequestBuilder {
        self.client
            .get(self.servers[i].url(path))
            .bearer_auth(token)
    }

    fn post(&self, i: usize, path: &str, token: &str) -> RequestBuilder {
        self.client
            .post(self.servers[i].url(path))
            .bearer_auth(token)
    }

    /// Saves and publishes a definition through node `i`.
    async fn publish(&self, i: usize, token: &str, definition_id: &str, root: Value) {
        let resp = self
            .post(i, "/elsa/api/workflow-definitions", token)
            .json(&json!({"model": {"definitionId": definition_id, "name": definition_id, "root": root}, "publish": true}))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    }

    /// The nodes as node `i` lists them.
    async fn listed(&self, i: usize, token: &str) -> Vec<Value> {
        let body: Value = self
            .get(i, "/elsa/api/cluster/nodes", token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["items"].as_array().unwrap().clone()
    }
}

fn literal(type_name: &str, value: Value) -> Value {
    json!({"typeName": type_name, "expression": {"type": "Literal", "value": value}})
}

fn write_line(id: &str, text: &str) -> Value {
    json!({"id": id, "type": "Elsa.WriteLine", "text": literal("String", json!(text))})
}

fn delay(id: &str, span: &str) -> Value {
    json!({"id": id, "type": "Elsa.Delay", "timeSpan": literal("TimeSpan", json!(span))})
}

fn sequence(activities: Vec<Value>) -> Value {
    json!({"id": "Seq", "type": "Elsa.Sequence", "activities": activities})
}

#[tokio::test]
async fn three_nodes_share_one_generated_signing_key_and_list_each_other() {
    let nodes = Nodes::start(3).await;
    // One key in the database, generated by one node, announced by that node only.
    assert_eq!(
        nodes
            .count("\"Elsa_ServerSecrets\" WHERE name = 'identity-token-signing-key'")
            .await,
        1
    );
    let generated = nodes
        .servers
        .iter()
        .filter(|s| s.log().contains("generated and stored a token signing key"))
        .count();
    assert_eq!(generated, 1, "exactly one node generated the key");
    for server in &nodes.servers {
        assert!(
            !server.log().contains("refusing to start"),
            "{}",
            server.log()
        );
    }

    // A token from node 0 works on 1 and 2; tokens from 1 and 2 work on 0.
    let token = nodes.token(0).await;
    for i in 0..3 {
        let resp = nodes
            .get(i, "/elsa/api/workflow-definitions", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            200,
            "node {i}: {}",
            resp.text().await.unwrap()
        );
    }
    for i in 1..3 {
        let other = nodes.token(i).await;
        let resp = nodes
            .get(0, "/elsa/api/workflow-definitions", &other)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }

    // Every node lists all three, alive, itself marked.
    for i in 0..3 {
        let listed = eventually(10, "three nodes listed", || async {
            let listed = nodes.listed(i, &token).await;
            (listed.len() == 3).then_some(listed)
        })
        .await;
        let ids: Vec<&str> = listed
            .iter()
            .map(|n| n["nodeId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["elsa-server-0", "elsa-server-1", "elsa-server-2"]);
        assert!(listed.iter().all(|n| n["state"] == "Alive"), "{listed:?}");
        let this: Vec<bool> = listed.iter().map(|n| n["thisNode"] == true).collect();
        assert_eq!(this.iter().filter(|t| **t).count(), 1);
        assert!(this[i]);
    }
    assert!(
        nodes.servers[2]
            .log()
            .contains("Nodes sharing this database:"),
        "{}",
        nodes.servers[2].log()
    );

    // A node that stops gracefully is listed as stopped.
    let mut nodes = nodes;
    let stopped = nodes.servers.remove(2);
    assert!(stopped.stop().success());
    let listed = nodes.listed(0, &token).await;
    assert_eq!(listed[2]["state"], "Stopped", "{listed:?}");
}

#[tokio::test]
async fn a_publish_on_one_node_is_served_by_the_others_within_a_second() {
    let nodes = Nodes::start(3).await;
    let token = nodes.token(0).await;
    let hello = |i: usize| {
        nodes
            .client
            .get(nodes.servers[i].url("/workflows/hello"))
            .send()
    };
    // Every node has read its route table: none has the route yet.
    for i in 0..3 {
        assert_eq!(hello(i).await.unwrap().status(), 404);
    }
    let endpoint = sequence(vec![
        json!({"id": "Hello", "type": "Elsa.HttpEndpoint",
               "customProperties": {"canStartWorkflow": true},
               "path": literal("String", json!("/hello")),
               "supportedMethods": {"typeName": "String[]",
                   "expression": {"type": "Object", "value": "[\"GET\"]"}}}),
        json!({"id": "Answer", "type": "Elsa.WriteHttpResponse",
               "statusCode": literal("HttpStatusCode", json!("OK")),
               "content": literal("String", json!("hello"))}),
    ]);
    nodes.publish(0, &token, "hello", endpoint).await;
    let published = Instant::now();
    for i in [1, 2] {
        eventually(5, "the route on the other nodes", || async {
            (hello(i).await.unwrap().status() == 200).then_some(())
        })
        .await;
    }
    let served = published.elapsed();
    assert!(
        served < Duration::from_secs(1),
        "served elsewhere after {served:?}"
    );

    // A retract on another node takes the route away everywhere as quickly.
    let resp = nodes
        .post(1, "/elsa/api/workflow-definitions/hello/retract", &token)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let retracted = Instant::now();
    for i in [0, 2] {
        eventually(5, "the route gone on the other nodes", || async {
            (hello(i).await.unwrap().status() == 404).then_some(())
        })
        .await;
    }
    let gone = retracted.elapsed();
    assert!(
        gone < Duration::from_secs(1),
        "gone elsewhere after {gone:?}"
    );
    println!("a publish was served elsewhere after {served:?}, a retract after {gone:?}");
}

#[tokio::test]
async fn workflows_dispatched_round_robin_each_run_once() {
    const COUNT: usize = 5_000;
    let nodes = Nodes::start(3).await;
    let token = nodes.token(0).await;
    nodes
        .publish(
            0,
            &token,
            "once",
            sequence(vec![write_line("Once", "once")]),
        )
        .await;
    let started = Instant::now();
    let answers: Vec<(u16, String)> = stream::iter(0..COUNT)
        .map(|n| {
            let request = nodes
                .post(
                    n % 3,
                    "/elsa/api/workflow-definitions/once/dispatch",
                    &token,
                )
                .json(&json!({}));
            async move {
                let resp = request.send().await.unwrap();
                let status = resp.status().as_u16();
                (status, resp.text().await.unwrap())
            }
        })
        .buffer_unordered(24)
        .collect()
        .await;
    let failed: Vec<&(u16, String)> = answers.iter().filter(|(s, _)| *s != 200).collect();
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        failed.first()
    );
    eventually(300, "every dispatched workflow finished", || async {
        (nodes
            .count("\"Elsa_WorkflowInstances\" WHERE sub_status = 'Finished'")
            .await
            == COUNT as i64)
            .then_some(())
    })
    .await;
    let took = started.elapsed();
    assert_eq!(
        nodes.executions("Once").await,
        (COUNT as i64, COUNT as i64),
        "each workflow's activity ran exactly once"
    );
    assert_eq!(
        nodes.count("\"Elsa_WorkflowInstances\"").await,
        COUNT as i64
    );
    assert_eq!(nodes.count("\"Elsa_WorkItems\"").await, 0);
    // Every node claimed a share, and the claims add up: each start was claimed once. The
    // figures are those of the last heartbeat, so wait for one after the work.
    let claims = eventually(20, "the heartbeats to report every claim", || async {
        let listed = nodes.listed(1, &token).await;
        let claims: Vec<u64> = listed
            .iter()
            .map(|n| n["claims"].as_u64().unwrap())
            .collect();
        (claims.iter().sum::<u64>() == COUNT as u64).then_some(claims)
    })
    .await;
    assert!(claims.iter().all(|c| *c > 0), "{claims:?}");
    println!("{COUNT} dispatched workflows finished in {took:?}; claims per node {claims:?}");
}

#[tokio::test]
async fn timers_and_cron_ticks_fire_once_cluster_wide() {
    const TIMERS: usize = 1_000;
    let nodes = Nodes::start(3).await;
    let token = nodes.token(0).await;
    nodes
        .publish(
            0,
            &token,
            "waits",
            sequence(vec![
                delay("Wait", "00:00:08"),
                write_line("After", "after"),
            ]),
        )
        .await;
    // 1,000 instances, dispatched through all three nodes, each waiting on an 8 s timer.
    let started = Instant::now();
    join_all((0..3).map(|i| {
        let share = TIMERS / 3 + usize::from(i < TIMERS % 3);
        let request = nodes
            .post(
                i,
                "/elsa/api/workflow-definitions/waits/bulk-dispatch",
                &token,
            )
            .json(&json!({"count": share}));
        async move {
            let resp = request.send().await.unwrap();
            assert_eq!(resp.status(), 200);
        }
    }))
    .await;
    eventually(60, "every timer fired", || async {
        (nodes
            .count("\"Elsa_WorkflowInstances\" WHERE definition_id = 'waits' AND sub_status = 'Finished'")
            .await
            == TIMERS as i64)
            .then_some(())
    })
    .await;
    println!(
        "{TIMERS} timers of 8 s fired within {:?}",
        started.elapsed()
    );
    assert_eq!(
        nodes.executions("After").await,
        (TIMERS as i64, TIMERS as i64),
        "each timer resumed its workflow exactly once"
    );

    // A cron every second: one instance per tick, whichever node fires it.
    nodes
        .publish(
            1,
            &token,
            "ticks",
            sequence(vec![
                json!({"id": "Tick", "type": "Elsa.Cron",
                       "customProperties": {"canStartWorkflow": true},
                       "cronExpression": literal("String", json!("* * * * * *"))}),
                write_line("Ticked", "tick"),
            ]),
        )
        .await;
    let of_ticks = "\"Elsa_WorkflowInstances\" WHERE definition_id = 'ticks'";
    eventually(10, "the first tick", || async {
        (nodes.count(of_ticks).await > 0).then_some(())
    })
    .await;
    let first = Instant::now();
    let before = nodes.count(of_ticks).await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let during = nodes.count(of_ticks).await - before;
    assert!(
        (19..=21).contains(&during),
        "{during} instances in 20 s of a cron every second ({:?} measured)",
        first.elapsed()
    );
    eventually(10, "every tick's workflow finished", || async {
        let total = nodes.count(of_ticks).await;
        (nodes.executions("Ticked").await == (total, total)).then_some(())
    })
    .await;
    // The ticks were fired by the cluster, each once: the nodes' tick counts add up to at
    // least the instances (the figures are those of the last heartbeat).
    let total = nodes.count(of_ticks).await as u64;
    eventually(15, "the heartbeats to report the ticks", || async {
        let listed = nodes.listed(2, &token).await;
        let fired: u64 = listed
            .iter()
            .map(|n| n["tickLateness"]["count"].as_u64().unwrap())
            .sum();
        (fired >= total).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("Elsa__Identity__ApiKey", common::API_KEY)];
    let first = Server::start(dir.path(), &env);
    first.wait_ready().await;
    let second = run(
        dir.path(),
        &[("ASPNETCORE_URLS", "http://127.0.0.1:0")],
        &[],
    );
    assert!(!second.status.success());
    let err = text(&second.stderr);
    assert!(err.contains("SQLite is single-node"), "{err}");
    assert!(err.contains("ConnectionStrings__PostgreSql"), "{err}");
    assert!(err.contains("data/elsa.db"), "{err}");
    // The first one is unharmed, and once it stops the file is free again.
    common::still_serves(&first).await;
    assert!(first.stop().success());
    let again = Server::start(dir.path(), &env);
    again.wait_ready().await;
}
