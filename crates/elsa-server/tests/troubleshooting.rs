//! The guide's Troubleshooting section, symptom by symptom, against the real binary: each test
//! makes the server meet the problem and asserts the exact line it prints for it (and what
//! readiness answers). docs/operations.md quotes these lines and names these tests.

mod common;

use common::{API_KEY, GUIDE_PERSISTENCE, Server, eventually, run, text};
use elsa_store::testing::TestPg;
use std::path::Path;

/// The guide's connection string, for a database that is not there.
const GUIDE_CONNECTION: &str =
    "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=$(POSTGRES_PASSWORD)";

/// Runs `elsa-server` (serve), which must refuse to start: exit 1 and one line on stderr.
fn refused_start(cwd: &Path, env: &[(&str, &str)]) -> String {
    let out = run(cwd, env, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    lines[0].to_owned()
}

/// The JSON `/health/ready` answers, which must be 503.
async fn not_ready(server: &Server) -> serde_json::Value {
    let ready = reqwest::get(server.url("/health/ready")).await.unwrap();
    assert_eq!(ready.status(), 503);
    ready.json().await.unwrap()
}

fn pg_env(connection: &str) -> Vec<(&str, &str)> {
    let mut env = vec![
        ("ConnectionStrings__PostgreSql", connection),
        ("Elsa__Identity__ApiKey", API_KEY),
    ];
    env.extend(GUIDE_PERSISTENCE);
    env
}

// ---- Problem: Elsa Still Uses SQLite ----

/// "Look for: Using Sqlite provider (wrong) / Using PostgreSql provider (correct)", and no
/// `elsa.db` once PostgreSQL is configured — even with the connection string alone.
#[tokio::test]
async fn still_uses_sqlite_the_log_says_which_provider_each_module_uses() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/elsa.db").display().to_string();
    let data_source = format!("Data Source={db}");
    let sqlite = Server::start(
        dir.path(),
        &[
            ("ConnectionStrings__DefaultConnection", data_source.as_str()),
            ("Elsa__Persistence__Provider", "Sqlite"),
            ("Elsa__Identity__ApiKey", API_KEY),
        ],
    );
    for module in ["Management", "Runtime"] {
        sqlite.wait_for_log(&format!(
            " INFO Using Sqlite provider for {module} (Data Source={db})\n"
        ));
    }
    drop(sqlite);

    let pg = TestPg::new().await;
    let connection = pg.connection_string();
    let cwd = tempfile::tempdir().unwrap();
    let only_the_string = [
        ("ConnectionStrings__PostgreSql", connection.as_str()),
        ("Elsa__Identity__ApiKey", API_KEY),
        ("Elsa__AutoMigrate", "true"),
    ];
    let server = Server::start(cwd.path(), &only_the_string);
    server.wait_ready().await;
    // The connection as the server masks it (the password, if any, as ***).
    let masked = elsa_store::DbSettings::PostgreSql(pg.settings.clone());
    let log = server.log();
    for module in ["Management", "Runtime"] {
        let line = format!(" INFO Using PostgreSql provider for {module} ({masked})\n");
        assert!(log.contains(&line), "`{line}` missing:\n{log}");
        assert!(log.contains(&format!(" INFO {module}: neither Elsa:Modules:{module}:Persistence:Provider nor Elsa:Persistence:Provider is set; using PostgreSql, inferred from ConnectionStrings:PostgreSql (from environment variable ConnectionStrings__PostgreSql)\n")), "{log}");
    }
    assert!(
        !cwd.path().join("data/elsa.db").exists(),
        "no elsa.db beside a PostgreSQL configuration"
    );
}

/// "PostgreSQL connection string appears in logs but isn't used": a provider that contradicts
/// the connection string stops the start instead.
#[test]
fn still_uses_sqlite_a_provider_contradicting_the_connection_string_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let line = refused_start(
        dir.path(),
        &[
            (
                "ConnectionStrings__PostgreSql",
                "Host=postgres;Database=elsa_workflows;Username=elsa_user;Password=pw",
            ),
            ("Elsa__Persistence__Provider", "Sqlite"),
        ],
    );
    assert_eq!(
        line,
        "Elsa:Persistence:Provider = Sqlite (from environment variable Elsa__Persistence__Provider) but ConnectionStrings:PostgreSql (from environment variable ConnectionStrings__PostgreSql) is a PostgreSql connection string; set Elsa:Persistence:Provider to PostgreSql, or use a Sqlite connection string"
    );
    assert!(!dir.path().join("data/elsa.db").exists());
}

// ---- Problem: Connection Refused or Timeout ----

/// Nothing listens on the database port: the log and readiness say "Connection refused"
/// (not only that the pool timed out), liveness still answers.
#[tokio::test]
async fn connection_refused_is_logged_and_readiness_says_so() {
    let refused =
        "Host=127.0.0.1;Port=1;Database=elsa_workflows;Username=elsa_user;Password=x;Timeout=2";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &pg_env(refused));
    let live = reqwest::get(server.url("/health/live")).await.unwrap();
    assert_eq!(live.status(), 200);
    let body = not_ready(&server).await;
    assert_eq!(
        body["entries"]["Management"],
        "database unreachable: database error: error communicating with database: Connection refused (os error 111)",
        "{body}"
    );
    server.wait_for_log(" WARN Could not read the Management schema version: database error: error communicating with database: Connection refused (os error 111)\n");
}

/// The guide's wrong-password symptom ("Authentication failures"), from a server on 127.0.0.1
/// that answers the start-up as PostgreSQL does for a wrong password: readiness and the log
/// carry PostgreSQL's own message, never the password.
#[tokio::test]
async fn authentication_failure_is_logged_and_readiness_says_so() {
    let port = refusing_postgres("password authentication failed for user \"elsa_user\"").await;
    let connection = format!(
        "Host=127.0.0.1;Port={port};Database=elsa_workflows;Username=elsa_user;Password=wrong-s3cret"
    );
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &pg_env(&connection));
    let body = not_ready(&server).await;
    assert_eq!(
        body["entries"]["Management"],
        "database unreachable: database error: error returned from database: password authentication failed for user \"elsa_user\"",
        "{body}"
    );
    let log = server.wait_for_log(" WARN Could not read the Management schema version: database error: error returned from database: password authentication failed for user \"elsa_user\"\n");
    assert!(!log.contains("wrong-s3cret"), "{log}");
}

/// A PostgreSQL look-alike on 127.0.0.1 that refuses every start-up with `FATAL 28P01`
/// (invalid_password) and `message`, as the real server does for a wrong password.
async fn refusing_postgres(message: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut fields = Vec::new();
    for (code, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', "28P01"),
        (b'M', message),
    ] {
        fields.push(code);
        fields.extend_from_slice(value.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut error = vec![b'E'];
    error.extend_from_slice(&(fields.len() as i32 + 4).to_be_bytes());
    error.extend_from_slice(&fields);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let error = error.clone();
            tokio::spawn(async move {
                // An SSLRequest (length 8, code 80877103) is declined with `N`; the start-up
                // message that follows is answered with the error.
                loop {
                    let mut head = [0u8; 8];
                    if socket.read_exact(&mut head).await.is_err() {
                        return;
                    }
                    let length = u32::from_be_bytes(head[..4].try_into().unwrap()) as usize;
                    let code = u32::from_be_bytes(head[4..].try_into().unwrap());
                    if length == 8 && code == 80_877_103 {
                        let _ = socket.write_all(b"N").await;
                        continue;
                    }
                    let mut rest = vec![0u8; length.saturating_sub(8)];
                    let _ = socket.read_exact(&mut rest).await;
                    let _ = socket.write_all(&error).await;
                    return;
                }
            });
        }
    });
    port
}

// ---- Problem: Tables Not Created ----

/// "relation 'Elsa_WorkflowDefinitions' does not exist": the server says the schema is behind
/// and how to fix it, stays not ready, and becomes ready once `elsa-server migrate` ran.
#[tokio::test]
async fn tables_not_created_readiness_and_log_say_run_elsa_server_migrate() {
    let pg = TestPg::new().await;
    let connection = pg.connection_string();
    let env = pg_env(&connection);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &env);
    let body = not_ready(&server).await;
    assert_eq!(
        body["entries"]["Management"],
        "the database schema of Management is behind: 5 migration(s) pending; run: elsa-server migrate",
        "{body}"
    );
    assert_eq!(
        body["entries"]["Runtime"],
        "the database schema of Runtime is behind: 5 migration(s) pending; run: elsa-server migrate",
        "{body}"
    );
    server.wait_for_log(" WARN The Management schema is behind: 5 migration(s) pending and Elsa:AutoMigrate is off; run: elsa-server migrate\n");

    let migrate = run(dir.path(), &env, &["migrate"]);
    let stdout = text(&migrate.stdout);
    assert!(
        migrate.status.success(),
        "{stdout}{}",
        text(&migrate.stderr)
    );
    assert!(
        stdout.starts_with("Applying migration '20261128000000_InitialCreate'\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("Done.\n"), "{stdout}");
    // The server that waited starts by itself: ready, and its background work runs (its
    // heartbeat lists it among the nodes), with no restart.
    server.wait_ready().await;
    server.wait_for_log("The schema is current: starting");
    let nodes = eventually(15, "the node's heartbeat", || async {
        let nodes = common::json(server.get("/elsa/api/cluster/nodes")).await;
        (nodes["items"].as_array().is_some_and(|n| n.len() == 1)).then_some(nodes)
    })
    .await;
    assert_eq!(nodes["items"][0]["state"], "Alive", "{nodes}");
}

// ---- Problem: Missing Environment Variables ----

/// "Connection string contains literal $(POSTGRES_PASSWORD)": the start stops and names the
/// variable, instead of sending the literal text as a password.
#[test]
fn missing_environment_variable_stops_the_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = vec![("ConnectionStrings__PostgreSql", GUIDE_CONNECTION)];
    env.extend(GUIDE_PERSISTENCE);
    assert_eq!(
        refused_start(dir.path(), &env),
        "ConnectionStrings:PostgreSql (from environment variable ConnectionStrings__PostgreSql) refers to $(POSTGRES_PASSWORD), which is not set; set POSTGRES_PASSWORD in the container's env (in Kubernetes declare it before the variable that references it), or write $$(POSTGRES_PASSWORD) for a literal"
    );
}

// ---- Problem: ConfigMap Not Mounted ----

/// "Settings in ConfigMap not applied": in Production without appsettings.Production.json the
/// server warns with the path it looked at and the mount that provides it.
#[tokio::test]
async fn configmap_not_mounted_the_log_names_the_path_and_the_mount() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("appsettings.Production.json");
    let server = Server::start(
        dir.path(),
        &[
            ("ASPNETCORE_ENVIRONMENT", "Production"),
            ("Elsa__Identity__ApiKey", API_KEY),
        ],
    );
    let path = file.display();
    server.wait_for_log(&format!(" WARN {path} was not found; if a ConfigMap provides it, mount it with mountPath: {path} and subPath: appsettings.Production.json, otherwise settings come only from appsettings.json and environment variables\n"));
    server.wait_for_log(" INFO Using Sqlite provider for Management (");
}

/// A subPath naming a key the ConfigMap lacks leaves a directory where the file should be.
#[test]
fn configmap_not_mounted_a_subpath_directory_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("appsettings.Production.json");
    std::fs::create_dir(&file).unwrap();
    assert_eq!(
        refused_start(dir.path(), &[("ASPNETCORE_ENVIRONMENT", "Production")]),
        format!(
            "{} is a directory, not a file; a Kubernetes subPath mount creates a directory when the ConfigMap has no key of that name, so add the key to the ConfigMap or fix the subPath",
            file.display()
        )
    );
}
