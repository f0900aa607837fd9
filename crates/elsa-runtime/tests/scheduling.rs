//! Waiting things, on a clock the test moves and with queued work done by
//! `Runtime::run_due_work` (no background worker, so every step is deterministic): timers,
//! scheduled triggers, events published by workflows, tasks, retries and dead letters,
//! retention.

mod support;

use chrono::TimeDelta;
use elsa_model::{WorkflowDefinitionInput, WorkflowStatus, WorkflowSubStatus};
use elsa_runtime::{
    ExecuteOutcome, ExecuteRequest, ImportedInstance, RetentionOptions, Runtime, RuntimeOptions,
};
use elsa_store::{WorkFilter, WorkStatus};
use serde_json::{Value, json};
use support::{ManualClock, runtime_with_clock};

fn literal(type_name: &str, value: Value) -> Value {
    json!({"typeName": type_name, "expression": {"type": "Literal", "value": value}})
}

fn write_line(id: &str, text: &str) -> Value {
    json!({"id": id, "type": "Elsa.WriteLine", "text": literal("String", json!(text))})
}

fn inline(activities: Vec<Value>) -> WorkflowDefinitionInput {
    WorkflowDefinitionInput {
        activities: Some(activities),
        ..Default::default()
    }
}

/// Publishes a definition whose root is a sequence of `activities`.
async fn publish(rt: &Runtime, definition_id: &str, activities: Vec<Value>) {
    rt.import_published(&json!({
        "definitionId": definition_id,
        "name": definition_id,
        "root": {"id": "Seq", "type": "Elsa.Sequence", "activities": activities}
    }))
    .await
    .unwrap();
}

async fn instances_of(
    rt: &Runtime,
    definition_id: &str,
) -> Vec<elsa_model::WorkflowInstanceSummary> {
    rt.instances()
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|i| i.definition_id == definition_id)
        .collect()
}

async fn queued(rt: &Runtime) -> i64 {
    rt.work()
        .list(&WorkFilter::default())
        .await
        .unwrap()
        .total_count
}

async fn step(rt: &Runtime, clock: &ManualClock, by: TimeDelta) -> usize {
    clock.advance(by);
    rt.run_due_work().await.unwrap()
}

/// Runs `[WriteLine before?, Delay span, WriteLine "after"]` up to its delay.
async fn wait_then_write(rt: &Runtime, before: Option<&str>, span: &str) -> ExecuteOutcome {
    let mut activities: Vec<Value> = before
        .map(|text| write_line("A", text))
        .into_iter()
        .collect();
    activities.push(
        json!({"id": "Wait", "type": "Elsa.Delay", "timeSpan": literal("TimeSpan", json!(span))}),
    );
    activities.push(write_line("B", "after"));
    rt.execute_inline(inline(activities), ExecuteRequest::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_delay_resumes_when_its_time_comes_and_not_before() {
    let (rt, lines, clock) = runtime_with_clock().await;
    let outcome = wait_then_write(&rt, Some("before"), "00:05:00").await;
    assert_eq!(outcome.instance.sub_status, WorkflowSubStatus::Suspended);
    assert_eq!(
        queued(&rt).await,
        1,
        "the delay's timer is queued with the state"
    );
    assert_eq!(step(&rt, &clock, TimeDelta::zero()).await, 0);
    assert_eq!(step(&rt, &clock, TimeDelta::seconds(299)).await, 0);
    assert_eq!(step(&rt, &clock, TimeDelta::seconds(1)).await, 1);
    let (instance, _) = rt
        .instances()
        .get(&outcome.instance.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(instance.sub_status, WorkflowSubStatus::Finished);
    assert_eq!(*lines.lock().unwrap(), ["before", "after"]);
    assert_eq!(queued(&rt).await, 0);
}

#[tokio::test]
async fn cancelling_an_instance_cancels_its_timer() {
    let (rt, lines, clock) = runtime_with_clock().await;
    let outcome = wait_then_write(&rt, None, "00:01:00").await;
    assert_eq!(queued(&rt).await, 1);
    assert!(rt.cancel(&outcome.instance.id).await.unwrap());
    assert_eq!(queued(&rt).await, 0, "the timer went with the bookmark");
    assert_eq!(step(&rt, &clock, TimeDelta::minutes(2)).await, 0);
    assert!(lines.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_imported_instance_gets_its_timer_back() {
    let (rt, lines, clock) = runtime_with_clock().await;
    let outcome = wait_then_write(&rt, None, "00:01:00").await;
    let state = outcome.instance.workflow_state.clone();
    rt.delete_instances(std::slice::from_ref(&outcome.instance.id))
        .await
        .unwrap();
    assert_eq!(queued(&rt).await, 0, "deleted with its instance");
    rt.import_instance(ImportedInstance {
        state,
        journal: Vec::new(),
        activity_records: Vec::new(),
    })
    .await
    .unwrap();
    assert_eq!(step(&rt, &clock, TimeDelta::minutes(1)).await, 1);
    assert_eq!(*lines.lock().unwrap(), ["after"]);
}

#[tokio::test]
async fn a_timer_trigger_ticks_on_its_schedule_until_retracted() {
    let (rt, lines, clock) = runtime_with_clock().await;
    publish(
        &rt,
        "every10",
        vec![
            json!({"id": "Tick", "type": "Elsa.Timer", "customProperties": {"canStartWorkflow": true},
                   "interval": literal("TimeSpan", json!("00:00:10"))}),
            write_line("Ticked", "tick"),
        ],
    )
    .await;
    assert_eq!(step(&rt, &clock, TimeDelta::seconds(9)).await, 0);
    assert!(step(&rt, &clock, TimeDelta::seconds(1)).await > 0);
    assert_eq!(instances_of(&rt, "every10").await.len(), 1);
    step(&rt, &clock, TimeDelta::seconds(10)).await;
    assert_eq!(instances_of(&rt, "every10").await.len(), 2);
    // 25 s later the ticks at 30 and 40 are due: each starts once, none twice.
    step(&rt, &clock, TimeDelta::seconds(25)).await;
    assert_eq!(instances_of(&rt, "every10").await.len(), 4);
    step(&rt, &clock, TimeDelta::zero()).await;
    assert_eq!(instances_of(&rt, "every10").await.len(), 4);
    assert_eq!(lines.lock().unwrap().len(), 4);

    rt.retract("every10").await.unwrap();
    step(&rt, &clock, TimeDelta::minutes(5)).await;
    assert_eq!(
        instances_of(&rt, "every10").await.len(),
        4,
        "none after the retract"
    );
}

#[tokio::test]
async fn a_node_that_was_down_fires_missed_ticks_once() {
    let (rt, _, clock) = runtime_with_clock().await;
    publish(
        &rt,
        "every10",
        vec![json!({"id": "Tick", "type": "Elsa.Timer", "customProperties": {"canStartWorkflow": true},
                    "interval": literal("TimeSpan", json!("00:00:10"))})],
    )
    .await;
    // An hour passes with nobody doing the work: the missed ticks count as one.
    step(&rt, &clock, TimeDelta::hours(1)).await;
    assert_eq!(instances_of(&rt, "every10").await.len(), 1);
    step(&rt, &clock, TimeDelta::seconds(10)).await;
    assert_eq!(instances_of(&rt, "every10").await.len(), 2);
}

#[tokio::test]
async fn cron_and_start_at_triggers_fire_at_their_times() {
    let (rt, _, clock) = runtime_with_clock().await;
    publish(
        &rt,
        "five-minutely",
        vec![json!({"id": "Tick", "type": "Elsa.Cron", "customProperties": {"canStartWorkflow": true},
                    "cronExpression": literal("String", json!("0 */5 * * * *"))})],
    )
    .await;
    publish(
        &rt,
        "once",
        vec![json!({"id": "At", "type": "Elsa.StartAt", "customProperties": {"canStartWorkflow": true},
                    "dateTime": literal("DateTimeOffset", json!("2026-01-01T00:07:00+00:00"))})],
    )
    .await;
    step(&rt, &clock, TimeDelta::minutes(4)).await;
    assert!(instances_of(&rt, "five-minutely").await.is_empty());
    step(&rt, &clock, TimeDelta::minutes(1)).await;
    assert_eq!(instances_of(&rt, "five-minutely").await.len(), 1);
    assert!(instances_of(&rt, "once").await.is_empty());
    step(&rt, &clock, TimeDelta::minutes(5)).await;
    assert_eq!(instances_of(&rt, "five-minutely").await.len(), 2);
    assert_eq!(instances_of(&rt, "once").await.len(), 1);
    step(&rt, &clock, TimeDelta::hours(1)).await;
    assert_eq!(
        instances_of(&rt, "once").await.len(),
        1,
        "a start time fires once"
    );
}

#[tokio::test]
async fn a_published_event_resumes_waiters_and_starts_triggered_workflows() {
    let (rt, lines, _) = runtime_with_clock().await;
    publish(
        &rt,
        "waiter",
        vec![
            json!({"id": "Wait", "type": "Elsa.Event", "eventName": literal("String", json!("Ping"))}),
            json!({"id": "Got", "type": "Elsa.WriteLine", "text": {"typeName": "String",
                   "expression": {"type": "JavaScript", "value": "'waiter got ' + JSON.stringify(getResultFromWait())"}}}),
        ],
    )
    .await;
    publish(
        &rt,
        "started-by-ping",
        vec![
            json!({"id": "On", "type": "Elsa.Event", "customProperties": {"canStartWorkflow": true},
                   "eventName": literal("String", json!("Ping"))}),
            write_line("Started", "started by ping"),
        ],
    )
    .await;
    publish(
        &rt,
        "publisher",
        vec![json!({"id": "Pub", "type": "Elsa.PublishEvent",
                    "eventName": literal("String", json!("Ping")),
                    "payload": literal("Object", json!({"n": 1}))})],
    )
    .await;
    let waiter = rt
        .execute("waiter", ExecuteRequest::default())
        .await
        .unwrap();
    let publisher = rt
        .execute("publisher", ExecuteRequest::default())
        .await
        .unwrap();
    assert_eq!(
        publisher.instance.status,
        WorkflowStatus::Finished,
        "publishes and goes on"
    );
    assert!(
        lines.lock().unwrap().is_empty(),
        "delivered in the background"
    );
    rt.run_due_work().await.unwrap();
    let (waiter, _) = rt
        .instances()
        .get(&waiter.instance.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(waiter.sub_status, WorkflowSubStatus::Finished);
    let mut lines = lines.lock().unwrap().clone();
    lines.sort();
    assert_eq!(lines, [r#"started by ping"#, r#"waiter got {"n":1}"#]);
    assert_eq!(instances_of(&rt, "started-by-ping").await.len(), 1);
}

#[tokio::test]
async fn a_local_event_reaches_only_its_own_instance() {
    let (rt, lines, _) = runtime_with_clock().await;
    let waits_then_publishes_locally = vec![
        json!({"id": "Fork", "type": "Elsa.Fork", "joinMode": literal("String", json!("WaitAll")), "branches": [
            {"id": "Branch", "type": "Elsa.Sequence", "activities": [
                {"id": "Wait", "type": "Elsa.Event", "eventName": literal("String", json!("Local"))},
                write_line("Got", "got my own event"),
            ]},
            {"id": "Pub", "type": "Elsa.PublishEvent", "eventName": literal("String", json!("Local")),
             "isLocalEvent": literal("Boolean", json!(true))},
        ]}),
    ];
    publish(&rt, "local", waits_then_publishes_locally).await;
    publish(
        &rt,
        "bystander",
        vec![
            json!({"id": "Wait", "type": "Elsa.Event", "eventName": literal("String", json!("Local"))}),
            write_line("Never", "bystander resumed"),
        ],
    )
    .await;
    let bystander = rt
        .execute("bystander", ExecuteRequest::default())
        .await
        .unwrap();
    let own = rt
        .execute("local", ExecuteRequest::default())
        .await
        .unwrap();
    rt.run_due_work().await.unwrap();
    let (own, _) = rt.instances().get(&own.instance.id).await.unwrap().unwrap();
    assert_eq!(own.sub_status, WorkflowSubStatus::Finished);
    let (bystander, _) = rt
        .instances()
        .get(&bystander.instance.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bystander.sub_status, WorkflowSubStatus::Suspended);
    assert_eq!(*lines.lock().unwrap(), ["got my own event"]);
}

#[tokio::test]
async fn a_completed_task_resumes_run_task_with_its_result() {
    let (rt, lines, _) = runtime_with_clock().await;
    let outcome = rt
        .execute_inline(
            inline(vec![
                json!({"id": "Task", "name": "Task", "type": "Elsa.RunTask",
                       "taskName": literal("String", json!("Approve"))}),
                json!({"id": "Done", "type": "Elsa.WriteLine", "text": {"typeName": "String",
                       "expression": {"type": "JavaScript", "value": "'result ' + JSON.stringify(getResultFromTask())"}}}),
            ]),
            ExecuteRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(outcome.instance.sub_status, WorkflowSubStatus::Suspended);
    let bookmark = &outcome.instance.workflow_state.bookmarks[0];
    assert_eq!(bookmark.name, "Elsa.RunTask");
    assert_eq!(bookmark.payload["taskName"], "Approve");
    let task_id = bookmark.payload["taskId"].as_str().unwrap().to_owned();
    // Another id is no error and resumes nothing.
    rt.complete_task("no-such-task", json!(1)).await.unwrap();
    rt.complete_task(&task_id, json!({"approved": true}))
        .await
        .unwrap();
    rt.run_due_work().await.unwrap();
    let (done, _) = rt
        .instances()
        .get(&outcome.instance.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.sub_status, WorkflowSubStatus::Finished);
    assert_eq!(*lines.lock().unwrap(), [r#"result {"approved":true}"#]);
}

#[tokio::test]
async fn failing_work_is_retried_with_backoff_then_dead_lettered() {
    let (rt, _, clock) = runtime_with_clock().await;
    let rt = rt.with_options(RuntimeOptions {
        max_attempts: 2,
        ..RuntimeOptions::default()
    });
    publish(
        &rt,
        "tasked",
        vec![json!({"id": "Task", "type": "Elsa.RunTask", "taskName": literal("String", json!("T"))})],
    )
    .await;
    let outcome = rt
        .execute("tasked", ExecuteRequest::default())
        .await
        .unwrap();
    let task_id = outcome.instance.workflow_state.bookmarks[0].payload["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    // The version the instance runs is gone: resuming it fails every time.
    rt.delete_version(&outcome.instance.definition_version_id)
        .await
        .unwrap();
    rt.complete_task(&task_id, json!(null)).await.unwrap();
    assert_eq!(rt.run_due_work().await.unwrap(), 1);
    let items = rt.work().list(&WorkFilter::default()).await.unwrap().items;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status, WorkStatus::Pending);
    assert_eq!(items[0].attempts, 1);
    assert!(
        items[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("was not found")
    );
    assert_eq!(
        step(&rt, &clock, TimeDelta::seconds(1)).await,
        0,
        "backing off"
    );
    assert_eq!(step(&rt, &clock, TimeDelta::seconds(1)).await, 1);
    let dead = rt
        .work()
        .list(&WorkFilter {
            status: Some(WorkStatus::DeadLettered),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dead.total_count, 1, "attempts used up");
    assert_eq!(step(&rt, &clock, TimeDelta::hours(1)).await, 0);
}

#[tokio::test]
async fn retention_deletes_old_finished_instances_and_unused_inline_definitions() {
    let (rt, _, clock) = runtime_with_clock().await;
    let finished = rt
        .execute_inline(
            inline(vec![write_line("A", "done")]),
            ExecuteRequest::default(),
        )
        .await
        .unwrap();
    let waiting = rt
        .execute_inline(
            inline(vec![json!({"id": "Wait", "type": "Elsa.Event", "eventName": literal("String", json!("X"))})]),
            ExecuteRequest::default(),
        )
        .await
        .unwrap();
    let options = RetentionOptions {
        finished_instance_ttl: Some(std::time::Duration::from_secs(24 * 3600)),
        ..RetentionOptions::default()
    };
    clock.advance(TimeDelta::hours(23));
    assert_eq!(rt.sweep(&options).await.unwrap(), 0, "not old enough yet");
    clock.advance(TimeDelta::hours(2));
    assert_eq!(rt.sweep(&options).await.unwrap(), 1);
    let instance = |id: String| {
        let rt = &rt;
        async move { rt.instances().get(&id).await.unwrap().is_some() }
    };
    let version = |id: String| {
        let rt = &rt;
        async move { rt.definitions().get(&id).await.unwrap().is_some() }
    };
    assert!(!instance(finished.instance.id.clone()).await);
    assert!(instance(waiting.instance.id.clone()).await);
    // The finished instance's inline definition has no instance left: collected.
    assert!(!version(finished.instance.definition_version_id.clone()).await);
    assert!(
        version(waiting.instance.definition_version_id.clone()).await,
        "still used"
    );
}
