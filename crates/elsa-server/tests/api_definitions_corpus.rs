//! Export → import round trip over the Elsa corpus (`ELSA_CORPUS_DIR`, default
//! `../shared/fixtures/elsa-corpus` next to the workspace): every workflow file of a scenario is
//! imported into a fresh server and exported; the exports are imported into a second fresh
//! server, where each definition must load exactly as well as the original did (publishing
//! loads it) and export to the same document. Without the corpus the test passes with a notice.

mod common;

use common::{API_KEY, Server, json as body_of};
use serde_json::Value;
use std::path::{Path, PathBuf};

async fn server(dir: &Path) -> Server {
    let server = Server::start(dir, &[("Elsa__Identity__ApiKey", API_KEY)]);
    server.wait_ready().await;
    server
}

/// Imports a definition document; returns its definition id.
async fn import(server: &Server, document: &Value, what: &str) -> String {
    let resp = server
        .post("/elsa/api/workflow-definitions/import")
        .json(document)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "importing {what}: {status} {body}");
    body["definitionId"].as_str().unwrap().to_string()
}

async fn export(server: &Server, definition_id: &str) -> Value {
    body_of(server.get(&format!(
        "/elsa/api/workflow-definitions/{definition_id}/export?versionOptions=Latest"
    )))
    .await
}

/// Publishing loads the workflow: the status says whether it loads.
async fn publish_status(server: &Server, definition_id: &str) -> u16 {
    server
        .post(&format!(
            "/elsa/api/workflow-definitions/{definition_id}/publish"
        ))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The parts of an export a round trip must keep (ids of versions and dates are the server's).
const KEPT: [&str; 11] = [
    "$schema",
    "definitionId",
    "name",
    "description",
    "variables",
    "inputs",
    "outputs",
    "outcomes",
    "customProperties",
    "options",
    "root",
];

#[tokio::test]
async fn corpus_files_survive_export_and_import() {
    let Some(corpus) = common::corpus_dir("the export/import round trip over it") else {
        return;
    };
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    scenarios.sort();
    let (mut files, mut loading, mut skipped) = (0, 0, 0);
    for scenario in scenarios {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&scenario)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            continue;
        }
        let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (first, second) = (
            server(first_dir.path()).await,
            server(second_dir.path()).await,
        );
        let mut ids = Vec::new();
        for path in &paths {
            let bytes = std::fs::read(path).unwrap();
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            // One docs sample ends in a C-style comment; it is not JSON any server could import.
            let Ok(document) = serde_json::from_slice::<Value>(bytes) else {
                eprintln!("SKIP {}: not a JSON document", path.display());
                skipped += 1;
                continue;
            };
            ids.push(import(&first, &document, &path.display().to_string()).await);
            files += 1;
        }
        ids.dedup();
        let mut exports = Vec::new();
        for id in &ids {
            let exported = export(&first, id).await;
            import(&second, &exported, &format!("the export of {id}")).await;
            exports.push(exported);
        }
        // Publish in passes: a definition using another as an activity loads once that one is
        // published, whatever the file order.
        let mut pending: Vec<&String> = ids.iter().collect();
        for _ in 0..3 {
            let mut still = Vec::new();
            for id in pending {
                let original = publish_status(&first, id).await;
                let again = publish_status(&second, id).await;
                assert_eq!(
                    again,
                    original,
                    "{}: {id} loads differently after export and import",
                    scenario.display()
                );
                if original == 200 {
                    loading += 1;
                } else {
                    still.push(id);
                }
            }
            pending = still;
        }
        for id in pending {
            eprintln!("does not load: {}: {id}", scenario.display());
        }
        for (id, exported) in ids.iter().zip(&exports) {
            let reexported = export(&second, id).await;
            for key in KEPT {
                assert_eq!(
                    reexported[key],
                    exported[key],
                    "{}: {id}: '{key}' changed in export → import → export",
                    scenario.display()
                );
            }
        }
    }
    eprintln!(
        "corpus round trip: {files} files imported ({skipped} skipped), {loading} definitions load and publish"
    );
    assert!(
        files > 0,
        "the corpus at {} has no workflow files",
        corpus.display()
    );
}
