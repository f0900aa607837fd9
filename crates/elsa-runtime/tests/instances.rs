//! Acting on stored instances: variables, cancel, events and resume tokens.

mod support;

use chrono::{TimeZone, Utc};
use elsa_model::{WorkflowDefinitionInput, WorkflowStatus, WorkflowSubStatus};
use elsa_runtime::{
    EventDelivery, EventTarget, ExecuteRequest, Runtime, RuntimeError, TokenPayload,
};
use serde_json::{Map, json};
use support::runtime;

/// Waits for event `Go`, then writes the persisted variable `Counter` and the event payload.
fn waits_for_go() -> WorkflowDefinitionInput {
    WorkflowDefinitionInput {
        variables: Some(vec![json!({
            "id": "counter-id", "name": "Counter", "typeName": "Int32", "value": "1",
            "storageDriverTypeName": "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core"
        })]),
        activities: Some(vec![
            json!({"type": "Elsa.Event", "id": "Event1", "eventName": "Go"}),
            json!({"type": "WriteLine", "text": {"typeName": "String", "expression": {
                "type": "JavaScript", "value": "'n=' + variables.Counter + ' x=' + JSON.stringify(getInput('__EventPayloadWorkflowInput'))"}}}),
        ]),
        ..Default::default()
    }
}

async fn start(rt: &Runtime, correlation: &str) -> String {
    let outcome = rt
        .execute_inline(
            waits_for_go(),
            ExecuteRequest {
                correlation_id: Some(correlation.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome.instance.sub_status, WorkflowSubStatus::Suspended);
    outcome.instance.id
}

#[tokio::test]
async fn variables_are_read_and_written_and_events_resume_matching_instances() {
    let (rt, lines) = runtime().await;
    let a = start(&rt, "a").await;
    let b = start(&rt, "b").await;

    let vars = rt.variables(&a).await.unwrap();
    assert_eq!(vars.len(), 1);
    assert_eq!(
        (vars[0].id.as_str(), vars[0].name.as_str()),
        ("counter-id", "Counter")
    );
    assert_eq!(vars[0].value, json!(1));

    let set = Map::from_iter([
        ("counter-id".to_owned(), json!(5)),
        ("unknown".to_owned(), json!("ignored")),
    ]);
    let vars = rt.set_variables(&a, &set).await.unwrap();
    assert_eq!(vars[0].value, json!(5));
    assert_eq!(rt.variables(&a).await.unwrap()[0].value, json!(5));

    // Only the instance with correlation "a" gets the event; its payload reaches the workflow.
    let payload = Map::from_iter([("x".to_owned(), json!(7))]);
    let target = EventTarget {
        correlation_id: Some("a".into()),
        ..Default::default()
    };
    assert_eq!(
        rt.publish_event("Go", &target, Some(payload), EventDelivery::Synchronous)
            .await
            .unwrap(),
        std::slice::from_ref(&a)
    );
    assert_eq!(*lines.lock().unwrap(), ["n=5 x={\"x\":7}"]);
    let (done, _) = rt.instances().get(&a).await.unwrap().unwrap();
    assert_eq!(done.sub_status, WorkflowSubStatus::Finished);
    let (waiting, _) = rt.instances().get(&b).await.unwrap().unwrap();
    assert_eq!(waiting.sub_status, WorkflowSubStatus::Suspended);

    // Other event names resume nothing.
    let none = rt
        .publish_event(
            "Stop",
            &EventTarget::default(),
            None,
            EventDelivery::Synchronous,
        )
        .await
        .unwrap();
    assert!(none.is_empty());
    assert!(matches!(
        rt.variables("missing").await,
        Err(RuntimeError::InstanceNotFound(_))
    ));
}

#[tokio::test]
async fn cancel_ends_a_suspended_instance_once() {
    let (rt, lines) = runtime().await;
    let id = start(&rt, "c").await;
    assert!(rt.cancel(&id).await.unwrap());
    let (instance, version) = rt.instances().get(&id).await.unwrap().unwrap();
    assert_eq!(instance.status, WorkflowStatus::Finished);
    assert_eq!(instance.sub_status, WorkflowSubStatus::Cancelled);
    assert_eq!(version, 2, "committed under the instance's version");
    assert!(rt.instances().bookmarks(&id).await.unwrap().is_empty());
    assert!(
        !rt.cancel(&id).await.unwrap(),
        "a finished instance stays as it is"
    );
    assert!(
        rt.publish_event(
            "Go",
            &EventTarget::default(),
            None,
            EventDelivery::Synchronous
        )
        .await
        .unwrap()
        .is_empty()
    );
    assert!(lines.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_asynchronous_resume_is_queued_and_done_by_the_worker() {
    let (rt, lines) = runtime().await;
    let id = start(&rt, "async").await;
    let bookmark = rt.instances().bookmarks(&id).await.unwrap().remove(0);
    let token = rt
        .mint_token(
            TokenPayload::Bookmark {
                bookmark_id: bookmark.id,
                workflow_instance_id: id.clone(),
            },
            None,
        )
        .await
        .unwrap();
    rt.resume_with_token(&token, Map::new(), true)
        .await
        .unwrap();
    let (queued, _) = rt.instances().get(&id).await.unwrap().unwrap();
    assert_eq!(queued.sub_status, WorkflowSubStatus::Suspended, "not yet");
    assert_eq!(rt.run_due_work().await.unwrap(), 1);
    let (resumed, _) = rt.instances().get(&id).await.unwrap().unwrap();
    assert_eq!(resumed.sub_status, WorkflowSubStatus::Finished);
    assert_eq!(lines.lock().unwrap().len(), 1);
    // Resuming the consumed bookmark again finds nothing to do.
    rt.resume_with_token(&token, Map::new(), true)
        .await
        .unwrap();
    assert_eq!(rt.run_due_work().await.unwrap(), 1);
    assert_eq!(lines.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn tokens_resume_bookmarks_and_trigger_events_and_forgeries_are_refused() {
    let (rt, lines) = runtime().await;
    let first = start(&rt, "t1").await;
    let second = start(&rt, "t2").await;
    let bookmark = rt.instances().bookmarks(&first).await.unwrap().remove(0);
    let token = rt
        .mint_token(
            TokenPayload::Bookmark {
                bookmark_id: bookmark.id.clone(),
                workflow_instance_id: first.clone(),
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        rt.verify_token(&token).await.unwrap(),
        TokenPayload::Bookmark {
            bookmark_id: bookmark.id,
            workflow_instance_id: first.clone()
        }
    );

    // Tampering with either half, or a token of the other kind, is refused.
    let (body, mac) = token.split_once('.').unwrap();
    let forged = format!("{}A.{mac}", &body[..body.len() - 1]);
    for bad in [
        forged.as_str(),
        "nonsense",
        "a.b",
        &format!("{body}.{}", &mac[1..]),
    ] {
        assert!(
            matches!(
                rt.verify_token(bad).await,
                Err(RuntimeError::InvalidToken(_))
            ),
            "{bad}"
        );
    }
    let expired = rt
        .mint_token(
            TokenPayload::Event {
                event_name: "Go".into(),
                workflow_instance_id: None,
            },
            Some(Utc.with_ymd_and_hms(2025, 12, 31, 0, 0, 0).unwrap()),
        )
        .await
        .unwrap();
    assert!(matches!(
        rt.trigger_with_token(&expired).await,
        Err(RuntimeError::InvalidToken(_))
    ));
    assert!(matches!(
        rt.resume_with_token(&expired, Map::new(), false).await,
        Err(RuntimeError::InvalidToken(_))
    ));

    rt.resume_with_token(&token, Map::new(), false)
        .await
        .unwrap();
    let (resumed, _) = rt.instances().get(&first).await.unwrap().unwrap();
    assert_eq!(resumed.sub_status, WorkflowSubStatus::Finished);

    let event = rt
        .mint_token(
            TokenPayload::Event {
                event_name: "Go".into(),
                workflow_instance_id: Some(second.clone()),
            },
            Some(Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(rt.trigger_with_token(&event).await.unwrap(), [second]);
    assert_eq!(lines.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn an_event_starts_published_workflows_whose_event_can_start_them() {
    let (rt, lines) = runtime().await;
    let definition = WorkflowDefinitionInput {
        name: Some("Started by Go".into()),
        root: Some(
            json!({"type": "Elsa.Sequence", "id": "Sequence1", "activities": [
                {"type": "Elsa.Event", "id": "Start", "customProperties": {"canStartWorkflow": true},
                 "eventName": {"typeName": "String", "expression": {"type": "Literal", "value": "Go"}}},
                {"type": "Elsa.WriteLine", "id": "Say", "text": {"typeName": "String", "expression": {
                    "type": "JavaScript", "value": "'started with ' + JSON.stringify(getInput('__EventPayloadWorkflowInput'))"}}},
                {"type": "Elsa.Event", "id": "Again", "eventName": "Go"}
            ]}),
        ),
        ..Default::default()
    };
    let saved = rt.save_definition(definition, true).await.unwrap();
    let payload = Map::from_iter([("n".to_owned(), json!(1))]);
    let touched = rt
        .publish_event(
            "Go",
            &EventTarget::default(),
            Some(payload),
            EventDelivery::Synchronous,
        )
        .await
        .unwrap();
    assert_eq!(
        touched.len(),
        1,
        "started once, not resumed by the same event"
    );
    assert_eq!(*lines.lock().unwrap(), ["started with {\"n\":1}"]);
    let (started, _) = rt.instances().get(&touched[0]).await.unwrap().unwrap();
    assert_eq!(started.definition_id, saved.definition.definition_id);
    assert_eq!(started.sub_status, WorkflowSubStatus::Suspended);

    // The next event resumes it and starts another; one aimed at an instance starts nothing.
    let touched = rt
        .publish_event(
            "Go",
            &EventTarget::default(),
            None,
            EventDelivery::Synchronous,
        )
        .await
        .unwrap();
    assert_eq!(touched.len(), 2);
    let aimed = EventTarget {
        workflow_instance_id: Some(touched[0].clone()),
        ..Default::default()
    };
    assert_eq!(
        rt.publish_event("Go", &aimed, None, EventDelivery::Synchronous)
            .await
            .unwrap(),
        [touched[0].clone()]
    );
    assert!(
        rt.publish_event(
            "Stop",
            &EventTarget::default(),
            None,
            EventDelivery::Synchronous
        )
        .await
        .unwrap()
        .is_empty()
    );
}
