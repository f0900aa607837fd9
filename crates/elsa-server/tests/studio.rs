//! The Studio and CORS over HTTP, against the real binary: the shell at `/`, the installed
//! files with their compressed siblings and cache policy, the server without an installation,
//! and CORS preflights from allowed and other origins.

mod common;

use common::{API_KEY, Server, run, text};
use std::path::Path;

const WASM: &[u8] = b"\0asm plain";
const WASM_BR: &[u8] = b"brotli bytes";

/// A stand-in for an installed Studio: the files the server treats specially.
fn fake_studio(dir: &Path) {
    let files: [(&str, &[u8]); 6] = [
        ("_framework/blazor.webassembly.js", b"// boot"),
        ("_framework/dotnet.js", b"// manifest"),
        ("_framework/App.abcde12345.wasm", WASM),
        ("_framework/App.abcde12345.wasm.br", WASM_BR),
        ("_content/Lib/lib.js", b"// lib"),
        ("Elsa.Studio.Host.CustomElements.styles.css", b"body{}"),
    ];
    for (path, content) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn start_with_studio(extra: &[(&str, &str)]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let studio = dir.path().join("studio");
    fake_studio(&studio);
    let mut env = vec![
        ("Elsa__Identity__ApiKey", API_KEY),
        ("Elsa__Studio__Path", studio.to_str().unwrap()),
    ];
    env.extend_from_slice(extra);
    let server = Server::start(dir.path(), &env);
    (dir, server)
}

#[tokio::test]
async fn the_shell_is_at_the_root_and_never_cached() {
    let (_dir, server) = start_with_studio(&[]);
    let page = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control").as_deref(), Some("no-store"));
    assert!(
        header(&page, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<base href="/">"#), "{html}");
    assert!(html.contains("_framework/blazor.webassembly.js"));
    assert!(html.contains(r#"id="blazor-error-ui""#));

    let script = reqwest::get(server.url("/shell/shell.js")).await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script
            .text()
            .await
            .unwrap()
            .contains("elsa-backend-provider")
    );

    let settings: serde_json::Value = reqwest::get(server.url("/appsettings.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["Logging"]["LogLevel"]["Default"], "Warning");
}

#[tokio::test]
async fn studio_files_come_compressed_when_accepted_and_hashed_ones_are_cached_for_good() {
    let (_dir, server) = start_with_studio(&[]);
    let client = reqwest::Client::new();
    let url = server.url("/_framework/App.abcde12345.wasm");

    let br = client
        .get(&url)
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(br.status(), 200);
    assert_eq!(header(&br, "content-encoding").as_deref(), Some("br"));
    assert_eq!(
        header(&br, "content-type").as_deref(),
        Some("application/wasm")
    );
    assert_eq!(
        header(&br, "cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(header(&br, "vary").as_deref(), Some("accept-encoding"));
    assert_eq!(br.bytes().await.unwrap().as_ref(), WASM_BR);

    let plain = client.get(&url).send().await.unwrap();
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(plain.bytes().await.unwrap().as_ref(), WASM);

    // Unhashed files hold the hashes of the others: always revalidated.
    for path in [
        "/_framework/dotnet.js",
        "/_content/Lib/lib.js",
        "/Elsa.Studio.Host.CustomElements.styles.css",
    ] {
        let response = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-cache"),
            "{path}"
        );
    }
    let outside = client
        .get(server.url("/_framework/../../etc/passwd"))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 404);
}

#[tokio::test]
async fn without_the_studio_the_api_runs_and_one_line_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("Elsa__Identity__ApiKey", API_KEY)]);
    let root = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(root.status(), 404);
    assert!(
        root.text()
            .await
            .unwrap()
            .contains("elsa-server studio install")
    );
    let list = server
        .get("/elsa/api/workflow-definitions")
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let log = server.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Studio is not installed"))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(
        lines[0].contains("elsa-server studio install"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains(&*dir.path().join("data/studio/3.8.2").to_string_lossy()));
}

async fn preflight(server: &Server, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            server.url("/elsa/api/workflow-definitions/x/execute"),
        )
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_answers_preflights_of_allowed_origins_and_exposes_the_execute_headers() {
    let studio = "http://studio.example:8080";
    let (_dir, server) = start_with_studio(&[(
        "Elsa__Cors__AllowedOrigins",
        "http://studio.example:8080/, https://other.example",
    )]);
    let allowed = preflight(&server, studio).await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        header(&allowed, "access-control-allow-origin").as_deref(),
        Some(studio)
    );
    let headers = header(&allowed, "access-control-allow-headers").unwrap();
    assert!(headers.contains("authorization"), "{headers}");
    assert!(
        header(&allowed, "access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );

    let list = server
        .get("/elsa/api/workflow-definitions")
        .header("Origin", studio)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let exposed = header(&list, "access-control-expose-headers").unwrap();
    for name in [
        "x-elsa-workflow-instance-id",
        "x-elsa-workflow-cannot-start",
        "content-disposition",
    ] {
        assert!(exposed.contains(name), "{name} not in {exposed}");
    }

    let other = preflight(&server, "http://evil.example").await;
    assert_eq!(header(&other, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn cors_allows_any_origin_unless_configured_like_elsa() {
    let (_dir, server) = start_with_studio(&[]);
    let response = preflight(&server, "http://anywhere.example").await;
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some("*")
    );
}

#[test]
fn a_cors_origin_that_is_not_an_origin_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[(
            "Elsa__Cors__AllowedOrigins",
            "https://ok.example, studio.example",
        )],
        &["config", "check"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Elsa:Cors:AllowedOrigins"), "{stderr}");
    assert!(stderr.contains("studio.example"), "{stderr}");
    assert!(stderr.contains("scheme://host[:port]"), "{stderr}");
}

#[test]
fn config_check_shows_the_cors_origins_and_the_studio() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[("Elsa__Cors__AllowedOrigins__0", "https://studio.example")],
        &["config", "check"],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("CORS allowed origins: https://studio.example  (Elsa:Cors:AllowedOrigins:0 = https://studio.example"),
        "{stdout}"
    );
    assert!(
        stdout.contains("not installed; run: elsa-server studio install"),
        "{stdout}"
    );
}
