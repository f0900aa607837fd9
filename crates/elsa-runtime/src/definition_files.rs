//! Definitions read from workflow JSON files, the two ways Elsa loads them: **as written** (its
//! file-based workflow provider keeps the file's ids, version and `isPublished`/`isLatest`
//! flags) and **imported and published** (the import endpoint followed by publish).

use crate::{Runtime, RuntimeError, SaveOutcome};
use elsa_model::{Timestamp, WorkflowDefinition, WorkflowDefinitionInput};
use serde::Deserialize;
use serde_json::Value;

/// Parses a workflow JSON file; a leading UTF-8 byte-order mark is allowed (Windows editors
/// write one, and Elsa's reader skips it).
pub fn parse_definition_file(bytes: &[u8]) -> Result<Value, RuntimeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    elsa_model::parse_bounded(bytes).map_err(RuntimeError::InvalidDefinitionFile)
}

/// What a file may say beyond [`WorkflowDefinitionInput`]: the server-controlled fields that
/// "as written" keeps.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct WrittenFlags {
    version: Option<i32>,
    is_latest: Option<bool>,
    is_published: Option<bool>,
    /// Kept raw: a date the file spells oddly is replaced by "now" rather than rejected.
    created_at: Option<Value>,
}

/// The definition a file (or an import body) describes. Older files carry `usableAsActivity`
/// at the top level rather than under `options`; it is moved there (an `options` value wins).
pub fn definition_input(json: &Value) -> Result<WorkflowDefinitionInput, RuntimeError> {
    let mut input = WorkflowDefinitionInput::deserialize(json)
        .map_err(|e| RuntimeError::InvalidDefinitionFile(e.to_string()))?;
    let top_level = json.as_object().and_then(|object| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("usableAsActivity"))
            .map(|(_, value)| value.clone())
    });
    if let Some(usable) = top_level.filter(Value::is_boolean) {
        let options = input.options.get_or_insert_with(Default::default);
        if !options
            .keys()
            .any(|key| key.eq_ignore_ascii_case("usableAsActivity"))
        {
            options.insert("usableAsActivity".to_owned(), usable);
        }
    }
    Ok(input)
}

impl Runtime {
    /// Stores a definition file as written, like Elsa's file-based provider: ids, version and
    /// flags come from the file (a file without `isLatest`/`isPublished` counts as the latest,
    /// published version; missing ids are generated). The workflow is not validated: like Elsa,
    /// a broken file is stored and fails when it runs.
    pub async fn preload(&self, json: &Value) -> Result<WorkflowDefinition, RuntimeError> {
        let input = definition_input(json)?;
        let flags = WrittenFlags::deserialize(json)
            .map_err(|e| RuntimeError::InvalidDefinitionFile(e.to_string()))?;
        let id = input.id.clone().unwrap_or_else(|| self.ids.new_id());
        let definition = WorkflowDefinition {
            definition_id: input.definition_id.clone().unwrap_or_else(|| id.clone()),
            id,
            name: input.name.clone(),
            description: input.description.clone(),
            created_at: flags
                .created_at
                .and_then(|at| serde_json::from_value::<Timestamp>(at).ok())
                .unwrap_or_else(|| self.clock.now()),
            version: flags.version.unwrap_or(1),
            tool_version: input.tool_version.clone(),
            variables: input.variables.clone().unwrap_or_default(),
            inputs: input.inputs.clone().unwrap_or_default(),
            outputs: input.outputs.clone().unwrap_or_default(),
            outcomes: input.outcomes.clone().unwrap_or_default(),
            custom_properties: input.custom_properties.clone().unwrap_or_default(),
            is_readonly: input.is_readonly.unwrap_or(false),
            is_system: input.is_system.unwrap_or(false),
            is_latest: flags.is_latest.unwrap_or(true),
            is_published: flags.is_published.unwrap_or(true),
            options: input.options.clone().unwrap_or_default(),
            root: input.root_activity(),
        };
        self.store_versions(std::slice::from_ref(&definition))
            .await?;
        Ok(definition)
    }

    /// Imports a definition file and publishes it (the import, then
    /// `POST .../{definitionId}/publish`).
    pub async fn import_published(&self, json: &Value) -> Result<SaveOutcome, RuntimeError> {
        self.save_definition(definition_input(json)?, true).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_byte_order_mark() {
        let parsed = parse_definition_file(b"\xEF\xBB\xBF{\"id\": \"a\"}").unwrap();
        assert_eq!(parsed, serde_json::json!({"id": "a"}));
        assert!(matches!(
            parse_definition_file(b"{"),
            Err(RuntimeError::InvalidDefinitionFile(_))
        ));
    }

    #[test]
    fn usable_as_activity_at_the_top_level_moves_into_options() {
        let input = definition_input(&serde_json::json!({"usableAsActivity": true})).unwrap();
        assert_eq!(
            input.options.unwrap().get("usableAsActivity"),
            Some(&Value::Bool(true))
        );
        let input = definition_input(&serde_json::json!({
            "usableAsActivity": true, "options": {"usableAsActivity": false}
        }))
        .unwrap();
        assert_eq!(
            input.options.unwrap().get("usableAsActivity"),
            Some(&Value::Bool(false))
        );
    }
}
