//! Stimuli from outside: published events (start workflows whose `Elsa.Event` is a start
//! trigger, resume `Elsa.Event` bookmarks), completed tasks (`Elsa.RunTask` bookmarks) and
//! bookmark-resume tokens.
//!
//! An event causes one start per matching trigger and one resume per matching bookmark.
//! Delivered asynchronously — Elsa's default — the event is a work item the worker replaces by
//! those starts and resumes, with ids derived from the event's own, so an event whose delivery
//! crashed half-way still starts and resumes each instance once. Delivered synchronously, the
//! request runs them before answering, as Elsa does.

use crate::tokens::TokenPayload;
use crate::triggers::EVENT;
use crate::work::{EventWork, ResumeWork, StartWork, Work, derived_id};
use crate::{ExecuteRequest, Runtime, RuntimeError};
use elsa_engine::{RUN_TASK_INPUT, ResumeError, ResumeRequest, bookmark_hash};
use elsa_model::VersionOptions;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The workflow input key the event payload travels under (the `Event` activity reads it).
const EVENT_PAYLOAD_INPUT: &str = "__EventPayloadWorkflowInput";
/// The stimulus of task bookmarks.
const RUN_TASK: &str = "Elsa.RunTask";

/// Which waiting instances an event is for; unset fields match any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EventTarget {
    pub correlation_id: Option<String>,
    pub workflow_instance_id: Option<String>,
    pub activity_instance_id: Option<String>,
}

/// What an event causes: workflows its triggers start, and bookmarks it resumes (each with
/// the id of its work item).
#[derive(Default)]
struct Deliveries {
    starts: Vec<StartWork>,
    resumes: Vec<(String, ResumeWork)>,
}

/// Elsa's `WorkflowExecutionMode` for published events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EventDelivery {
    /// Queued; the worker delivers it (Elsa's default).
    #[default]
    Asynchronous,
    /// Delivered before the call returns: the started and resumed instances have run.
    Synchronous,
}

impl Runtime {
    /// Publishes an event. Without a target instance, every published workflow whose
    /// `Elsa.Event` for `event_name` can start it starts a new instance; every `Elsa.Event`
    /// bookmark waiting for `event_name` (and matching `target`) is resumed. `payload` is the
    /// event payload either way. Returns the ids of the instances started and resumed when
    /// delivered synchronously (none otherwise).
    pub async fn publish_event(
        &self,
        event_name: &str,
        target: &EventTarget,
        payload: Option<Map<String, Value>>,
        delivery: EventDelivery,
    ) -> Result<Vec<String>, RuntimeError> {
        let event = EventWork {
            event_name: event_name.to_owned(),
            target: target.clone(),
            payload: payload.map_or(Value::Null, Value::Object),
        };
        let id = self.ids.new_id();
        let now = self.clock.now();
        match delivery {
            EventDelivery::Asynchronous => {
                let row = Work::PublishEvent(event).row(id, now, None);
                self.work.insert(&[row], now).await?;
                self.wake_worker();
                Ok(Vec::new())
            }
            EventDelivery::Synchronous => {
                let deliveries = self.event_work(&id, &event).await?;
                self.deliver_now(deliveries).await
            }
        }
    }

    /// Reports a task of an `Elsa.RunTask` activity complete: the instances waiting for it
    /// are resumed with `result` as the activity's `Result` — in the background, as Elsa
    /// does; a task nobody waits for (any more) is no error.
    pub async fn complete_task(&self, task_id: &str, result: Value) -> Result<(), RuntimeError> {
        let hash = bookmark_hash(RUN_TASK, &json!({"taskId": task_id}));
        let now = self.clock.now();
        let rows: Vec<_> = self
            .instances
            .bookmarks_matching(RUN_TASK, &hash, None, None)
            .await?
            .into_iter()
            .map(|stored| {
                let id = derived_id(&["task", &stored.bookmark.id]);
                let work = Work::Resume(ResumeWork {
                    instance_id: stored.workflow_instance_id,
                    bookmark_id: stored.bookmark.id,
                    input: Map::from_iter([(RUN_TASK_INPUT.to_owned(), result.clone())]),
                });
                work.row(id, now, None)
            })
            .collect();
        self.work.insert(&rows, now).await?;
        self.wake_worker();
        Ok(())
    }

    /// Queues the work an event causes in place of the event's own work item (both in one
    /// transaction), for the worker to do.
    pub(crate) async fn fan_out_event(
        &self,
        id: &str,
        event: EventWork,
    ) -> Result<(), RuntimeError> {
        let now = self.clock.now();
        let deliveries = self.event_work(id, &event).await?;
        let starts = deliveries.starts.into_iter().map(|start| {
            let id = derived_id(&["start", &start.instance_id]);
            Work::Start(start).row(id, now, None)
        });
        let resumes = deliveries
            .resumes
            .into_iter()
            .map(|(id, resume)| Work::Resume(resume).row(id, now, None));
        let rows: Vec<_> = starts.chain(resumes).collect();
        self.work.replace(&self.fence(id), &rows, now).await?;
        self.wake_worker();
        Ok(())
    }

    /// The starts and resumes an event causes, with ids derived from the event's id `seed`.
    /// The bookmarks are read before anything starts, so an instance the event starts is never
    /// resumed by the same event.
    async fn event_work(&self, seed: &str, event: &EventWork) -> Result<Deliveries, RuntimeError> {
        let EventWork {
            event_name,
            target,
            payload,
        } = event;
        let payload = match payload {
            Value::Null => json!({}),
            other => other.clone(),
        };
        let input = Map::from_iter([(EVENT_PAYLOAD_INPUT.to_owned(), payload)]);
        let mut deliveries = Deliveries::default();
        if target.workflow_instance_id.is_none() && target.activity_instance_id.is_none() {
            for (definition_id, activity_id) in self.event_triggers(event_name).await? {
                let instance_id = derived_id(&["event", seed, &definition_id, &activity_id]);
                deliveries.starts.push(StartWork {
                    instance_id,
                    definition_id,
                    correlation_id: target.correlation_id.clone(),
                    input: input.clone(),
                    trigger_activity_id: Some(activity_id),
                    ..StartWork::default()
                });
            }
        }
        let hash = bookmark_hash(EVENT, &json!({"eventName": event_name}));
        let waiting = self
            .instances
            .bookmarks_matching(
                EVENT,
                &hash,
                target.workflow_instance_id.as_deref(),
                target.correlation_id.as_deref(),
            )
            .await?;
        for stored in waiting {
            let bookmark = stored.bookmark;
            if target
                .activity_instance_id
                .as_ref()
                .is_some_and(|id| *id != bookmark.activity_instance_id)
            {
                continue;
            }
            deliveries.resumes.push((
                derived_id(&["event", seed, &bookmark.id]),
                ResumeWork {
                    instance_id: stored.workflow_instance_id,
                    bookmark_id: bookmark.id,
                    input: input.clone(),
                },
            ));
        }
        Ok(deliveries)
    }

    /// Delivers an event in this request, as Elsa's synchronous mode does: every start and
    /// resume runs before the answer. Like Elsa's, this delivery is not queued — a caller left
    /// without an answer sends the event again. Returns the instances started and resumed.
    async fn deliver_now(&self, deliveries: Deliveries) -> Result<Vec<String>, RuntimeError> {
        let mut touched = Vec::new();
        for start in deliveries.starts {
            let request = ExecuteRequest {
                instance_id: Some(start.instance_id),
                version_options: Some(VersionOptions::Published),
                correlation_id: start.correlation_id,
                input: start.input,
                trigger_activity_id: start.trigger_activity_id,
                ..ExecuteRequest::default()
            };
            touched.push(
                self.execute(&start.definition_id, request)
                    .await?
                    .instance
                    .id,
            );
        }
        for (_, resume) in deliveries.resumes {
            let request = ResumeRequest {
                bookmark_id: resume.bookmark_id,
                input: resume.input,
            };
            match self.resume(&resume.instance_id, request).await {
                Ok(outcome) => touched.push(outcome.instance.id),
                // Resumed or ended meanwhile (another stimulus got there first).
                Err(
                    RuntimeError::Resume(ResumeError::BookmarkNotFound(_) | ResumeError::Finished)
                    | RuntimeError::InstanceNotFound(_),
                ) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(touched)
    }

    /// Resumes the bookmark a token names, with `input`: at once, or — `asynchronous` —
    /// queued for the worker.
    pub async fn resume_with_token(
        &self,
        token: &str,
        input: Map<String, Value>,
        asynchronous: bool,
    ) -> Result<(), RuntimeError> {
        let TokenPayload::Bookmark {
            bookmark_id,
            workflow_instance_id,
        } = self.verify_token(token).await?
        else {
            return Err(RuntimeError::InvalidToken(
                "this token triggers an event; use /events/trigger".into(),
            ));
        };
        if asynchronous {
            let now = self.clock.now();
            let work = Work::Resume(ResumeWork {
                instance_id: workflow_instance_id,
                bookmark_id,
                input,
            });
            self.work
                .insert(&[work.row(self.ids.new_id(), now, None)], now)
                .await?;
            self.wake_worker();
            return Ok(());
        }
        self.resume(&workflow_instance_id, ResumeRequest { bookmark_id, input })
            .await
            .map(|_| ())
    }

    /// Publishes the event a token names (to its instance, if it names one), synchronously
    /// as Elsa's token route does.
    pub async fn trigger_with_token(&self, token: &str) -> Result<Vec<String>, RuntimeError> {
        match self.verify_token(token).await? {
            TokenPayload::Event {
                event_name,
                workflow_instance_id,
            } => {
                let target = EventTarget {
                    workflow_instance_id,
                    ..Default::default()
                };
                self.publish_event(&event_name, &target, None, EventDelivery::Synchronous)
                    .await
            }
            TokenPayload::Bookmark { .. } => Err(RuntimeError::InvalidToken(
                "this token resumes a bookmark; use /bookmarks/resume".into(),
            )),
        }
    }
}
