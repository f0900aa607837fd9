//! Per-run budgets: what one run (start, resume or cancel) may make the runtime write. A run
//! that would journal more entries or bytes, or create more activity execution records, than
//! its budget allows faults with an incident instead — the entries beyond the budget are never
//! made — and a workflow state larger than its budget is replaced by a bounded, faulted one.
//!
//! Sizes are estimates of the JSON the store writes, counted by walking the values the run
//! already holds (no serialization): strings count their bytes plus quotes (escapes are not
//! counted), numbers their digits, every key and separator its characters.

use elsa_model::{Bookmark, Incident, WorkflowExecutionLogRecord};
use serde_json::{Map, Value};

/// The configuration keys of the budgets, named in the incidents so an operator knows what to
/// raise (the server reads them; the engine only names them).
pub(crate) const MAX_ACTIVITY_EXECUTIONS_SETTING: &str = "Elsa:Runtime:MaxActivityExecutionsPerRun";
pub(crate) const MAX_JOURNAL_ENTRIES_SETTING: &str = "Elsa:Runtime:MaxJournalEntriesPerRun";
pub(crate) const MAX_JOURNAL_BYTES_SETTING: &str = "Elsa:Runtime:MaxJournalBytesPerRun";
pub(crate) const MAX_ACTIVITY_RECORDS_SETTING: &str = "Elsa:Runtime:MaxActivityRecordsPerRun";
pub(crate) const MAX_STATE_SIZE_SETTING: &str = "Elsa:Runtime:MaxStateSize";

/// The estimated length of `value` serialized as JSON.
pub(crate) fn json_len(value: &Value) -> usize {
    // An explicit stack: values built by scripts may nest deeper than the thread's stack allows
    // a recursion to go.
    let mut pending = vec![value];
    let mut len = 0;
    while let Some(value) = pending.pop() {
        len += match value {
            Value::Null => 4,
            Value::Bool(true) => 4,
            Value::Bool(false) => 5,
            Value::Number(number) => number_len(number),
            Value::String(text) => text.len() + 2,
            Value::Array(items) => {
                pending.extend(items);
                // Brackets and commas.
                2 + items.len().saturating_sub(1)
            }
            Value::Object(map) => {
                pending.extend(map.values());
                // Braces, commas, and per entry its quoted key and a colon.
                2 + map.len().saturating_sub(1) + map.keys().map(|key| key.len() + 3).sum::<usize>()
            }
        };
    }
    len
}

/// The estimated length of `map` serialized as a JSON object.
pub(crate) fn map_len(map: &Map<String, Value>) -> usize {
    2 + map.len().saturating_sub(1)
        + map
            .iter()
            .map(|(key, value)| key.len() + 3 + json_len(value))
            .sum::<usize>()
}

fn number_len(number: &serde_json::Number) -> usize {
    match (number.as_u64(), number.as_i64()) {
        (Some(n), _) => digits(n),
        (None, Some(n)) => 1 + digits(n.unsigned_abs()),
        // The longest shortest representation of an f64 (`-2.2250738585072014e-308`).
        _ => 24,
    }
}

fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

fn optional_len(text: Option<&str>) -> usize {
    text.map_or(0, |text| text.len())
}

/// A journal record's keys, punctuation, numbers and timestamp: everything but its strings and
/// payload (about 330 bytes as serialized; rounded up).
const JOURNAL_RECORD_OVERHEAD: usize = 360;

/// The estimated length of a journal record as the store writes it (its JSON document).
pub(crate) fn journal_record_len(record: &WorkflowExecutionLogRecord) -> usize {
    JOURNAL_RECORD_OVERHEAD
        + record.id.len()
        + record.workflow_definition_id.len()
        + record.workflow_definition_version_id.len()
        + record.workflow_instance_id.len()
        + record.activity_instance_id.len()
        + optional_len(record.parent_activity_instance_id.as_deref())
        + record.activity_id.len()
        + record.activity_type.len()
        + optional_len(record.activity_name.as_deref())
        + record.activity_node_id.len()
        + optional_len(record.event_name.as_deref())
        + optional_len(record.message.as_deref())
        + optional_len(record.source.as_deref())
        + record.payload.as_ref().map_or(0, json_len)
}

/// In-memory bytes of a journal entry per byte of its estimated stored length: the record
/// struct, its strings and payload as values (measured with heaptrack on a flowchart cycle).
const JOURNAL_MEMORY_FACTOR: usize = 2;
/// In-memory bytes of an activity record with its evaluated inputs, outputs and payload, besides
/// what its context held during the run (measured likewise; records with large inputs or
/// outputs hold more, which the state budget bounds while they run).
const RECORD_MEMORY: usize = 2048;

/// About how many bytes a run's result holds until it is committed.
pub(crate) fn held_bytes(journal_bytes: usize, records: usize) -> usize {
    journal_bytes
        .saturating_mul(JOURNAL_MEMORY_FACTOR)
        .saturating_add(records.saturating_mul(RECORD_MEMORY))
}

/// A workflow state's keys, ids and timestamps besides its lists and maps.
pub(crate) const STATE_OVERHEAD: usize = 700;
/// An activity execution context's keys, status and timestamps besides its ids and maps.
pub(crate) const CONTEXT_OVERHEAD: usize = 300;
/// A completion callback's keys besides its ids.
pub(crate) const CALLBACK_OVERHEAD: usize = 80;

/// The estimated length of a bookmark as the state holds it.
pub(crate) fn bookmark_len(bookmark: &Bookmark) -> usize {
    // Keys, flags and the timestamp.
    260 + bookmark.id.len()
        + bookmark.name.len()
        + bookmark.hash.len()
        + json_len(&bookmark.payload)
        + bookmark.activity_id.len()
        + bookmark.activity_node_id.len()
        + bookmark.activity_instance_id.len()
        + optional_len(bookmark.callback_method_name.as_deref())
        + bookmark.metadata.as_ref().map_or(0, json_len)
}

/// The estimated length of an incident as the state holds it.
pub(crate) fn incident_len(incident: &Incident) -> usize {
    // Keys and the timestamp.
    200 + incident.activity_id.len()
        + incident.activity_node_id.len()
        + incident.activity_instance_id.len()
        + incident.activity_type.len()
        + incident.message.len()
        + incident.exception.as_ref().map_or(0, |exception| {
            // The exception repeats the message (and may carry a stack trace).
            60 + exception.type_name.len()
                + exception.message.len()
                + optional_len(exception.stack_trace.as_deref())
        })
}

/// The incident message of a run that went past a count budget.
pub(crate) fn exceeded(limit: usize, what: &str, setting: &str) -> String {
    format!("The workflow exceeded the limit of {limit} {what} in one run ({setting}).")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_len_matches_compact_serialization_without_escapes() {
        for value in [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-12345),
            json!(u64::MAX),
            json!("text"),
            json!([]),
            json!({}),
            json!([1, "two", {"three": [3, null, false]}]),
            json!({"a": {"b": {"c": "deep"}}, "list": [1, 2, 3], "empty": {}}),
        ] {
            let serialized = serde_json::to_string(&value).unwrap();
            assert_eq!(json_len(&value), serialized.len(), "{serialized}");
        }
        // Floats are counted at their longest.
        assert!(json_len(&json!(0.1)) >= "0.1".len());
    }

    #[test]
    fn deep_values_do_not_overflow_the_stack() {
        let mut value = json!("leaf");
        for _ in 0..100_000 {
            value = Value::Array(vec![value]);
        }
        assert_eq!(json_len(&value), 100_000 * 2 + 6);
        // serde_json drops deep values recursively: take it apart iteratively.
        while let Value::Array(mut items) = value {
            value = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn journal_records_are_estimated_at_least_at_their_length() {
        let record: WorkflowExecutionLogRecord = serde_json::from_value(json!({
            "id": "2f8c1f0e9d7b4a3c", "workflowDefinitionId": "def", "workflowDefinitionVersionId": "def-v1",
            "workflowInstanceId": "3a9d0c1b2e4f5a6b", "workflowVersion": 12, "activityInstanceId": "4b8e1d2c3f5a6b7c",
            "parentActivityInstanceId": "5c9f2e3d4a6b7c8d", "activityId": "WriteLine1", "activityType": "Elsa.WriteLine",
            "activityTypeVersion": 1, "activityName": "WriteLine1", "activityNodeId": "Workflow1:Flowchart1:WriteLine1",
            "timestamp": "2026-01-02T03:04:05.1234567+00:00", "sequence": 123456, "eventName": "Completed",
            "payload": {"Outcomes": ["Done"]}
        }))
        .unwrap();
        let serialized = serde_json::to_string(&record).unwrap().len();
        let estimate = journal_record_len(&record);
        assert!(
            estimate >= serialized && estimate < serialized + 100,
            "{estimate} for {serialized}"
        );
    }
}
