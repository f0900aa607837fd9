//! A definition's life after save and publish: retract, revert, delete, import, consumers and
//! reference updates, with read-only definitions refused.

mod support;

use support::runtime;

use elsa_model::{VersionOptions, WorkflowDefinitionInput};
use elsa_runtime::{ExecuteRequest, RuntimeError, definition_input};
use serde_json::{Value, json};

fn input(definition_id: &str, text: &str) -> WorkflowDefinitionInput {
    WorkflowDefinitionInput {
        definition_id: Some(definition_id.into()),
        name: Some(definition_id.into()),
        root: Some(json!({"type": "Elsa.WriteLine", "id": "Say", "version": 1, "text": text})),
        ..Default::default()
    }
}

#[tokio::test]
async fn retract_revert_and_delete_follow_elsas_versioning() {
    let (rt, lines) = runtime().await;
    rt.save_definition(input("wf", "one"), true).await.unwrap();
    rt.save_definition(input("wf", "two"), false).await.unwrap();

    let retracted = rt.retract("wf").await.unwrap();
    assert_eq!((retracted.version, retracted.is_published), (1, false));
    assert!(matches!(
        rt.retract("wf").await,
        Err(RuntimeError::NotPublished(_))
    ));
    assert!(matches!(
        rt.execute("wf", ExecuteRequest::default()).await,
        Err(RuntimeError::DefinitionNotFound(_))
    ));

    // Revert copies version 1 as version 3, the new latest draft.
    let reverted = rt.revert("wf", 1).await.unwrap();
    assert_eq!(
        (reverted.version, reverted.is_latest, reverted.is_published),
        (3, true, false)
    );
    assert_eq!(reverted.root["text"], "one");
    let flags: Vec<(i32, bool)> = rt
        .definitions()
        .versions("wf")
        .await
        .unwrap()
        .iter()
        .map(|d| (d.version, d.is_latest))
        .collect();
    assert_eq!(flags, [(3, true), (2, false), (1, false)]);
    assert!(matches!(
        rt.revert("wf", 9).await,
        Err(RuntimeError::DefinitionNotFound(_))
    ));

    // Deleting the latest version makes the next highest the latest.
    rt.delete_version(&reverted.id).await.unwrap();
    let latest = rt
        .definitions()
        .find("wf", VersionOptions::Latest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.version, 2);

    // Deleting the definition takes its instances too.
    rt.publish("wf").await.unwrap();
    let run = rt.execute("wf", ExecuteRequest::default()).await.unwrap();
    assert_eq!(*lines.lock().unwrap(), ["two"]);
    rt.delete_definition("wf").await.unwrap();
    assert!(rt.definitions().versions("wf").await.unwrap().is_empty());
    assert!(
        rt.instances()
            .get(&run.instance.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        rt.delete_definition("wf").await,
        Err(RuntimeError::DefinitionNotFound(_))
    ));
}

#[tokio::test]
async fn read_only_definitions_refuse_every_change() {
    let (rt, _) = runtime().await;
    let stored = rt
        .preload(&json!({
            "id": "ro-v1", "definitionId": "ro", "isReadonly": true,
            "root": {"type": "Elsa.WriteLine", "text": "x"}
        }))
        .await
        .unwrap();
    assert!(stored.is_readonly && stored.is_published);
    let read_only = |r: Result<_, RuntimeError>| matches!(r, Err(RuntimeError::ReadOnly(_)));
    assert!(read_only(rt.retract("ro").await.map(|_| ())));
    assert!(read_only(rt.revert("ro", 1).await.map(|_| ())));
    assert!(read_only(rt.delete_version("ro-v1").await.map(|_| ())));
    assert!(read_only(rt.delete_definition("ro").await));
    assert!(read_only(rt.import(input("ro", "y")).await.map(|_| ())));
    assert_eq!(rt.definitions().versions("ro").await.unwrap().len(), 1);
}

#[tokio::test]
async fn import_stores_a_draft_with_node_ids_and_reports_new_definitions() {
    let (rt, _) = runtime().await;
    let model = json!({
        "id": "ignored", "definitionId": "imp", "name": "Imported", "isPublished": true,
        "version": 7, "variables": [{"id": "v", "name": "Counter", "typeName": "Int32"}],
        "root": {"type": "Elsa.Flowchart", "id": "Flow", "version": 1, "activities": [
            {"type": "Elsa.WriteLine", "id": "Say", "version": 1, "text": "hi"},
            {"type": "Elsa.WriteLine", "version": 1, "text": "generated id"}
        ], "connections": []}
    });
    let first = rt.import(definition_input(&model).unwrap()).await.unwrap();
    assert!(first.is_new);
    let d = first.definition;
    assert_eq!((d.version, d.is_latest, d.is_published), (1, true, false));
    assert_ne!(d.id, "ignored");
    assert_eq!(d.variables.len(), 1);
    assert_eq!(d.root["nodeId"], "Workflow1:Flow");
    assert_eq!(d.root["activities"][0]["nodeId"], "Workflow1:Flow:Say");
    assert_eq!(d.root["activities"][1]["id"], "WriteLine1");

    // Again: the same draft is updated in place, and lists the model leaves out are emptied.
    let mut again = model.clone();
    again.as_object_mut().unwrap().remove("variables");
    let second = rt.import(definition_input(&again).unwrap()).await.unwrap();
    assert!(!second.is_new);
    assert_eq!((second.definition.id, second.definition.version), (d.id, 1));
    assert!(second.definition.variables.is_empty());
}

fn usable(definition_id: &str, name: &str, root: Value) -> Value {
    json!({
        "id": format!("{definition_id}-v1"), "definitionId": definition_id, "name": name,
        "options": {"usableAsActivity": true}, "root": root
    })
}

#[tokio::test]
async fn consumers_are_found_transitively_and_references_updated() {
    let (rt, lines) = runtime().await;
    rt.preload(&usable(
        "leaf",
        "Leaf",
        json!({"type": "Elsa.WriteLine", "id": "W", "text": "leaf v1"}),
    ))
    .await
    .unwrap();
    rt.preload(&usable(
        "middle",
        "Middle",
        json!({"type": "Elsa.Sequence", "id": "S", "activities": [
            {"type": "Leaf", "id": "L", "version": 1, "workflowDefinitionId": "leaf"}
        ]}),
    ))
    .await
    .unwrap();
    rt.preload(&json!({"id": "top-v1", "definitionId": "top", "name": "Top",
        "root": {"type": "Elsa.Sequence", "id": "S", "activities": [{"type": "Middle", "id": "M", "version": 1}]}}))
        .await
        .unwrap();

    assert_eq!(rt.consumers("leaf").await.unwrap(), ["middle", "top"]);
    assert_eq!(rt.consumers("middle").await.unwrap(), ["top"]);
    assert!(rt.consumers("top").await.unwrap().is_empty());
    assert!(matches!(
        rt.consumers("nope").await,
        Err(RuntimeError::DefinitionNotFound(_))
    ));

    // A new published leaf: update-references gives `middle` a draft naming version 2.
    let mut leaf = input("leaf", "leaf v2");
    leaf.name = Some("Leaf".into());
    rt.save_definition(leaf, true).await.unwrap();
    let updated = rt.update_references("leaf").await.unwrap();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].definition_id, "middle");
    let middle = rt
        .definitions()
        .find("middle", VersionOptions::Latest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((middle.version, middle.is_published), (2, false));
    assert_eq!(middle.root["activities"][0]["version"], 2);
    assert!(
        rt.update_references("leaf").await.unwrap().is_empty(),
        "nothing left to update"
    );

    // `top` still names middle version 1, which names leaf version 1.
    rt.execute("top", ExecuteRequest::default()).await.unwrap();
    rt.publish("middle").await.unwrap();
    rt.execute("middle", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(*lines.lock().unwrap(), ["leaf v1", "leaf v2"]);
}
