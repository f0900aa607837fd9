//! Workflow JSON the end-to-end tests build their definitions from.

use serde_json::{Value, json};

pub fn literal(type_name: &str, value: Value) -> Value {
    json!({"typeName": type_name, "expression": {"type": "Literal", "value": value}})
}

pub fn write_line(id: &str, text: &str) -> Value {
    json!({"id": id, "type": "Elsa.WriteLine", "text": literal("String", json!(text))})
}

pub fn delay(id: &str, span: &str) -> Value {
    json!({"id": id, "type": "Elsa.Delay", "timeSpan": literal("TimeSpan", json!(span))})
}

pub fn sequence(activities: Vec<Value>) -> Value {
    json!({"id": "Seq", "type": "Elsa.Sequence", "activities": activities})
}

/// A `Cron` that starts its workflow at each tick of `expression`.
pub fn cron(id: &str, expression: &str) -> Value {
    json!({"id": id, "type": "Elsa.Cron",
           "customProperties": {"canStartWorkflow": true},
           "cronExpression": literal("String", json!(expression))})
}

/// An `Event` that waits for `name`.
pub fn event(id: &str, name: &str) -> Value {
    json!({"id": id, "type": "Elsa.Event", "eventName": literal("String", json!(name))})
}

/// A `SendHttpRequest` GET of `url`, with `cases` (status code cases, timeouts...) merged in.
pub fn send_http(name: &str, url: &str, cases: Value) -> Value {
    let mut activity = json!({
        "id": name, "name": name, "type": "Elsa.SendHttpRequest",
        "url": literal("Uri", json!(url)),
        "method": literal("String", json!("GET")),
    });
    activity
        .as_object_mut()
        .unwrap()
        .extend(cases.as_object().unwrap().clone());
    activity
}
