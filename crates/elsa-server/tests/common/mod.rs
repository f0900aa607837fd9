//! Runs the real `elsa-server` binary for end-to-end tests.
#![allow(dead_code)] // each test binary uses a different part of this harness

pub mod cluster;
pub mod workflows;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_elsa-server");
/// At least 32 characters: Production (the default environment) refuses a shorter one.
pub const API_KEY: &str = "test-api-key-0123456789-0123456789-abcdef";
/// The JWT signing key test servers get unless a test sets its own: the default environment is
/// Production, which refuses to start without one.
pub const SIGNING_KEY: &str = "test-signing-key-0123456789-0123456789-0123456789";

/// The guide's Option A persistence keys, beside its connection string.
pub const GUIDE_PERSISTENCE: [(&str, &str); 4] = [
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
];

/// A command with a clean environment: only PATH and what the test gives.
pub fn command(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `elsa-server <args>` to completion.
pub fn run(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    command(cwd, env, args).output().expect("run elsa-server")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running server on a random port of 127.0.0.1.
pub struct Server {
    child: Child,
    pub base: String,
    pub stdout: Arc<Mutex<String>>,
    pub stderr: Arc<Mutex<String>>,
}

fn capture(stream: impl std::io::Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut buf = into.lock().unwrap();
            buf.push_str(&line);
            buf.push('\n');
        }
    });
}

impl Server {
    /// Starts `elsa-server` (serve) and waits until it listens.
    pub fn start(cwd: &Path, env: &[(&str, &str)]) -> Server {
        // The workspace's reqwest has TLS without a built-in crypto provider (elsa-runtime's
        // outbound client brings its own): every other client needs ring installed first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut env = env.to_vec();
        env.push(("ASPNETCORE_URLS", "http://127.0.0.1:0"));
        if !env
            .iter()
            .any(|(k, _)| *k == "Elsa__Identity__Tokens__SigningKey")
        {
            env.push(("Elsa__Identity__Tokens__SigningKey", SIGNING_KEY));
        }
        let mut child = command(cwd, &env, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn elsa-server");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        capture(child.stdout.take().unwrap(), stdout.clone());
        capture(child.stderr.take().unwrap(), stderr.clone());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let log = stderr.lock().unwrap().clone();
            if let Some(rest) = log.split("Now listening on: ").nth(1) {
                let base = rest.lines().next().unwrap().trim().to_string();
                return Server {
                    child,
                    base,
                    stdout,
                    stderr,
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("elsa-server exited with {status}:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "elsa-server did not start:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Resets the process's peak resident size (`VmHWM`) to its current size, so
    /// [`Self::peak_rss_kb`] then tells the peak of what follows.
    pub fn reset_peak_rss(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .expect("reset the peak RSS (/proc/PID/clear_refs, Linux 4.0+)");
    }

    /// The process's peak resident size in KiB (`VmHWM` of `/proc/PID/status`).
    pub fn peak_rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn output(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits until the log contains `needle`, and returns the log.
    pub fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            assert!(Instant::now() < deadline, "`{needle}` never logged:\n{log}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until stdout contains `needle`, and returns it: the capture thread reads the pipe a
    /// moment after the server wrote it, so a line written before a response may not be there yet.
    pub fn wait_for_output(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let output = self.output();
            if output.contains(needle) {
                return output;
            }
            assert!(
                Instant::now() < deadline,
                "`{needle}` never written:\n{output}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until a line of stdout satisfies `found` (10 s at most), and returns that line.
    pub async fn output_line(&self, found: impl Fn(&str) -> bool) -> String {
        eventually(10, "the output line", || async {
            self.output().lines().find(|l| found(l)).map(str::to_owned)
        })
        .await
    }

    /// Waits until a line of the log satisfies `found` (10 s at most), and returns that line.
    pub async fn log_line(&self, found: impl Fn(&str) -> bool) -> String {
        eventually(10, "the log line", || async {
            self.log().lines().find(|l| found(l)).map(str::to_owned)
        })
        .await
    }

    /// Polls `/health/ready` until it answers 200.
    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = reqwest::get(self.url("/health/ready"))
                .await
                .map(|r| r.status());
            if status.is_ok_and(|s| s == 200) {
                return;
            }
            assert!(Instant::now() < deadline, "never ready:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// An authenticated request builder.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .post(self.url(path))
            .header("Authorization", format!("ApiKey {API_KEY}"))
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .get(self.url(path))
            .header("Authorization", format!("ApiKey {API_KEY}"))
    }

    /// The Kubernetes guide's execute request, authenticated.
    pub async fn execute_guide_request(&self) -> reqwest::Response {
        self.post("/elsa/api/workflow-definitions/execute")
            .header("Content-Type", "application/json")
            .body(GUIDE_EXECUTE_BODY)
            .send()
            .await
            .unwrap()
    }

    /// SIGTERM, then wait: the server must drain and exit 0.
    pub fn stop(self) -> std::process::ExitStatus {
        self.terminate().wait()
    }

    /// SIGTERM, without waiting: the caller collects the exit status with [`Stopping::wait`].
    pub fn terminate(mut self) -> Stopping {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        // Take the child out so that dropping `self` does not kill it.
        let child = std::mem::replace(
            &mut self.child,
            Command::new("true").spawn().expect("spawn true"),
        );
        Stopping { child }
    }

    /// SIGKILL: the process dies where it stands, as in a crash or an OOM kill.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server that was sent SIGTERM.
pub struct Stopping {
    child: Child,
}

impl Stopping {
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait for elsa-server")
    }
}

/// Polls `check` every 50 ms until it gives a value; fails after `seconds`, saying `what`.
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    seconds: u64,
    what: &str,
    check: impl Fn() -> F,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {seconds} s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port free on 127.0.0.1 at the moment of asking.
/// How many times activity `activity_id` ran, in how many distinct instances: its activity
/// execution records as the database holds them (read through the store, which keeps the
/// latest copy of each record), so a run done twice shows as two records.
pub async fn executions(db: elsa_store::Database, activity_id: &str) -> (i64, i64) {
    let records = elsa_store::InstanceStore::new(db.clone())
        .find_activity_records(&elsa_store::ActivityRecordFilter {
            activity_id: Some(activity_id.to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();
    db.close().await;
    let instances: std::collections::HashSet<&str> =
        records.iter().map(|r| &*r.workflow_instance_id).collect();
    (records.len() as i64, instances.len() as i64)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends a request and reads its JSON body.
pub async fn json(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The guide's request body, verbatim.
pub const GUIDE_EXECUTE_BODY: &str = r#"{
    "workflow": {
      "activities": [
        {
          "id": "1",
          "type": "WriteLine",
          "text": "Hello from Kubernetes!"
        }
      ]
    }
  }"#;

/// The Elsa conformance corpus: `ELSA_CORPUS_DIR`, else `shared/fixtures/elsa-corpus` beside
/// the workspace or one of its ancestors. Absent, outside CI a notice names what `use_` would
/// have checked (the project's own tests never depend on it); in CI (`CI` set) that is a
/// failure, so conformance can never pass by not running.
pub fn corpus_dir(use_: &str) -> Option<std::path::PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = std::env::var_os("ELSA_CORPUS_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            manifest
                .ancestors()
                .skip(2)
                .map(|dir| dir.join("shared/fixtures/elsa-corpus"))
                .find(|dir| dir.is_dir())
        });
    if let Some(corpus) = corpus.filter(|dir| dir.is_dir()) {
        return Some(corpus);
    }
    let message = format!(
        "conformance corpus not found (ELSA_CORPUS_DIR, or shared/fixtures/elsa-corpus beside the workspace or above it); set ELSA_CORPUS_DIR to run {use_}"
    );
    assert!(std::env::var_os("CI").is_none(), "in CI: {message}");
    eprintln!("NOTICE: {message}. Nothing checked.");
    None
}

/// A multipart body with one `files` part per (name, bytes).
pub fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "elsa-test-boundary-7f3a";
    use std::io::Write;
    let mut body = Vec::new();
    for (name, bytes) in files {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The problem body of a response with `status`, whose detail must contain `needle`.
pub async fn problem(resp: reqwest::Response, status: u16, needle: &str) -> serde_json::Value {
    assert_eq!(resp.status(), status);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(needle), "{needle:?} not in {body}");
    body
}

/// The guide's execute request still runs to its end.
pub async fn still_serves(server: &Server) {
    let resp = server
        .post("/elsa/api/workflow-definitions/execute")
        .header("Content-Type", "application/json")
        .body(GUIDE_EXECUTE_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["workflowState"]["subStatus"], "Finished", "{body}");
}

/// Two WriteLines that follow each other forever: a few hundred bytes that never finish.
pub fn endless_cycle() -> serde_json::Value {
    let text = |value: &str| serde_json::json!({"typeName": "String", "expression": {"type": "Literal", "value": value}});
    let connect = |from: &str, to: &str| serde_json::json!({"source": {"activity": from, "port": "Done"}, "target": {"activity": to, "port": "In"}});
    serde_json::json!({"workflow": {"root": {"id": "Cycle", "type": "Elsa.Flowchart",
        "activities": [
            {"id": "Begin", "type": "Elsa.Start"},
            {"id": "Tick", "type": "Elsa.WriteLine", "text": text("tick")},
            {"id": "Tock", "type": "Elsa.WriteLine", "text": text("tock")},
        ],
        "connections": [connect("Begin", "Tick"), connect("Tick", "Tock"), connect("Tock", "Tick")]}}})
}
