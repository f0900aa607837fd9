//! Versioning and execution through the runtime, on an in-memory SQLite database.

mod support;

use support::runtime;

use elsa_model::{VersionOptions, WorkflowDefinitionInput, WorkflowSubStatus};
use elsa_runtime::{ExecuteRequest, RuntimeError};
use serde_json::json;

fn writes(text: &str) -> WorkflowDefinitionInput {
    WorkflowDefinitionInput {
        name: Some(format!("  {text}  ")),
        activities: Some(vec![json!({"type": "WriteLine", "text": text})]),
        ..Default::default()
    }
}

#[tokio::test]
async fn drafts_versions_and_publishing_follow_elsa() {
    let (rt, lines) = runtime().await;
    let v1 = rt
        .save_definition(writes("one"), false)
        .await
        .unwrap()
        .definition;
    assert_eq!(
        (v1.version, v1.is_latest, v1.is_published),
        (1, true, false)
    );
    assert_eq!(v1.name.as_deref(), Some("one"), "names are trimmed");

    // A draft is updated in place.
    let mut again = writes("one, edited");
    again.definition_id = Some(v1.definition_id.clone());
    let same = rt.save_definition(again, false).await.unwrap().definition;
    assert_eq!((same.id.as_str(), same.version), (v1.id.as_str(), 1));

    let published = rt.publish(&v1.definition_id).await.unwrap();
    assert!(published.definition.is_published && !published.already_published);
    assert!(
        rt.publish(&v1.definition_id)
            .await
            .unwrap()
            .already_published
    );

    // Saving over the published version makes version 2, a draft.
    let mut next = writes("two");
    next.definition_id = Some(v1.definition_id.clone());
    let v2 = rt.save_definition(next, false).await.unwrap().definition;
    assert_eq!(
        (v2.version, v2.is_latest, v2.is_published),
        (2, true, false)
    );
    assert_ne!(v2.id, v1.id);
    let published = rt
        .definitions()
        .find(&v1.definition_id, VersionOptions::Published)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((published.version, published.is_latest), (1, false));

    let run = rt
        .execute(&v1.definition_id, ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(run.instance.sub_status, WorkflowSubStatus::Finished);
    assert_eq!(*lines.lock().unwrap(), ["one, edited"]);

    // Publishing v2 leaves exactly one published version.
    rt.publish(&v1.definition_id).await.unwrap();
    let versions = rt.definitions().versions(&v1.definition_id).await.unwrap();
    let flags: Vec<_> = versions
        .iter()
        .map(|d| (d.version, d.is_latest, d.is_published))
        .collect();
    assert_eq!(flags, [(2, true, true), (1, false, false)]);
}

/// A workflow sent again as the same JSON runs from its loaded form, under the definition the
/// first request made; other JSON is not mistaken for it.
#[tokio::test]
async fn inline_workflows_are_found_again_by_the_json_sent() {
    let (rt, lines) = runtime().await;
    let sent = json!({"activities": [{"type": "WriteLine", "text": "again"}]});
    let key = elsa_runtime::inline_content_key(&sent);
    assert_eq!(key, elsa_runtime::inline_content_key(&sent.clone()));
    let other = json!({"activities": [{"type": "WriteLine", "text": "other"}]});
    assert_ne!(key, elsa_runtime::inline_content_key(&other));
    assert!(rt.inline_workflow(&key).is_none(), "nothing sent yet");

    let input: WorkflowDefinitionInput = serde_json::from_value(sent).unwrap();
    let first = rt
        .execute_inline_sent(input, Some(key.clone()), ExecuteRequest::default())
        .await
        .unwrap();
    let known = rt
        .inline_workflow(&key)
        .expect("remembered after the first run");
    let again = rt
        .run_inline(known, ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(again.instance.definition_id, first.instance.definition_id);
    assert_eq!(again.instance.sub_status, WorkflowSubStatus::Finished);
    assert_ne!(again.instance.id, first.instance.id);
    assert_eq!(*lines.lock().unwrap(), ["again", "again"]);
    assert!(
        rt.inline_workflow(&elsa_runtime::inline_content_key(&other))
            .is_none()
    );
}

#[tokio::test]
async fn inline_workflows_share_one_system_definition_and_bad_ones_store_nothing() {
    let (rt, lines) = runtime().await;
    let first = rt
        .execute_inline(writes("hi"), ExecuteRequest::default())
        .await
        .unwrap();
    let second = rt
        .execute_inline(writes("hi"), ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(first.instance.definition_id, second.instance.definition_id);
    assert_ne!(first.instance.id, second.instance.id);
    assert_eq!(lines.lock().unwrap().len(), 2);
    let stored = rt
        .definitions()
        .get(&first.instance.definition_version_id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.is_system && stored.is_published);

    let bad = WorkflowDefinitionInput {
        activities: Some(vec![json!({"type": "NoSuchActivity"})]),
        ..Default::default()
    };
    let err = rt
        .execute_inline(bad, ExecuteRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::InvalidWorkflow { .. }), "{err}");
    let all = rt.definitions().list(&Default::default()).await.unwrap();
    assert_eq!(all.total_count, 1, "the invalid workflow was not stored");
}

#[tokio::test]
async fn unknown_and_unpublished_definitions_are_not_found() {
    let (rt, _) = runtime().await;
    let err = rt
        .execute("missing", ExecuteRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::DefinitionNotFound(_)));
    let draft = rt
        .save_definition(writes("x"), false)
        .await
        .unwrap()
        .definition;
    let err = rt
        .execute(&draft.definition_id, ExecuteRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::DefinitionNotFound(_)));
    let latest = ExecuteRequest {
        version_options: Some(VersionOptions::Latest),
        ..Default::default()
    };
    assert!(rt.execute(&draft.definition_id, latest).await.is_ok());
}
