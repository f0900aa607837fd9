//! Workflow variables as declared in JSON (`{id, name, typeName, isArray, value, storageDriverTypeName}`)
//! and references to them (`SetVariable.variable`, `Variable` expressions).

use crate::json;
use crate::values::ValueType;
use serde_json::{Map, Value};

/// Where a variable's value lives between bursts (elsa-api.md §5.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StorageDriver {
    /// Persisted in the declaring context's `properties.Variables`. The legacy
    /// `WorkflowStorageDriver` is stored the same way.
    WorkflowInstance,
    /// Kept in process memory only: not part of the persisted state.
    Memory,
    /// No driver: lost after the burst.
    Transient,
}

impl StorageDriver {
    fn from_type_name(type_name: Option<&str>) -> Self {
        match type_name {
            Some(name) if name.contains("MemoryStorageDriver") => Self::Memory,
            Some(name)
                if name.contains("WorkflowInstanceStorageDriver")
                    || name.contains("WorkflowStorageDriver") =>
            {
                Self::WorkflowInstance
            }
            _ => Self::Transient,
        }
    }
}

/// A declared variable.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VariableDefinition {
    pub id: String,
    pub name: String,
    pub value_type: ValueType,
    /// The declared default, converted to `value_type`.
    pub initial: Value,
    pub storage: StorageDriver,
}

impl VariableDefinition {
    /// Parses a variable object; the error says what is wrong with it.
    pub fn parse(json: &Value) -> Result<Self, String> {
        let object = json.as_object().ok_or("a variable must be a JSON object")?;
        let name = json::string(object, "name")
            .filter(|name| !name.is_empty())
            .ok_or("a variable needs a 'name'")?;
        // Elsa generates ids for variables created in code; JSON without one is matched by name.
        let id = json::string(object, "id").unwrap_or(name);
        let element_type =
            ValueType::from_alias(json::string(object, "typeName").unwrap_or("Object"));
        let is_array = json::property(object, "isArray")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let value_type = if is_array {
            element_type.into_list()
        } else {
            element_type
        };
        let initial = match json::non_null(object, "value") {
            // The default is written as a string; an empty one means "no default".
            Some(Value::String(text)) if text.is_empty() => Value::Null,
            Some(value) => value_type.convert(value.clone()).map_err(|reason| {
                format!("the default value of variable '{name}' is invalid: {reason}")
            })?,
            None => Value::Null,
        };
        Ok(Self {
            id: id.to_owned(),
            name: name.to_owned(),
            value_type,
            initial,
            storage: StorageDriver::from_type_name(json::string(object, "storageDriverTypeName")),
        })
    }
}

impl VariableDefinition {
    /// A loop's iteration variable (`CurrentValue`, `CurrentIndex`): untyped, persisted with
    /// the instance so a suspended body still sees its value.
    pub fn iteration(id: String, name: &str) -> Self {
        Self {
            id,
            name: name.to_owned(),
            value_type: ValueType::Object,
            initial: Value::Null,
            storage: StorageDriver::WorkflowInstance,
        }
    }
}

/// A reference to a variable: matched by id first, then by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VariableRef {
    pub id: Option<String>,
    pub name: Option<String>,
}

impl VariableRef {
    /// Accepts a variable object, or a string holding its JSON (Studio's `Variable` expression).
    pub fn parse(json: &Value) -> Result<Self, String> {
        let parsed;
        let object: &Map<String, Value> = match json {
            Value::Object(object) => object,
            Value::String(text) => {
                parsed = serde_json::from_str::<Value>(text)
                    .map_err(|e| format!("the variable reference is not valid JSON: {e}"))?;
                parsed
                    .as_object()
                    .ok_or("a variable reference must be a JSON object")?
            }
            _ => return Err("a variable reference must be a JSON object".to_owned()),
        };
        let text = |key| {
            json::string(object, key)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let reference = Self {
            id: text("id"),
            name: text("name"),
        };
        if reference.id.is_none() && reference.name.is_none() {
            return Err("a variable reference needs an 'id' or a 'name'".to_owned());
        }
        Ok(reference)
    }

    /// How the reference reads in messages.
    pub fn label(&self) -> &str {
        self.name
            .as_deref()
            .or(self.id.as_deref())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_variable_definitions() {
        let variable = VariableDefinition::parse(&json!({
            "id": "v1", "name": "Counter", "typeName": "Int32", "value": "0",
            "storageDriverTypeName": "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core"
        }))
        .unwrap();
        assert_eq!(variable.initial, json!(0));
        assert_eq!(variable.storage, StorageDriver::WorkflowInstance);
        let list = VariableDefinition::parse(
            &json!({"name": "Items", "typeName": "String", "isArray": true}),
        )
        .unwrap();
        assert_eq!(list.id, "Items");
        assert_eq!(list.value_type, ValueType::String.into_list());
        assert!(
            VariableDefinition::parse(&json!({"name": "N", "typeName": "Int32", "value": "x"}))
                .is_err()
        );
    }

    #[test]
    fn parses_references_from_objects_and_json_strings() {
        let from_object = VariableRef::parse(&json!({"id": "v1", "name": "Counter"})).unwrap();
        let from_string =
            VariableRef::parse(&json!("{\"id\":\"v1\",\"name\":\"Counter\"}")).unwrap();
        assert_eq!(from_object, from_string);
        assert!(VariableRef::parse(&json!({})).is_err());
    }
}
