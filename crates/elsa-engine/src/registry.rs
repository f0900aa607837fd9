//! The activity registry: the one place that knows every activity type — its name, inputs
//! (type, default, wrapped or raw), outputs and ports — and how to build it from JSON.
//! `/descriptors/activities` is derived from these descriptors.

use crate::activities::BuildFn;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

/// Elsa's activity kinds, as shown in descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Action,
    Trigger,
    Task,
    Job,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Action => "Action",
            Self::Trigger => "Trigger",
            Self::Task => "Task",
            Self::Job => "Job",
        }
    }
}

/// A constant default value of an input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    Bool(bool),
    Int(i64),
    Str(&'static str),
}

impl DefaultValue {
    pub fn to_json(self) -> Value {
        match self {
            Self::Bool(b) => Value::Bool(b),
            Self::Int(i) => Value::from(i),
            Self::Str(s) => Value::from(s),
        }
    }
}

/// One input of an activity type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputDescriptor {
    /// PascalCase, as in descriptors and `activityState`; JSON uses it camelCased.
    pub name: &'static str,
    /// The type alias (`String`, `Boolean`, `Object`, ...).
    pub type_name: &'static str,
    pub description: &'static str,
    pub default: Option<DefaultValue>,
    /// Wrapped inputs hold an expression (`{"typeName","expression":{..}}` or a bare literal);
    /// raw inputs hold plain JSON the activity interprets itself.
    pub is_wrapped: bool,
    pub ui_hint: &'static str,
}

impl InputDescriptor {
    /// A wrapped input with no default and the `singleline` editor.
    pub const fn new(
        name: &'static str,
        type_name: &'static str,
        description: &'static str,
    ) -> Self {
        Self {
            name,
            type_name,
            description,
            default: None,
            is_wrapped: true,
            ui_hint: "singleline",
        }
    }

    pub const fn default(self, default: DefaultValue) -> Self {
        Self {
            default: Some(default),
            ..self
        }
    }

    pub const fn raw(self) -> Self {
        Self {
            is_wrapped: false,
            ..self
        }
    }

    pub const fn ui_hint(self, ui_hint: &'static str) -> Self {
        Self { ui_hint, ..self }
    }
}

/// One output of an activity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputDescriptor {
    pub name: &'static str,
    pub type_name: &'static str,
    pub description: &'static str,
}

/// `Flow` ports are outcomes a flowchart connects from; `Embedded` ports hold a child activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortType {
    Flow,
    Embedded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortDescriptor {
    pub name: &'static str,
    pub port_type: PortType,
}

impl PortDescriptor {
    pub const fn flow(name: &'static str) -> Self {
        Self {
            name,
            port_type: PortType::Flow,
        }
    }

    pub const fn embedded(name: &'static str) -> Self {
        Self {
            name,
            port_type: PortType::Embedded,
        }
    }
}

/// Everything the engine and the API know about one activity type.
pub struct ActivityDescriptor {
    /// `<namespace>.<Name>`, e.g. `Elsa.WriteLine`.
    pub type_name: &'static str,
    pub version: i32,
    pub category: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    pub kind: ActivityKind,
    pub inputs: &'static [InputDescriptor],
    pub outputs: &'static [OutputDescriptor],
    pub ports: &'static [PortDescriptor],
    pub is_container: bool,
    pub is_browsable: bool,
    /// A flowchart starts at the first activity of a start type.
    pub is_start: bool,
    /// Completing a terminal activity completes its flowchart or sequence.
    pub is_terminal: bool,
    pub(crate) build: BuildFn,
}

impl ActivityDescriptor {
    /// The type name without its namespace (`WriteLine`).
    pub fn name(&self) -> &'static str {
        self.type_name
            .rsplit_once('.')
            .map_or(self.type_name, |(_, name)| name)
    }

    /// The namespace of the type name (`Elsa`).
    pub fn namespace(&self) -> &'static str {
        self.type_name
            .rsplit_once('.')
            .map_or("", |(namespace, _)| namespace)
    }
}

impl fmt::Debug for ActivityDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivityDescriptor")
            .field("type_name", &self.type_name)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Looks activity types up by full or short name (`Elsa.WriteLine` or `WriteLine`), case-insensitively.
#[derive(Debug)]
pub struct ActivityRegistry {
    descriptors: Vec<&'static ActivityDescriptor>,
    by_name: HashMap<String, &'static ActivityDescriptor>,
}

impl ActivityRegistry {
    /// A registry of the given types. When two types share a short name, the first one keeps it.
    pub fn new(descriptors: Vec<&'static ActivityDescriptor>) -> Self {
        let mut by_name = HashMap::new();
        for descriptor in &descriptors {
            by_name.insert(descriptor.type_name.to_ascii_lowercase(), *descriptor);
        }
        for descriptor in &descriptors {
            by_name
                .entry(descriptor.name().to_ascii_lowercase())
                .or_insert(*descriptor);
        }
        Self {
            descriptors,
            by_name,
        }
    }

    /// Every activity type this engine can run.
    pub fn builtin() -> Self {
        Self::new(crate::activities::BUILTIN.to_vec())
    }

    pub fn find(&self, type_name: &str) -> Option<&'static ActivityDescriptor> {
        self.by_name.get(&type_name.to_ascii_lowercase()).copied()
    }

    pub fn descriptors(&self) -> impl Iterator<Item = &'static ActivityDescriptor> + '_ {
        self.descriptors.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_full_and_short_names_case_insensitively() {
        let registry = ActivityRegistry::builtin();
        let write_line = registry.find("Elsa.WriteLine").unwrap();
        assert_eq!(write_line.name(), "WriteLine");
        assert_eq!(write_line.namespace(), "Elsa");
        assert!(std::ptr::eq(
            registry.find("writeline").unwrap(),
            write_line
        ));
        assert!(registry.find("Elsa.Nope").is_none());
    }
}
