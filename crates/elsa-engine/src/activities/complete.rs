//! `Elsa.Complete`: completes the enclosing composite — today always the workflow itself —
//! with the given outcomes (`Done` when none), cancelling whatever still runs.

use super::Activity;
use crate::activity_context::{ActivityContext, DONE};
use crate::error::Fault;
use crate::registry::{ActivityDescriptor, ActivityKind, InputDescriptor};
use crate::values::display;
use serde_json::Value;

pub(crate) static DESCRIPTOR: ActivityDescriptor = ActivityDescriptor {
    type_name: "Elsa.Complete",
    version: 1,
    category: "Composition",
    display_name: "Complete",
    description: "Signals the current composite activity to complete itself as a whole.",
    kind: ActivityKind::Action,
    inputs: &[InputDescriptor::new(
        "Outcomes",
        "Object",
        "The outcome or set of outcomes to complete with.",
    )
    .ui_hint("outcome-picker")],
    outputs: &[],
    ports: &[],
    is_container: false,
    is_browsable: true,
    is_start: false,
    is_terminal: true,
    build: |_| Ok(Box::new(Complete)),
};

#[derive(Debug)]
struct Complete;

impl Activity for Complete {
    fn execute(&self, cx: &mut ActivityContext<'_, '_>) -> Result<(), Fault> {
        let outcomes = outcomes(cx.input("Outcomes"));
        cx.complete_workflow(outcomes);
        Ok(())
    }
}

/// Outcomes as written: one name, an array of names, or the JSON text of an array.
fn outcomes(value: &Value) -> Vec<String> {
    let outcomes: Vec<String> = match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().map(display).collect(),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items.iter().map(display).collect(),
            _ => vec![text.clone()],
        },
        other => vec![display(other)],
    };
    let outcomes: Vec<String> = outcomes.into_iter().filter(|o| !o.is_empty()).collect();
    if outcomes.is_empty() {
        vec![DONE.to_owned()]
    } else {
        outcomes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_outcome_shape() {
        assert_eq!(outcomes(&json!("Approved")), vec!["Approved"]);
        assert_eq!(outcomes(&json!(["A", "B"])), vec!["A", "B"]);
        assert_eq!(outcomes(&json!("[\"A\",\"B\"]")), vec!["A", "B"]);
        assert_eq!(outcomes(&Value::Null), vec!["Done"]);
    }
}
