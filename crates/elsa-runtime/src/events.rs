//! Stimuli from outside that resume waiting instances: published events (`Elsa.Event`
//! bookmarks) and bookmark-resume tokens.

use crate::tokens::TokenPayload;
use crate::{ExecuteOutcome, Runtime, RuntimeError};
use elsa_engine::{ResumeError, ResumeRequest};
use serde_json::{Map, Value};

/// The stimulus name of `Elsa.Event` bookmarks and its payload key.
const EVENT_STIMULUS: &str = "Elsa.Event";
/// The workflow input key the event payload travels under (the `Event` activity reads it).
const EVENT_PAYLOAD_INPUT: &str = "__EventPayloadWorkflowInput";

/// Which waiting instances an event is for; unset fields match any.
#[derive(Debug, Clone, Default)]
pub struct EventTarget {
    pub correlation_id: Option<String>,
    pub workflow_instance_id: Option<String>,
    pub activity_instance_id: Option<String>,
}

impl Runtime {
    /// Publishes an event: every `Elsa.Event` bookmark waiting for `event_name` (and matching
    /// `target`) is resumed with `payload` as the event payload. Returns the ids of the
    /// instances resumed. Runs before returning (Elsa's asynchronous mode only queues it).
    pub async fn publish_event(
        &self,
        event_name: &str,
        target: &EventTarget,
        payload: Option<Map<String, Value>>,
    ) -> Result<Vec<String>, RuntimeError> {
        let matches = |expected: &Option<String>, actual: Option<&str>| {
            expected.as_deref().is_none_or(|e| Some(e) == actual)
        };
        let waiting = self.instances.bookmarks_named(EVENT_STIMULUS).await?;
        let mut resumed = Vec::new();
        for stored in waiting {
            let b = &stored.bookmark;
            if b.payload.get("eventName").and_then(Value::as_str) != Some(event_name)
                || !matches(&target.correlation_id, stored.correlation_id.as_deref())
                || !matches(
                    &target.workflow_instance_id,
                    Some(&stored.workflow_instance_id),
                )
                || !matches(&target.activity_instance_id, Some(&b.activity_instance_id))
            {
                continue;
            }
            let input = Map::from_iter([(
                EVENT_PAYLOAD_INPUT.to_owned(),
                payload.clone().map_or(Value::Null, Value::Object),
            )]);
            let request = ResumeRequest {
                bookmark_id: b.id.clone(),
                input,
            };
            match self.resume(&stored.workflow_instance_id, request).await {
                Ok(_) => resumed.push(stored.workflow_instance_id),
                // Consumed meanwhile (an earlier resumption in this loop, or another request).
                Err(RuntimeError::Resume(
                    ResumeError::BookmarkNotFound(_) | ResumeError::Finished,
                ))
                | Err(RuntimeError::InstanceNotFound(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(resumed)
    }

    /// Resumes the bookmark a token names, with `input`.
    pub async fn resume_with_token(
        &self,
        token: &str,
        input: Map<String, Value>,
    ) -> Result<ExecuteOutcome, RuntimeError> {
        match self.verify_token(token).await? {
            TokenPayload::Bookmark {
                bookmark_id,
                workflow_instance_id,
            } => {
                self.resume(&workflow_instance_id, ResumeRequest { bookmark_id, input })
                    .await
            }
            TokenPayload::Event { .. } => Err(RuntimeError::InvalidToken(
                "this token triggers an event; use /events/trigger".into(),
            )),
        }
    }

    /// Publishes the event a token names (to its instance, if it names one).
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
                self.publish_event(&event_name, &target, None).await
            }
            TokenPayload::Bookmark { .. } => Err(RuntimeError::InvalidToken(
                "this token resumes a bookmark; use /bookmarks/resume".into(),
            )),
        }
    }
}
