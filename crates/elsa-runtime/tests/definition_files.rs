//! Definition files: stored as written (Elsa's file provider) or imported and published, then
//! run on a throwaway in-memory runtime, suspended runs resumed until the end.

mod support;

use support::runtime;

use elsa_model::{VersionOptions, WorkflowSubStatus};
use elsa_runtime::{ExecuteRequest, RuntimeError};
use serde_json::{Map, json};

fn file(version: i32, published: bool, text: &str) -> serde_json::Value {
    json!({
        "id": format!("wf-v{version}"), "definitionId": "wf", "version": version,
        "isPublished": published, "isLatest": !published,
        "root": {"type": "Elsa.WriteLine", "text": text},
    })
}

#[tokio::test]
async fn preloaded_files_keep_their_version_and_flags() {
    let (rt, lines) = runtime().await;
    rt.preload(&file(1, true, "published")).await.unwrap();
    let draft = rt.preload(&file(2, false, "draft")).await.unwrap();
    assert_eq!(
        (draft.id.as_str(), draft.version, draft.is_published),
        ("wf-v2", 2, false)
    );

    rt.execute("wf", ExecuteRequest::default()).await.unwrap();
    let latest = ExecuteRequest {
        version_options: Some(VersionOptions::Latest),
        ..ExecuteRequest::default()
    };
    rt.execute("wf", latest).await.unwrap();
    assert_eq!(*lines.lock().unwrap(), ["published", "draft"]);
}

#[tokio::test]
async fn imported_files_are_published_and_run_until_the_end() {
    let (rt, lines) = runtime().await;
    let saved = rt
        .import_published(&json!({
            "definitionId": "waits", "isPublished": false,
            "root": {"type": "Elsa.Sequence", "activities": [
                {"id": "Wait", "type": "Elsa.Event", "eventName": "Go"},
                {"id": "After", "type": "Elsa.WriteLine", "text": "resumed"}]},
        }))
        .await
        .unwrap();
    assert!(
        saved.definition.is_published,
        "import publishes whatever the file says"
    );

    let started = rt
        .execute("waits", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(started.instance.sub_status, WorkflowSubStatus::Suspended);
    let finished = rt.resume_until_end(started, &Map::new(), 10).await.unwrap();
    assert_eq!(finished.instance.sub_status, WorkflowSubStatus::Finished);
    assert_eq!(*lines.lock().unwrap(), ["resumed"]);

    let missing = rt
        .resume(
            "nope",
            elsa_engine::ResumeRequest {
                bookmark_id: "b".into(),
                input: Map::new(),
            },
        )
        .await;
    assert!(matches!(missing, Err(RuntimeError::InstanceNotFound(_))));
}
