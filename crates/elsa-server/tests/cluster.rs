//! Cluster mode: three `elsa-server` processes on 127.0.0.1 sharing one PostgreSQL database,
//! started as the guide's Option A starts them (Production, its persistence keys, no token
//! signing key, each pod named by `HOSTNAME`). Tokens from one node work on the others, work is
//! claimed once cluster-wide, timers and cron ticks fire once, and every node lists the others
//! with their figures. "Exactly once" is counted in the database's rows. Also: a second server
//! on the same SQLite file refuses to start.

mod common;

use common::workflows::{cron, delay, event, literal, send_http, sequence, write_line};
use common::{Server, eventually, free_port, run, text};
use elsa_store::testing::TestPg;
use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};
use reqwest::{Client, RequestBuilder};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const ADMIN_PASSWORD: &str = "cluster-admin-password-0123456789";

/// One cluster at a time: three servers each are what two cores can carry.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One PostgreSQL database and the nodes that share it.
struct Nodes {
    _turn: tokio::sync::MutexGuard<'static, ()>,
    /// The test database, dropped with the nodes (none for the failover pair).
    _pg: Option<TestPg>,
    /// Where the test reads rows: the database's primary.
    primary: std::sync::Mutex<elsa_store::PgSettings>,
    /// The connection string nodes are given.
    connection: String,
    dir: tempfile::TempDir,
    servers: Vec<Server>,
    client: Client,
}

impl Nodes {
    /// Starts `count` nodes at once (they race to migrate and to store the signing key) and
    /// waits until every one is ready.
    async fn start(count: usize) -> Self {
        Self::start_with(count, |_, direct| direct.to_owned()).await
    }

    /// [`Self::start`], node `i` reaching PostgreSQL through `connection(i, direct)`.
    async fn start_with(count: usize, connection: impl Fn(usize, &str) -> String) -> Self {
        let turn = ONE_AT_A_TIME.lock().await;
        let pg = TestPg::new().await;
        let (primary, direct) = (pg.settings.clone(), pg.connection_string());
        Self::launch(turn, Some(pg), primary, direct, count, connection).await
    }

    async fn launch(
        turn: tokio::sync::MutexGuard<'static, ()>,
        pg: Option<TestPg>,
        primary: elsa_store::PgSettings,
        direct: String,
        count: usize,
        connection: impl Fn(usize, &str) -> String,
    ) -> Self {
        // reqwest's TLS needs a crypto provider installed before any client is built.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut nodes = Self {
            _turn: turn,
            _pg: pg,
            primary: std::sync::Mutex::new(primary),
            connection: direct,
            dir: tempfile::tempdir().unwrap(),
            servers: Vec::new(),
            client: Client::new(),
        };
        for i in 0..count {
            let server = nodes.spawn(i, &connection(i, &nodes.connection));
            nodes.servers.push(server);
        }
        join_all(nodes.servers.iter().map(Server::wait_ready)).await;
        nodes
    }

    /// Starts a replacement for node `i` as a rolling update of a Deployment does: a new pod,
    /// with a new name, reaching PostgreSQL directly.
    fn spawn_replacement(&self, i: usize) -> Server {
        self.spawn_named(&format!("elsa-server-{i}-new"), &self.connection)
    }

    /// Starts node `i` (`elsa-server-<i>`) with the guide's Option A environment.
    fn spawn(&self, i: usize, connection: &str) -> Server {
        self.spawn_named(&format!("elsa-server-{i}"), connection)
    }

    fn spawn_named(&self, hostname: &str, connection: &str) -> Server {
        let mut env = vec![
            ("ASPNETCORE_ENVIRONMENT", "Production"),
            ("ConnectionStrings__PostgreSql", connection),
            ("Elsa__AutoMigrate", "true"),
            ("Elsa__Identity__AdminPassword", ADMIN_PASSWORD),
            // Unset: the harness would otherwise configure one.
            ("Elsa__Identity__Tokens__SigningKey", ""),
            // Kubernetes names each pod's host.
            ("HOSTNAME", hostname),
        ];
        env.extend(common::GUIDE_PERSISTENCE);
        Server::start(self.dir.path(), &env)
    }

    /// `SELECT COUNT(*) FROM {from}` on the primary.
    async fn count(&self, from: &str) -> i64 {
        use sqlx::Connection;
        let primary = self.primary.lock().unwrap().clone();
        let mut conn = sqlx::PgConnection::connect_with(&elsa_store::pool::pg_options(&primary))
            .await
            .expect("the primary answers");
        let n = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {from}")))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let _ = conn.close().await;
        n
    }

    /// How many times activity `activity_id` ran, in how many distinct instances (read on the
    /// primary).
    async fn executions(&self, activity_id: &str) -> (i64, i64) {
        let primary = self.primary.lock().unwrap().clone();
        let db = elsa_store::Database::connect(&elsa_store::DbSettings::PostgreSql(primary))
            .await
            .unwrap();
        common::executions(db, activity_id).await
    }

    /// An access token, from a login on node `i`.
    async fn token(&self, i: usize) -> String {
        let body = common::json(
            self.client
                .post(self.servers[i].url("/elsa/api/identity/login"))
                .json(&json!({"username": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
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
        let body = common::json(self.get(i, "/elsa/api/cluster/nodes", token)).await;
        body["items"].as_array().unwrap().clone()
    }
}

fn sum_of(listed: &[Value], figure: &str) -> u64 {
    listed.iter().map(|n| n[figure].as_u64().unwrap()).sum()
}

/// A local HTTP server that answers `/slow` after `delay`, counting the requests it got.
struct SlowRemote {
    addr: std::net::SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl SlowRemote {
    async fn start(delay: Duration) -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let app = axum::Router::new().route(
            "/slow",
            axum::routing::get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    tokio::time::sleep(delay).await;
                    "finally"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, hits }
    }

    fn url(&self) -> String {
        format!("http://{}/slow", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A TCP proxy in front of PostgreSQL that the test can cut, as a network partition does:
/// bytes stop flowing both ways (nothing is closed, so neither side learns of it) and new
/// connections get nowhere, until it is mended.
struct Proxy {
    port: u16,
    cut: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let target = target.clone();
                let watch = watch.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        pipe(client_read, server_write, watch.clone()),
                        pipe(server_read, client_write, watch),
                    );
                });
            }
        });
        Self { port, cut }
    }

    fn cut(&self) {
        self.cut.send_replace(true);
    }

    fn mend(&self) {
        self.cut.send_replace(false);
    }
}

/// Copies `from` to `to`, holding still while the proxy is cut.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut cut: tokio::sync::watch::Receiver<bool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        if cut.wait_for(|cut| !cut).await.is_err() {
            return;
        }
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Read before the cut: delivered after it is mended, as a healed network would.
        if cut.wait_for(|cut| !cut).await.is_err() || to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
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
        http_endpoint("Hello", "/hello", true),
        respond("Answer", "hello"),
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

fn http_endpoint(id: &str, path: &str, starts: bool) -> Value {
    json!({"id": id, "type": "Elsa.HttpEndpoint",
           "customProperties": {"canStartWorkflow": starts},
           "path": literal("String", json!(path)),
           "supportedMethods": {"typeName": "String[]",
               "expression": {"type": "Object", "value": "[\"GET\"]"}}})
}

fn respond(id: &str, text: &str) -> Value {
    json!({"id": id, "type": "Elsa.WriteHttpResponse",
           "statusCode": literal("HttpStatusCode", json!("OK")),
           "content": literal("String", json!(text))})
}

#[tokio::test]
async fn events_and_http_requests_at_any_node_resume_instances_wherever_they_ran() {
    let nodes = Nodes::start(3).await;
    let token = nodes.token(0).await;
    let execute = |i: usize, definition: &str, body: Value| {
        let request = nodes
            .post(
                i,
                &format!("/elsa/api/workflow-definitions/{definition}/execute"),
                &token,
            )
            .json(&body);
        async move {
            let body = common::json(request).await;
            assert_eq!(body["workflowState"]["subStatus"], "Suspended", "{body}");
            body["workflowState"]["id"].as_str().unwrap().to_owned()
        }
    };
    let state = |id: String| {
        let request = nodes.get(1, &format!("/elsa/api/workflow-instances/{id}"), &token);
        async move {
            let body = common::json(request).await;
            body["subStatus"].as_str().unwrap_or_default().to_owned()
        }
    };

    // An event published on node 2 resumes the instance suspended on node 0 — only the one
    // it is correlated with.
    nodes
        .publish(
            0,
            &token,
            "approval",
            sequence(vec![
                event("Wait", "Approved"),
                write_line("Approved", "approved"),
            ]),
        )
        .await;
    let first = execute(0, "approval", json!({"correlationId": "c1"})).await;
    let second = execute(1, "approval", json!({"correlationId": "c2"})).await;
    let resp = nodes
        .post(2, "/elsa/api/events/Approved/trigger", &token)
        .json(&json!({"correlationId": "c1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    eventually(10, "the correlated instance resumed", || async {
        (state(first.clone()).await == "Finished").then_some(())
    })
    .await;
    assert_eq!(state(second.clone()).await, "Suspended");
    assert_eq!(nodes.executions("Approved").await, (1, 1));

    // A request on node 2 resumes the HTTP bookmark of an instance that suspended on node 0,
    // and gets that instance's response.
    nodes
        .publish(
            0,
            &token,
            "door",
            sequence(vec![
                http_endpoint("Knock", "/door", false),
                respond("Open", "opened"),
            ]),
        )
        .await;
    let door = execute(0, "door", json!({})).await;
    let resp = nodes
        .client
        .get(nodes.servers[2].url("/workflows/door"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "opened");
    assert_eq!(state(door).await, "Finished");

    // An HTTP-started workflow that suspends answers its caller when it suspends, as Elsa's
    // does (200, nothing written yet); its resumption — on whichever node claims the timer —
    // finishes it, and what it writes then has no caller left to read it.
    nodes
        .publish(
            1,
            &token,
            "later",
            sequence(vec![
                http_endpoint("Ask", "/later", true),
                delay("Pause", "00:00:01"),
                respond("Late", "too late"),
            ]),
        )
        .await;
    let resp = nodes
        .client
        .get(nodes.servers[1].url("/workflows/later"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "");
    eventually(15, "the HTTP workflow resumed after its delay", || async {
        (nodes
            .count("\"Elsa_WorkflowInstances\" WHERE definition_id = 'later' AND sub_status = 'Finished'")
            .await
            == 1)
            .then_some(())
    })
    .await;
    assert_eq!(nodes.executions("Late").await, (1, 1));
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
                cron("Tick", "* * * * * *"),
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

/// Publishes `calls` (a `SendHttpRequest` to `remote`, then `Called`) and executes it on node
/// 2, which holds the request's lease while it waits for the slow remote; returns the
/// caller's answer to come, once the remote has the request.
async fn hold_a_call_on_node_2(
    nodes: &Nodes,
    token: &str,
    remote: &SlowRemote,
) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
    nodes
        .publish(
            0,
            token,
            "calls",
            sequence(vec![
                send_http("Call", &remote.url(), json!({})),
                write_line("Called", "called"),
            ]),
        )
        .await;
    let call = tokio::spawn(
        nodes
            .post(2, "/elsa/api/workflow-definitions/calls/execute", token)
            .json(&json!({}))
            .send(),
    );
    eventually(10, "node 2 calling the remote", || async {
        (remote.hits() == 1).then_some(())
    })
    .await;
    call
}

#[tokio::test]
async fn a_node_killed_mid_work_loses_nothing_and_its_work_runs_once_on_the_others() {
    const DELAYS: usize = 500;
    const REQUESTS: usize = 200;
    let mut nodes = Nodes::start(3).await;
    let token = nodes.token(0).await;
    // Slower than the delays: node 2 still waits for it when it dies.
    let remote = SlowRemote::start(Duration::from_secs(15)).await;
    nodes
        .publish(
            0,
            &token,
            "waits",
            sequence(vec![
                delay("Wait", "00:00:04"),
                write_line("After", "after"),
            ]),
        )
        .await;
    nodes
        .publish(
            0,
            &token,
            "work",
            sequence(vec![
                http_endpoint("Work", "/work", true),
                respond("Done", "done"),
            ]),
        )
        .await;
    // Node 2 holds the lease of a SendHttpRequest: its caller is one of the killed node's.
    let call = hold_a_call_on_node_2(&nodes, &token, &remote).await;
    for i in 0..3 {
        let share = DELAYS / 3 + usize::from(i < DELAYS % 3);
        let resp = nodes
            .post(
                i,
                "/elsa/api/workflow-definitions/waits/bulk-dispatch",
                &token,
            )
            .json(&json!({"count": share}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    // HTTP-triggered workflows in flight on every node when node 2 dies.
    let requests: Vec<_> = (0..REQUESTS)
        .map(|n| {
            let request = nodes
                .client
                .get(nodes.servers[n % 3].url("/workflows/work"))
                .send();
            tokio::spawn(async move { (n % 3, request.await) })
        })
        .collect();
    let of_waits = "\"Elsa_WorkflowInstances\" WHERE definition_id = 'waits'";
    eventually(20, "the delays falling due", || async {
        (nodes
            .count(&format!("{of_waits} AND sub_status = 'Finished'"))
            .await
            > 0)
        .then_some(())
    })
    .await;
    nodes.servers.remove(2).kill();
    let killed = Instant::now();

    let mut refused_elsewhere = Vec::new();
    for request in requests {
        let (node, answer) = request.await.unwrap();
        match answer {
            Ok(resp) => assert_eq!(resp.status(), 200, "node {node}"),
            Err(error) if node == 2 => assert!(!error.is_status(), "{error}"),
            Err(error) => refused_elsewhere.push(format!("node {node}: {error}")),
        }
    }
    assert!(refused_elsewhere.is_empty(), "{refused_elsewhere:?}");
    assert!(
        call.await.unwrap().is_err(),
        "the killed node's caller loses its connection"
    );

    eventually(60, "every delay finished on the survivors", || async {
        (nodes
            .count(&format!("{of_waits} AND sub_status = 'Finished'"))
            .await
            == DELAYS as i64)
            .then_some(())
    })
    .await;
    assert_eq!(
        nodes.executions("After").await,
        (DELAYS as i64, DELAYS as i64),
        "each delayed workflow went on exactly once"
    );
    // The request node 2 was sending is taken over once its lease runs out, and sent again
    // (outbound HTTP is at-least-once); the workflow goes on once.
    eventually(40, "the killed node's HTTP call taken over", || async {
        (remote.hits() == 2).then_some(())
    })
    .await;
    println!(
        "the killed node's work was taken over {:?} after kill -9",
        killed.elapsed()
    );
    eventually(30, "the taken-over call's workflow finished", || async {
        (nodes.executions("Called").await == (1, 1)).then_some(())
    })
    .await;
    assert_eq!(remote.hits(), 2);
    // The figures are those of the last heartbeats.
    eventually(
        20,
        "a survivor's heartbeat counting the expired lease",
        || async {
            let listed = nodes.listed(0, &token).await;
            (sum_of(&listed, "expiredLeases") >= 1).then_some(())
        },
    )
    .await;
    let listed = nodes.listed(0, &token).await;
    assert_eq!(listed[2]["state"], "Lost", "{listed:?}");
    assert_eq!(nodes.count("\"Elsa_WorkItems\"").await, 0);
}

#[tokio::test]
async fn a_node_cut_off_from_the_database_is_fenced_off_when_it_returns() {
    let turn = ONE_AT_A_TIME.lock().await;
    let pg = TestPg::new().await;
    let proxy = Proxy::start(format!("{}:{}", pg.settings.host, pg.settings.port)).await;
    let port = proxy.port;
    let (primary, direct) = (pg.settings.clone(), pg.connection_string());
    // Node 2 reaches PostgreSQL through the proxy.
    let nodes = Nodes::launch(turn, Some(pg), primary, direct, 3, |i, direct| match i {
        2 => direct
            .split(';')
            .map(|part| match part.split_once('=') {
                Some(("Port", _)) => format!("Port={port}"),
                Some(("Host", _)) => "Host=127.0.0.1".to_owned(),
                _ => part.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(";"),
        _ => direct.to_owned(),
    })
    .await;
    let token = nodes.token(0).await;
    // The remote answers after 30 s: long after node 2's lease (20 s) ran out while it was
    // cut off.
    let remote = SlowRemote::start(Duration::from_secs(30)).await;
    let call = hold_a_call_on_node_2(&nodes, &token, &remote).await;
    proxy.cut();
    let cut = Instant::now();
    // A survivor takes the item over once the lease runs out and sends the request again.
    eventually(40, "a survivor taking the call over", || async {
        (remote.hits() == 2).then_some(())
    })
    .await;
    println!("taken over {:?} after the cut", cut.elapsed());
    let listed = nodes.listed(0, &token).await;
    assert_eq!(listed[2]["state"], "Lost", "{listed:?}");
    proxy.mend();
    // Node 2's request comes back first (it was sent first) and its commit is refused: the
    // survivor holds the lease now. Then the survivor's answer arrives and it commits once.
    eventually(60, "the call's workflow finished", || async {
        (nodes.executions("Called").await.0 >= 1).then_some(())
    })
    .await;
    let late = nodes.servers[2]
        .log_line(|line| line.contains("its result here is dropped"))
        .await;
    assert!(late.contains("lease"), "{late}");
    assert_eq!(
        nodes.executions("Called").await,
        (1, 1),
        "the workflow went on once"
    );
    assert_eq!(
        nodes
            .count("\"Elsa_WorkflowInstances\" WHERE definition_id = 'calls' AND sub_status = 'Finished'")
            .await,
        1
    );
    // Node 2's caller waited through it all; whatever it got, node 2 is back and serves.
    let _ = call.await.unwrap();
    eventually(30, "node 2 alive again", || async {
        let listed = nodes.listed(0, &token).await;
        (listed[2]["state"] == "Alive").then_some(())
    })
    .await;
    assert_eq!(nodes.count("\"Elsa_WorkItems\"").await, 0);
}

#[tokio::test]
async fn a_rolling_restart_under_load_fails_no_request() {
    const CLIENTS: usize = 8;
    let mut nodes = Nodes::start(3).await;
    let token = nodes.token(0).await;
    nodes
        .publish(
            0,
            &token,
            "steady",
            sequence(vec![write_line("Step", "step")]),
        )
        .await;
    // Where the clients send: the ready nodes, as a Service's endpoints.
    let endpoints = Arc::new(std::sync::RwLock::new(
        nodes
            .servers
            .iter()
            .map(|s| s.url("/elsa/api/workflow-definitions/steady/execute"))
            .collect::<Vec<_>>(),
    ));
    let stop = CancellationToken::new();
    let load: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (endpoints, stop, token) = (endpoints.clone(), stop.clone(), token.clone());
            let client = nodes.client.clone();
            tokio::spawn(async move {
                let (mut answered, mut retried, mut failed) = (0, 0, Vec::new());
                let mut next = c;
                while !stop.is_cancelled() {
                    let url = {
                        let endpoints = endpoints.read().unwrap();
                        endpoints[next % endpoints.len()].clone()
                    };
                    next += 1;
                    match client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({}))
                        .send()
                        .await
                    {
                        Ok(resp) if resp.status() == 200 => answered += 1,
                        Ok(resp) => failed.push(format!(
                            "{url}: {} {}",
                            resp.status(),
                            resp.text().await.unwrap_or_default()
                        )),
                        // Refused or closed while a node is down: another node is tried.
                        Err(error) if !error.is_status() => retried += 1,
                        Err(error) => failed.push(format!("{url}: {error}")),
                    }
                }
                (answered, retried, failed)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for i in 0..3 {
        let replacement = nodes.spawn_replacement(i);
        let old = std::mem::replace(&mut nodes.servers[i], replacement);
        // The replacement listens on a new port; it joins the endpoints once ready, and
        // the old one's leave when it is gone.
        assert!(
            old.terminate().wait().success(),
            "node {i} drained and exited 0"
        );
        nodes.servers[i].wait_ready().await;
        endpoints.write().unwrap()[i] =
            nodes.servers[i].url("/elsa/api/workflow-definitions/steady/execute");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    stop.cancel();
    let (mut answered, mut retried, mut failed) = (0, 0, Vec::new());
    for client in load {
        let (a, r, f) = client.await.unwrap();
        answered += a;
        retried += r;
        failed.extend(f);
    }
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        failed.first()
    );
    assert!(answered > 100, "{answered} answered");
    println!("rolling restart: {answered} requests answered, {retried} retried on another node");
    // Every answer is one finished run; a request cut off mid-way may have run too.
    let finished = nodes
        .count(
            "\"Elsa_WorkflowInstances\" WHERE definition_id = 'steady' AND sub_status = 'Finished'",
        )
        .await;
    assert!(
        (answered..=answered + retried).contains(&finished),
        "{finished} finished for {answered} answers and {retried} retries"
    );
    assert_eq!(nodes.executions("Step").await, (finished, finished));
}

/// A PostgreSQL primary and its synchronous streaming standby (`scripts/pg-pair.sh`),
/// stopped and removed when dropped.
struct Pair {
    dir: tempfile::TempDir,
}

impl Pair {
    fn run(args: &[&str]) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/pg-pair.sh");
        let status = std::process::Command::new("bash")
            .arg(script)
            .args(args)
            .status()
            .expect("run scripts/pg-pair.sh");
        assert!(status.success(), "pg-pair.sh {args:?} failed");
    }

    fn start(primary: u16, standby: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (p, s) = (primary.to_string(), standby.to_string());
        Self::run(&[
            "start",
            &dir.path().join("pair").display().to_string(),
            &p,
            &s,
        ]);
        Self { dir }
    }

    fn path(&self) -> String {
        self.dir.path().join("pair").display().to_string()
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        Self::run(&["stop", &self.path()]);
    }
}

#[tokio::test]
async fn the_nodes_follow_a_promoted_standby_and_lose_nothing_acknowledged() {
    const CLIENTS: usize = 4;
    let turn = ONE_AT_A_TIME.lock().await;
    let (primary_port, standby_port) = (free_port(), free_port());
    let pair = Pair::start(primary_port, standby_port);
    let server = |port| elsa_store::PgSettings {
        host: "127.0.0.1".into(),
        port,
        database: Some("elsa".into()),
        username: Some("postgres".into()),
        ..Default::default()
    };
    let connection = format!(
        "Host=127.0.0.1:{primary_port},127.0.0.1:{standby_port};Database=elsa;Username=postgres;Target Session Attributes=primary"
    );
    let nodes = Nodes::launch(turn, None, server(primary_port), connection, 3, |_, c| {
        c.to_owned()
    })
    .await;
    let token = nodes.token(0).await;
    nodes
        .publish(
            0,
            &token,
            "steady",
            sequence(vec![write_line("Step", "step")]),
        )
        .await;
    let stop = CancellationToken::new();
    let urls: Vec<String> = nodes
        .servers
        .iter()
        .map(|s| s.url("/elsa/api/workflow-definitions/steady/execute"))
        .collect();
    let load: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (urls, stop, token) = (urls.clone(), stop.clone(), token.clone());
            let client = nodes.client.clone();
            tokio::spawn(async move {
                let (mut acknowledged, mut unavailable, mut failed) = (Vec::new(), 0, Vec::new());
                let mut next = c;
                while !stop.is_cancelled() {
                    let url = &urls[next % urls.len()];
                    next += 1;
                    let resp = client
                        .post(url)
                        .bearer_auth(&token)
                        .json(&json!({}))
                        .send()
                        .await
                        .unwrap();
                    match resp.status().as_u16() {
                        200 => {
                            let body: Value = resp.json().await.unwrap();
                            acknowledged
                                .push(body["workflowState"]["id"].as_str().unwrap().to_owned());
                        }
                        // The database is away: the client may try again later.
                        503 => unavailable += 1,
                        status => failed.push(format!("{status} {}", resp.text().await.unwrap())),
                    }
                }
                (acknowledged, unavailable, failed)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;

    Pair::run(&["fail", &pair.path()]);
    let ready = |i: usize| {
        nodes
            .client
            .get(nodes.servers[i].url("/health/ready"))
            .send()
    };
    eventually(20, "readiness to report the outage", || async {
        (ready(0).await.unwrap().status() == 503).then_some(())
    })
    .await;
    Pair::run(&["promote", &pair.path()]);
    let promoted = Instant::now();
    *nodes.primary.lock().unwrap() = server(standby_port);
    for i in 0..3 {
        eventually(60, "every node ready on the new primary", || async {
            (ready(i).await.unwrap().status() == 200).then_some(())
        })
        .await;
    }
    println!(
        "ready on the promoted standby {:?} after the promotion",
        promoted.elapsed()
    );
    let before = nodes.count("\"Elsa_WorkflowInstances\"").await;
    eventually(30, "runs committed on the new primary", || async {
        (nodes.count("\"Elsa_WorkflowInstances\"").await > before + 20).then_some(())
    })
    .await;
    stop.cancel();
    let (mut acknowledged, mut unavailable, mut failed) = (Vec::new(), 0, Vec::new());
    for client in load {
        let (a, u, f) = client.await.unwrap();
        acknowledged.extend(a);
        unavailable += u;
        failed.extend(f);
    }
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        failed.first()
    );
    println!(
        "failover: {} runs acknowledged, {unavailable} answered 503 during the outage",
        acknowledged.len()
    );
    // Every run a client was told about is on the promoted standby, finished.
    let ids = acknowledged
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    let kept = nodes
        .count(&format!(
            "\"Elsa_WorkflowInstances\" WHERE sub_status = 'Finished' AND id IN ({ids})"
        ))
        .await;
    assert_eq!(
        kept,
        acknowledged.len() as i64,
        "nothing acknowledged is lost"
    );
    for server in &nodes.servers {
        assert!(
            server.log().contains(&format!(
                "127.0.0.1:{standby_port} is the primary server now"
            )),
            "{}",
            server.log()
        );
    }
    drop(nodes);
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
