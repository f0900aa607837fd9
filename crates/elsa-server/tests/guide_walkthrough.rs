//! The Kubernetes guide, step by step, against a real PostgreSQL: role `elsa_user`, database
//! `elsa_workflows`, the server configured exactly as Option A (environment variables) and as
//! Option B (`appsettings.Production.json`), `elsa-server migrate`, serve, the guide's execute
//! request, then the guide's own `psql` checks. (The test owns `elsa_user`/`elsa_workflows` on
//! the test cluster named by TEST_DATABASE_URL.)

mod common;

use common::{API_KEY, Server, run, text};
use elsa_store::testing::TestPg;
use std::path::Path;
use std::process::Command;

const PASSWORD: &str = "your-secure-password-here";

async fn fresh_database(pg: &TestPg) {
    pg.admin_execute(&format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'elsa_user') THEN \
         CREATE ROLE elsa_user LOGIN PASSWORD '{PASSWORD}'; END IF; END $$;"
    ))
    .await;
    pg.admin_execute("DROP DATABASE IF EXISTS elsa_workflows WITH (FORCE)")
        .await;
    pg.admin_execute("CREATE DATABASE elsa_workflows OWNER elsa_user")
        .await;
}

/// `psql -U elsa_user -d elsa_workflows -c "<sql>"`, as the guide runs it.
fn psql(pg: &TestPg, sql: &str) -> String {
    let out = Command::new("psql")
        .args(["-h", &pg.settings.host, "-p", &pg.settings.port.to_string()])
        .args(["-U", "elsa_user", "-d", "elsa_workflows", "-c", sql])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .expect("psql is installed");
    assert!(out.status.success(), "psql failed: {}", text(&out.stderr));
    text(&out.stdout)
}

async fn walkthrough(pg: &TestPg, cwd: &Path, env: &[(&str, &str)]) {
    let migrate = run(cwd, env, &["migrate"]);
    let stdout = text(&migrate.stdout);
    assert!(
        migrate.status.success(),
        "migrate failed:\n{stdout}\n{}",
        text(&migrate.stderr)
    );
    assert!(
        stdout.contains("Applying migration '20261128000000_InitialCreate'"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with("Done."), "{stdout}");

    let mut env = env.to_vec();
    env.push(("Elsa__Identity__ApiKey", API_KEY));
    // No signing key, as in the guide: the server generates one and stores it in the database.
    // (The harness supplies a key unless told otherwise; an empty value is "not set".)
    env.push(("Elsa__Identity__Tokens__SigningKey", ""));
    let server = Server::start(cwd, &env);
    server.wait_ready().await;
    let log = server.log();
    let host = &pg.settings.host;
    for module in ["Management", "Runtime"] {
        // The default port is left out of the line, as the guide's own line has none.
        let port = match pg.settings.port {
            5432 => String::new(),
            other => format!(";Port={other}"),
        };
        let line = format!(
            "Using PostgreSql provider for {module} (Host={host}{port};Database=elsa_workflows;Username=elsa_user;Password=***)"
        );
        assert!(log.contains(&line), "missing `{line}` in:\n{log}");
    }
    assert!(!log.contains(PASSWORD), "the password never reaches a log");
    assert!(
        !cwd.join("data").exists(),
        "no SQLite file when PostgreSQL is configured"
    );

    let resp = server.execute_guide_request().await;
    assert_eq!(resp.status(), 200);
    let id = resp.headers()["x-elsa-workflow-instance-id"]
        .to_str()
        .unwrap()
        .to_string();
    server.wait_for_output("Hello from Kubernetes!");

    let latest = psql(
        pg,
        "SELECT id, status FROM \"Elsa_WorkflowInstances\" ORDER BY created_at DESC LIMIT 1;",
    );
    assert!(
        latest.contains(&id) && latest.contains("Finished"),
        "{latest}"
    );
    let tables = psql(pg, "\\dt");
    for table in [
        "Elsa_ActivityExecutionRecords",
        "Elsa_Bookmarks",
        "Elsa_WorkflowDefinitions",
        "Elsa_WorkflowInstances",
    ] {
        assert!(
            tables.contains(&format!("public | {table}")),
            "{table} missing:\n{tables}"
        );
    }
    let history = psql(pg, "SELECT * FROM \"__EFMigrationsHistory_Runtime\";");
    assert!(
        history.contains("20261128000000_InitialCreate"),
        "{history}"
    );
    assert_eq!(server.stop().code(), Some(0));
}

#[tokio::test]
async fn guide_option_a_and_option_b() {
    let pg = TestPg::new().await;
    let host = pg.settings.host.clone();
    let port = pg.settings.port.to_string();

    // Option A: environment variables, in the guide's order (POSTGRES_PASSWORD after its use).
    fresh_database(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let connection = format!(
        "Host={host};Port={port};Database=elsa_workflows;Username=elsa_user;Password=$(POSTGRES_PASSWORD)"
    );
    let mut option_a = vec![
        ("ConnectionStrings__PostgreSql", connection.as_str()),
        ("POSTGRES_PASSWORD", PASSWORD),
    ];
    option_a.extend(common::GUIDE_PERSISTENCE);
    walkthrough(&pg, dir.path(), &option_a).await;

    // Option B: the ConfigMap mounted as /app/appsettings.Production.json.
    fresh_database(&pg).await;
    let app = tempfile::tempdir().unwrap();
    let settings = r#"{
      "ConnectionStrings": {
        "PostgreSql": "Host=HOST;Port=PORT;Database=elsa_workflows;Username=elsa_user;Password=$(POSTGRES_PASSWORD)"
      },
      "Elsa": {
        "Modules": {
          "Management": {
            "Persistence": {
              "Provider": "EntityFrameworkCore.PostgreSql",
              "ConnectionStringName": "PostgreSql"
            }
          },
          "Runtime": {
            "Persistence": {
              "Provider": "EntityFrameworkCore.PostgreSql",
              "ConnectionStringName": "PostgreSql"
            }
          }
        }
      }
    }"#
    .replace("HOST", &host)
    .replace("PORT", &port);
    std::fs::write(app.path().join("appsettings.Production.json"), settings).unwrap();
    let option_b = [
        ("ASPNETCORE_ENVIRONMENT", "Production"),
        ("POSTGRES_PASSWORD", PASSWORD),
    ];
    walkthrough(&pg, app.path(), &option_b).await;
    pg.admin_execute("DROP DATABASE IF EXISTS elsa_workflows WITH (FORCE)")
        .await;
}
