//! Operating on PostgreSQL: concurrent migrators, a schema that is behind, and a server that
//! runs as a user with only SELECT/INSERT/UPDATE/DELETE.

mod common;

use common::{API_KEY, Server, run, text};
use elsa_store::testing::TestPg;

fn pg_env(connection: &str) -> Vec<(&str, &str)> {
    vec![
        ("ConnectionStrings__PostgreSql", connection),
        ("Elsa__Identity__ApiKey", API_KEY),
    ]
}

#[tokio::test]
async fn four_concurrent_migrate_processes_apply_each_migration_once() {
    let pg = TestPg::new().await;
    let cs = pg.connection_string();
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            common::command(dir.path(), &pg_env(&cs), &["migrate"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut applied = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
        assert!(stdout.contains("Done."));
        applied += stdout.matches("Applying migration").count();
    }
    assert_eq!(
        applied, 10,
        "every migration (Management: 5, Runtime: 5) applied once in total"
    );
    let rows = pg
        .admin_query(r#"SELECT "MigrationId" FROM "__EFMigrationsHistory_Management" UNION ALL SELECT "MigrationId" FROM "__EFMigrationsHistory_Runtime""#)
        .await;
    assert_eq!(rows.len(), 10);
    let check = run(dir.path(), &pg_env(&cs), &["migrate", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
}

#[tokio::test]
async fn unmigrated_schema_is_not_ready_and_says_how_to_fix_it() {
    let pg = TestPg::new().await;
    let cs = pg.connection_string();
    let dir = tempfile::tempdir().unwrap();
    let check = run(dir.path(), &pg_env(&cs), &["migrate", "--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(text(&check.stdout).contains("Pending migration '20261128000000_InitialCreate'"));

    let server = Server::start(dir.path(), &pg_env(&cs));
    let ready = reqwest::get(server.url("/health/ready")).await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        reqwest::get(server.url("/health/live"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(
        server.log().contains("run: elsa-server migrate"),
        "{}",
        server.log()
    );

    let migrate = run(
        dir.path(),
        &pg_env(&cs),
        &["migrate", "--module", "management"],
    );
    assert!(migrate.status.success());
    let migrate = run(
        dir.path(),
        &pg_env(&cs),
        &["migrate", "--module", "runtime"],
    );
    assert!(migrate.status.success());
    server.wait_ready().await;
}

#[tokio::test]
async fn a_dml_only_user_runs_the_server_after_migration() {
    let pg = TestPg::new().await;
    let dir = tempfile::tempdir().unwrap();
    let migrate = run(dir.path(), &pg_env(&pg.connection_string()), &["migrate"]);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    let db = pg.settings.database.clone().unwrap();
    pg.admin_execute(&format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'elsa_app') THEN \
         CREATE ROLE elsa_app LOGIN PASSWORD 'app-secret'; END IF; END $$; \
         GRANT CONNECT ON DATABASE \"{db}\" TO elsa_app; \
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO elsa_app;"
    ))
    .await;
    let app_cs = format!(
        "Host={};Port={};Database={db};Username=elsa_app;Password=app-secret",
        pg.settings.host, pg.settings.port
    );
    let server = Server::start(dir.path(), &pg_env(&app_cs));
    server.wait_ready().await;
    let resp = server.execute_guide_request().await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["workflowState"]["subStatus"], "Finished");
}

/// The guide's "Connection refused" pitfall: the server still starts and answers liveness, and
/// readiness says which module's database is unreachable.
#[tokio::test]
async fn unreachable_database_is_not_ready_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let unreachable =
        "Host=127.0.0.1;Port=1;Database=elsa_workflows;Username=elsa_user;Password=x;Timeout=2";
    let server = Server::start(dir.path(), &pg_env(unreachable));
    assert_eq!(
        reqwest::get(server.url("/health/live"))
            .await
            .unwrap()
            .status(),
        200
    );
    let ready = reqwest::get(server.url("/health/ready")).await.unwrap();
    not_ready_because(ready, "unreachable").await;
}

/// Readiness answered 503 and says why for the Management module.
async fn not_ready_because(ready: reqwest::Response, reason: &str) {
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert!(
        body["entries"]["Management"]
            .as_str()
            .unwrap()
            .contains(reason),
        "{body}"
    );
}

/// A database host that accepts connections and never answers (a partition): readiness still
/// answers, 503, well within Kubernetes' default 1 s probe timeout instead of the pool's 15 s.
#[tokio::test]
async fn a_silent_database_is_not_ready_and_readiness_answers_at_once() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::new()));
    tokio::spawn({
        let held = held.clone();
        async move {
            while let Ok((socket, _)) = silent.accept().await {
                held.lock().await.push(socket);
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let connection =
        format!("Host=127.0.0.1;Port={port};Database=elsa_workflows;Username=elsa_user;Password=x");
    let server = Server::start(dir.path(), &pg_env(&connection));
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()
        .unwrap();
    for _ in 0..2 {
        let ready = client
            .get(server.url("/health/ready"))
            .send()
            .await
            .expect("readiness answers within the client's 3 s");
        not_ready_because(ready, "no answer within").await;
    }
}
