//! Log persistence modes: which evaluated inputs (`activityState`) and outputs an activity
//! execution record keeps (Elsa's `Elsa.Workflows.LogPersistence`).
//!
//! Modes come from custom properties, on the workflow (its default) and on each activity (its
//! default and one mode per input or output, keyed by the camel-cased property name):
//!
//! * `logPersistenceMode` (legacy): `{"default": "Exclude", "inputs": {"text": "Include"},
//!   "outputs": {...}}`, values `Include`, `Exclude` or `Inherit`;
//! * `logPersistenceConfig`: the same shape with `{"evaluationMode": "Strategy", "strategyType":
//!   "Elsa.Workflows.LogPersistence.Strategies.Exclude, Elsa.Workflows.Core"}` objects; the
//!   strategies are `Include`, `Exclude`, `Inherit` and `Configuration` (the server's mode).
//!   A config object wins over the legacy entry for the same property.
//!
//! `Inherit` (or nothing) takes the enclosing level's mode: property → activity default →
//! workflow default → the server's mode ([`EngineOptions::log_persistence_mode`], Include
//! unless configured). Activities inside a workflow used as an activity inherit from that
//! workflow's definition. Everything resolves at load time: the modes of a loaded workflow
//! are fixed, so filtering a record is a map lookup.
//!
//! [`EngineOptions::log_persistence_mode`]: crate::EngineOptions::log_persistence_mode

use crate::json;
use serde_json::{Map, Value};
use std::collections::HashMap;

const LEGACY_KEY: &str = "logPersistenceMode";
const CONFIG_KEY: &str = "logPersistenceConfig";

/// Whether a value is stored in activity execution records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogPersistenceMode {
    /// Stored (Elsa's default).
    #[default]
    Include,
    /// Left out.
    Exclude,
}

/// A mode as written: `Inherit` defers to the enclosing level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Mode(LogPersistenceMode),
    Inherit,
}

impl Written {
    fn or(self, inherited: LogPersistenceMode) -> LogPersistenceMode {
        match self {
            Written::Mode(mode) => mode,
            Written::Inherit => inherited,
        }
    }
}

/// The resolved modes of one activity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ActivityLogModes {
    default: LogPersistenceMode,
    /// Only the properties whose mode differs from `default`, by camel-cased name.
    inputs: HashMap<String, LogPersistenceMode>,
    outputs: HashMap<String, LogPersistenceMode>,
}

impl ActivityLogModes {
    /// The modes of an activity with these custom properties, inside a workflow whose
    /// resolved default is `workflow_default`; `configured` is the server's mode.
    pub fn resolve(
        custom_properties: Option<&Map<String, Value>>,
        workflow_default: LogPersistenceMode,
        configured: LogPersistenceMode,
    ) -> Self {
        let Some(properties) = custom_properties else {
            return Self::uniform(workflow_default);
        };
        let default = default_mode(properties, configured).or(workflow_default);
        let mut modes = Self::uniform(default);
        let legacy = json::property(properties, LEGACY_KEY).and_then(Value::as_object);
        let config = json::property(properties, CONFIG_KEY).and_then(Value::as_object);
        for (kind, target) in [
            ("inputs", &mut modes.inputs),
            ("outputs", &mut modes.outputs),
        ] {
            let section = |object: Option<&Map<String, Value>>| {
                object
                    .and_then(|object| json::property(object, kind))
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default()
            };
            let (legacy, config) = (section(legacy), section(config));
            let names = legacy.keys().chain(config.keys());
            for name in names {
                let written = config
                    .get(name)
                    .and_then(|value| strategy(value, configured))
                    .or_else(|| legacy.get(name).and_then(written_mode));
                if let Some(mode) = written.map(|written| written.or(default))
                    && mode != default
                {
                    target.insert(name.clone(), mode);
                }
            }
        }
        modes
    }

    fn uniform(default: LogPersistenceMode) -> Self {
        Self {
            default,
            ..Self::default()
        }
    }

    /// Keeps the inputs a record may store (`activityState` keys are Pascal-cased property
    /// names; the modes are keyed camel-cased).
    pub fn filter_inputs(&self, state: Map<String, Value>) -> Map<String, Value> {
        filter(state, &self.inputs, self.default)
    }

    pub fn filter_outputs(&self, outputs: Map<String, Value>) -> Map<String, Value> {
        filter(outputs, &self.outputs, self.default)
    }
}

/// A workflow's resolved default: its own `default` entry, else the server's mode.
pub(crate) fn workflow_default(
    custom_properties: &Map<String, Value>,
    inherited: LogPersistenceMode,
    configured: LogPersistenceMode,
) -> LogPersistenceMode {
    default_mode(custom_properties, configured).or(inherited)
}

/// The `default` entry of the custom properties (config first, then legacy); `Inherit` when
/// absent or unreadable.
fn default_mode(properties: &Map<String, Value>, configured: LogPersistenceMode) -> Written {
    let entry = |key: &str| {
        json::property(properties, key)
            .and_then(Value::as_object)
            .and_then(|object| json::non_null(object, "default"))
    };
    entry(CONFIG_KEY)
        .and_then(|value| strategy(value, configured))
        .or_else(|| entry(LEGACY_KEY).and_then(written_mode))
        .unwrap_or(Written::Inherit)
}

/// A legacy mode name (`Include`, `Exclude`, `Inherit`, any case); unknown names inherit.
fn written_mode(value: &Value) -> Option<Written> {
    let name = value.as_str()?;
    Some(if name.eq_ignore_ascii_case("Include") {
        Written::Mode(LogPersistenceMode::Include)
    } else if name.eq_ignore_ascii_case("Exclude") {
        Written::Mode(LogPersistenceMode::Exclude)
    } else {
        Written::Inherit
    })
}

/// A `logPersistenceConfig` entry. Only the `Strategy` evaluation mode is resolved; an
/// `Expression` config (or an unknown strategy) inherits, as Elsa does when it cannot
/// evaluate one.
fn strategy(value: &Value, configured: LogPersistenceMode) -> Option<Written> {
    let object = value.as_object()?;
    let evaluation = json::string(object, "evaluationMode").unwrap_or("Strategy");
    if !evaluation.eq_ignore_ascii_case("Strategy") {
        return Some(Written::Inherit);
    }
    // "Elsa.Workflows.LogPersistence.Strategies.Exclude, Elsa.Workflows.Core" → "Exclude".
    let type_name = json::string(object, "strategyType").unwrap_or("Inherit");
    let class = type_name.split(',').next().unwrap_or_default().trim();
    let name = class.rsplit('.').next().unwrap_or_default();
    Some(match name {
        "Include" => Written::Mode(LogPersistenceMode::Include),
        "Exclude" => Written::Mode(LogPersistenceMode::Exclude),
        "Configuration" => Written::Mode(configured),
        _ => Written::Inherit,
    })
}

fn filter(
    values: Map<String, Value>,
    modes: &HashMap<String, LogPersistenceMode>,
    default: LogPersistenceMode,
) -> Map<String, Value> {
    // Most activities set no per-property mode: no key needs looking at (every record of a
    // run passes here).
    if modes.is_empty() {
        return match default {
            LogPersistenceMode::Include => values,
            LogPersistenceMode::Exclude => Map::new(),
        };
    }
    values
        .into_iter()
        .filter(|(key, _)| {
            modes.get(&camel_case(key)).copied().unwrap_or(default) == LogPersistenceMode::Include
        })
        .collect()
}

/// `OutputName` → `outputName` (how Elsa keys the modes of a property).
fn camel_case(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LogPersistenceMode::{Exclude, Include};
    use serde_json::json;

    fn modes(custom: Value, workflow: LogPersistenceMode) -> ActivityLogModes {
        ActivityLogModes::resolve(custom.as_object(), workflow, Include)
    }

    fn keeps_text(modes: &ActivityLogModes) -> bool {
        let state = Map::from_iter([("Text".to_owned(), json!("x"))]);
        modes.filter_inputs(state).contains_key("Text")
    }

    #[test]
    fn a_property_mode_overrides_the_activity_default_and_inherit_takes_it() {
        let legacy = |default: &str, text: &str| json!({"logPersistenceMode": {"default": default, "inputs": {"text": text}}});
        assert!(keeps_text(&modes(json!({}), Include)));
        assert!(!keeps_text(&modes(legacy("Exclude", "Inherit"), Include)));
        assert!(keeps_text(&modes(legacy("Exclude", "Include"), Include)));
        assert!(!keeps_text(&modes(legacy("Include", "Exclude"), Include)));
        assert!(keeps_text(&modes(legacy("Include", "Inherit"), Exclude)));
        assert!(!keeps_text(&modes(json!({}), Exclude)));
        assert!(keeps_text(&modes(legacy("Inherit", "Include"), Exclude)));
        assert!(!keeps_text(&modes(legacy("Inherit", "Inherit"), Exclude)));
    }

    #[test]
    fn strategy_configs_win_over_legacy_modes() {
        let exclude = json!({"evaluationMode": "Strategy",
            "strategyType": "Elsa.Workflows.LogPersistence.Strategies.Exclude, Elsa.Workflows.Core"});
        let custom = json!({
            "logPersistenceMode": {"inputs": {"text": "Include"}},
            "logPersistenceConfig": {"inputs": {"text": exclude}},
        });
        assert!(!keeps_text(&modes(custom, Include)));
        let configuration = json!({"logPersistenceConfig": {"default": {
            "strategyType": "Elsa.Workflows.LogPersistence.Strategies.Configuration, Elsa.Workflows.Core"}}});
        let resolved = ActivityLogModes::resolve(configuration.as_object(), Include, Exclude);
        assert!(!keeps_text(&resolved));
    }

    #[test]
    fn outputs_have_their_own_modes() {
        let custom = json!({"logPersistenceMode": {"outputs": {"result": "Exclude"}}});
        let modes = modes(custom, Include);
        let outputs = Map::from_iter([
            ("Result".to_owned(), json!(1)),
            ("Other".to_owned(), json!(2)),
        ]);
        let kept = modes.filter_outputs(outputs);
        assert_eq!(kept.keys().collect::<Vec<_>>(), ["Other"]);
    }

    #[test]
    fn a_workflow_default_inherits_when_absent_or_inherit() {
        let custom = json!({"logPersistenceMode": {"default": "Inherit"}});
        let custom = custom.as_object().unwrap();
        assert_eq!(workflow_default(custom, Exclude, Include), Exclude);
        let custom = json!({"logPersistenceMode": {"default": "Exclude"}});
        assert_eq!(
            workflow_default(custom.as_object().unwrap(), Include, Include),
            Exclude
        );
    }
}
