//! Workflows used as activities: the [`ActivityResolver`] the runtime loads workflows with.
//!
//! The engine resolves synchronously, so the candidates — every version of the definitions
//! with `options.usableAsActivity` — are read from the store before the load.

use elsa_engine::ActivityResolver;
use elsa_model::WorkflowDefinition;
use serde_json::Value;
use std::cell::Cell;

/// The activity type of a definition used as an activity: its name (else its definition id)
/// without spaces and underscores, each letter after one — and the first — upper-cased
/// (`"Matter Workflow"` → `MatterWorkflow`).
pub(crate) fn activity_type_name(definition: &WorkflowDefinition) -> String {
    let name = definition
        .name
        .as_deref()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or(&definition.definition_id);
    let mut type_name = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if c == ' ' || c == '_' {
            upper = true;
        } else if upper {
            type_name.extend(c.to_uppercase());
            upper = false;
        } else {
            type_name.push(c);
        }
    }
    type_name
}

/// Whether other workflows may use a definition as an activity.
pub(crate) fn usable_as_activity(definition: &WorkflowDefinition) -> bool {
    definition.options.iter().any(|(key, value)| {
        key.eq_ignore_ascii_case("usableAsActivity") && value == &Value::Bool(true)
    })
}

/// The prefetched candidates; records whether the load resolved any.
pub(crate) struct Candidates {
    definitions: Vec<(String, WorkflowDefinition)>,
    used: Cell<bool>,
}

impl Candidates {
    pub(crate) fn new(definitions: Vec<WorkflowDefinition>) -> Self {
        Self {
            definitions: definitions
                .into_iter()
                .filter(usable_as_activity)
                .map(|d| (activity_type_name(&d), d))
                .collect(),
            used: Cell::new(false),
        }
    }

    /// Whether the load inlined at least one definition.
    pub(crate) fn used(&self) -> bool {
        self.used.get()
    }
}

impl ActivityResolver for Candidates {
    /// The named version if there is one, else the published version.
    fn resolve(&self, type_name: &str, version: Option<i32>) -> Option<WorkflowDefinition> {
        let matching = || {
            self.definitions
                .iter()
                .filter(|(name, _)| name == type_name)
                .map(|(_, d)| d)
        };
        let found = version
            .and_then(|v| matching().find(|d| d.version == v))
            .or_else(|| matching().find(|d| d.is_published))
            .cloned();
        if found.is_some() {
            self.used.set(true);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: Option<&str>) -> WorkflowDefinition {
        serde_json::from_value(serde_json::json!({
            "id": "v1", "definitionId": "the_definition", "name": name,
            "createdAt": "2026-01-01T00:00:00Z", "version": 1, "root": null
        }))
        .unwrap()
    }

    #[test]
    fn type_names() {
        assert_eq!(
            activity_type_name(&named(Some("Matter Workflow"))),
            "MatterWorkflow"
        );
        assert_eq!(activity_type_name(&named(Some("sum_of two"))), "SumOfTwo");
        assert_eq!(activity_type_name(&named(Some("Child"))), "Child");
        assert_eq!(activity_type_name(&named(None)), "TheDefinition");
    }
}
