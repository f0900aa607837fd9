//! Work items: what the runtime still has to do, as rows of the store's work queue
//! (`elsa_store::work`). Each kind is a typed payload here; the row's `kind` column names the
//! variant.
//!
//! Ids are deterministic wherever the same work could be queued twice — a timer by its
//! bookmark, a child start by the child's instance id, a trigger's tick by (trigger, time) —
//! so a repeated insert is a no-op and a repeated execution finds its work done.

use crate::events::EventTarget;
use elsa_model::Timestamp;
use elsa_store::{Lease, NewWork, WorkItem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Work {
    /// Start an instance: a dispatched one (its Pending row exists), a child workflow, a tick
    /// of a scheduled trigger, an event's trigger.
    Start(StartWork),
    /// Resume an instance at a bookmark: a due timer, a finished child, a delivered event.
    Resume(ResumeWork),
    /// Send an HTTP request, then resume the bookmark waiting for the answer.
    SendHttp(SendHttpWork),
    /// Deliver an event published asynchronously: becomes one start or resume per match.
    PublishEvent(EventWork),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct StartWork {
    pub instance_id: String,
    pub definition_id: String,
    /// The version to run; the published version at run time when absent.
    pub definition_version_id: Option<String>,
    pub correlation_id: Option<String>,
    pub name: Option<String>,
    pub input: Map<String, Value>,
    pub properties: Map<String, Value>,
    pub trigger_activity_id: Option<String>,
    pub trigger_input: Map<String, Value>,
    pub parent: Option<ParentLink>,
    /// The instance row exists already, Pending (dispatch writes it before answering).
    pub pending: bool,
    /// The scheduled trigger whose tick this is: the start is skipped if the trigger is gone
    /// (its version was retracted or replaced meanwhile).
    pub trigger_id: Option<String>,
}

/// The parent of a child workflow and, when it waits for the child, its bookmark, resumed
/// with the child's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ParentLink {
    pub instance_id: String,
    pub bookmark_id: Option<String>,
    pub wait_for_completion: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResumeWork {
    pub instance_id: String,
    pub bookmark_id: String,
    #[serde(default)]
    pub input: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendHttpWork {
    pub instance_id: String,
    pub bookmark_id: String,
    pub request: crate::outbound_http::OutboundRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventWork {
    pub event_name: String,
    pub target: EventTarget,
    /// The event payload (`null`: none).
    #[serde(default)]
    pub payload: Value,
}

impl Work {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Start(_) => "Start",
            Self::Resume(_) => "Resume",
            Self::SendHttp(_) => "SendHttp",
            Self::PublishEvent(_) => "PublishEvent",
        }
    }

    /// The instance the work is about, for the queue's instance column (deleting an instance
    /// deletes its work).
    fn instance_id(&self) -> Option<&str> {
        match self {
            Self::Start(w) => Some(&w.instance_id),
            Self::Resume(w) => Some(&w.instance_id),
            Self::SendHttp(w) => Some(&w.instance_id),
            Self::PublishEvent(_) => None,
        }
    }

    fn payload(&self) -> Value {
        let value = match self {
            Self::Start(w) => serde_json::to_value(w),
            Self::Resume(w) => serde_json::to_value(w),
            Self::SendHttp(w) => serde_json::to_value(w),
            Self::PublishEvent(w) => serde_json::to_value(w),
        };
        // Plain data (strings, maps of JSON values): serialising cannot fail.
        value.unwrap_or(Value::Null)
    }

    /// The work a stored row describes.
    pub(crate) fn of(item: &WorkItem) -> Result<Self, serde_json::Error> {
        let payload = item.payload.clone();
        Ok(match item.kind.as_str() {
            "Start" => Self::Start(serde_json::from_value(payload)?),
            "Resume" => Self::Resume(serde_json::from_value(payload)?),
            "SendHttp" => Self::SendHttp(serde_json::from_value(payload)?),
            "PublishEvent" => Self::PublishEvent(serde_json::from_value(payload)?),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "unknown work kind '{other}'"
                )));
            }
        })
    }

    /// The row to queue: due at `due_at`, leased to `lease` when the writer does it itself.
    pub(crate) fn row(&self, id: String, due_at: Timestamp, lease: Option<Lease>) -> NewWork {
        NewWork {
            id,
            kind: self.kind().to_owned(),
            due_at,
            workflow_instance_id: self.instance_id().map(str::to_owned),
            payload: self.payload(),
            lease,
        }
    }
}

/// A 16-hex id derived from `parts`: the same parts always give the same id.
pub(crate) fn derived_id(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hex::encode(&hasher.finalize()[..8])
}

/// The id of the timer that resumes `bookmark_id`.
pub(crate) fn timer_id(bookmark_id: &str) -> String {
    derived_id(&["timer", bookmark_id])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip() {
        let work = Work::Resume(ResumeWork {
            instance_id: "i".into(),
            bookmark_id: "b".into(),
            input: Map::new(),
        });
        let row = work.row(timer_id("b"), chrono::Utc::now(), None);
        let item = WorkItem {
            id: row.id.clone(),
            kind: row.kind.clone(),
            status: elsa_store::WorkStatus::Pending,
            due_at: row.due_at,
            workflow_instance_id: row.workflow_instance_id.clone(),
            payload: row.payload.clone(),
            attempts: 0,
            last_error: None,
            locked_by: None,
            locked_until: None,
            created_at: row.due_at,
        };
        assert_eq!(Work::of(&item).unwrap(), work);
        assert_eq!(row.workflow_instance_id.as_deref(), Some("i"));
        assert_eq!(timer_id("b").len(), 16);
        assert_ne!(timer_id("b"), timer_id("c"));
    }
}
