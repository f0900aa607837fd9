//! Stimuli from outside: published events (start workflows whose `Elsa.Event` is a start
//! trigger, resume `Elsa.Event` bookmarks) and bookmark-resume tokens.

use crate::tokens::TokenPayload;
use crate::{ExecuteOutcome, ExecuteRequest, Runtime, RuntimeError};
use elsa_engine::{ResumeError, ResumeRequest};
use elsa_model::VersionOptions;
use elsa_store::DefinitionFilter;
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
    /// Publishes an event. Without a target instance, every published workflow whose
    /// `Elsa.Event` for `event_name` can start it (`canStartWorkflow`) starts a new instance;
    /// then every `Elsa.Event` bookmark waiting for `event_name` (and matching `target`) is
    /// resumed. `payload` is the event payload either way. Returns the ids of the instances
    /// started and resumed. Runs before returning (Elsa's asynchronous mode only queues it).
    pub async fn publish_event(
        &self,
        event_name: &str,
        target: &EventTarget,
        payload: Option<Map<String, Value>>,
    ) -> Result<Vec<String>, RuntimeError> {
        let input = || {
            Map::from_iter([(
                EVENT_PAYLOAD_INPUT.to_owned(),
                payload.clone().map_or(Value::Null, Value::Object),
            )])
        };
        // Read before starting anything, so a new instance waiting for the same event is not
        // resumed by the event that started it.
        let waiting = self.instances.bookmarks_named(EVENT_STIMULUS).await?;
        let mut touched = Vec::new();
        if target.workflow_instance_id.is_none() && target.activity_instance_id.is_none() {
            for (definition_id, activity_id) in self.event_triggers(event_name).await? {
                let request = ExecuteRequest {
                    version_options: Some(VersionOptions::Published),
                    correlation_id: target.correlation_id.clone(),
                    input: input(),
                    trigger_activity_id: Some(activity_id),
                    ..Default::default()
                };
                touched.push(self.execute(&definition_id, request).await?.instance.id);
            }
        }
        let matches = |expected: &Option<String>, actual: Option<&str>| {
            expected.as_deref().is_none_or(|e| Some(e) == actual)
        };
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
            let request = ResumeRequest {
                bookmark_id: b.id.clone(),
                input: input(),
            };
            match self.resume(&stored.workflow_instance_id, request).await {
                Ok(_) => touched.push(stored.workflow_instance_id),
                // Consumed meanwhile (an earlier resumption in this loop, or another request).
                Err(RuntimeError::Resume(
                    ResumeError::BookmarkNotFound(_) | ResumeError::Finished,
                ))
                | Err(RuntimeError::InstanceNotFound(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(touched)
    }

    /// `(definition id, activity id)` of every published definition with an `Elsa.Event` start
    /// trigger for `event_name` (a literal event name). There is no trigger index yet, so the
    /// published definitions are scanned.
    async fn event_triggers(
        &self,
        event_name: &str,
    ) -> Result<Vec<(String, String)>, RuntimeError> {
        let published = self
            .definitions
            .list(&DefinitionFilter {
                version_options: Some(VersionOptions::Published),
                ..Default::default()
            })
            .await?
            .items;
        let mut found = Vec::new();
        for definition in published {
            let mut activities = Vec::new();
            event_starts(&definition.root, event_name, &mut activities);
            found.extend(
                activities
                    .into_iter()
                    .map(|a| (definition.definition_id.clone(), a)),
            );
        }
        Ok(found)
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

/// Collects the ids of `Elsa.Event` activities in `activity` (and below) that can start the
/// workflow and wait for `event_name`.
fn event_starts(value: &Value, event_name: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            let is_event = object.get("type").and_then(Value::as_str) == Some(EVENT_STIMULUS);
            let can_start = object
                .get("customProperties")
                .and_then(|p| p.get("canStartWorkflow"))
                .or_else(|| object.get("canStartWorkflow"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let name = object.get("eventName").and_then(|n| match n {
                Value::String(s) => Some(s.as_str()),
                wrapped => {
                    let expression = wrapped.get("expression")?;
                    let literal = expression
                        .get("type")
                        .and_then(Value::as_str)
                        .is_none_or(|t| t == "Literal");
                    literal.then(|| expression.get("value")?.as_str()).flatten()
                }
            });
            if is_event
                && can_start
                && name == Some(event_name)
                && let Some(id) = object.get("id").and_then(Value::as_str)
            {
                found.push(id.to_owned());
            }
            for child in object.values() {
                event_starts(child, event_name, found);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| event_starts(item, event_name, found)),
        _ => {}
    }
}
