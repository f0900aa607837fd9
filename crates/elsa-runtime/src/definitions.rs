//! Definition versioning, as Elsa's `WorkflowDefinitionPublisher` does it: one latest and at
//! most one published version per definition; saving over a published version starts a new
//! draft version; publishing makes the latest version the published one.

use crate::{Runtime, RuntimeError, ValidationError};
use elsa_model::{VersionOptions, WorkflowDefinition, WorkflowDefinitionInput};

/// Result of a save or publish.
#[derive(Debug, Clone)]
pub struct SaveOutcome {
    pub definition: WorkflowDefinition,
    pub already_published: bool,
    /// What publish validation found; only warnings here, since with
    /// `FailOnValidationErrors` they fail the publish instead.
    pub validation_errors: Vec<ValidationError>,
}

impl Runtime {
    /// Saves a draft (new definition, in-place update of the latest draft, or a new version on
    /// top of a published one), then publishes it when asked.
    pub async fn save_definition(
        &self,
        input: WorkflowDefinitionInput,
        publish: bool,
    ) -> Result<SaveOutcome, RuntimeError> {
        let now = self.clock.now();
        let latest = match &input.definition_id {
            Some(id) => self.definitions.find(id, VersionOptions::Latest).await?,
            None => None,
        };
        if let Some(l) = latest.as_ref().filter(|l| l.is_readonly) {
            return Err(RuntimeError::ReadOnly(l.definition_id.clone()));
        }
        let mut changed = Vec::new();
        let mut draft = match latest {
            Some(l) if !l.is_published => l,
            Some(published) => {
                let mut previous = published.clone();
                previous.is_latest = false;
                changed.push(previous);
                let max = self
                    .definitions
                    .versions(&published.definition_id)
                    .await?
                    .first()
                    .map_or(published.version, |d| d.version);
                WorkflowDefinition {
                    id: self.ids.new_id(),
                    version: max + 1,
                    created_at: now,
                    is_published: false,
                    is_latest: true,
                    ..published
                }
            }
            None => WorkflowDefinition {
                id: self.ids.new_id(),
                definition_id: input
                    .definition_id
                    .clone()
                    .unwrap_or_else(|| self.ids.new_id()),
                name: None,
                description: None,
                created_at: now,
                version: 1,
                tool_version: None,
                variables: vec![],
                inputs: vec![],
                outputs: vec![],
                outcomes: vec![],
                custom_properties: Default::default(),
                is_readonly: false,
                is_system: false,
                is_latest: true,
                is_published: false,
                options: Default::default(),
                root: serde_json::Value::Null,
            },
        };
        apply_input(&mut draft, input);
        changed.push(draft);
        self.store_versions(&changed).await?;
        let draft = changed.pop().expect("the draft was pushed last");
        if publish {
            return self.publish_version(draft).await;
        }
        Ok(SaveOutcome {
            definition: draft,
            already_published: false,
            validation_errors: Vec::new(),
        })
    }

    /// Publishes the latest version of a definition.
    pub async fn publish(&self, definition_id: &str) -> Result<SaveOutcome, RuntimeError> {
        let latest = self
            .definitions
            .find(definition_id, VersionOptions::Latest)
            .await?
            .ok_or_else(|| RuntimeError::DefinitionNotFound(definition_id.to_string()))?;
        if latest.is_readonly {
            return Err(RuntimeError::ReadOnly(latest.definition_id));
        }
        if latest.is_published {
            return Ok(SaveOutcome {
                definition: latest,
                already_published: true,
                validation_errors: Vec::new(),
            });
        }
        self.publish_version(latest).await
    }

    async fn publish_version(
        &self,
        mut version: WorkflowDefinition,
    ) -> Result<SaveOutcome, RuntimeError> {
        // A version that cannot run is never published; one whose triggers are invalid only
        // when validation errors fail the publish.
        let (workflow, _) = self.load_definition(&version).await?;
        let triggers = self.triggers_of(&workflow);
        let validation_errors = self.validate_triggers(&version, &triggers).await?;
        if self.fail_on_validation_errors && !validation_errors.is_empty() {
            return Err(RuntimeError::ValidationFailed(validation_errors));
        }
        let mut changed: Vec<WorkflowDefinition> = self
            .definitions
            .versions(&version.definition_id)
            .await?
            .into_iter()
            .filter(|d| d.id != version.id && (d.is_published || d.is_latest))
            .map(|mut d| {
                d.is_published = false;
                d.is_latest = false;
                d
            })
            .collect();
        version.is_published = true;
        version.is_latest = true;
        changed.push(version);
        self.store_versions(&changed).await?;
        Ok(SaveOutcome {
            definition: changed
                .pop()
                .expect("the published version was pushed last"),
            already_published: false,
            validation_errors,
        })
    }
}

impl Runtime {
    /// Stores versions — the one way definitions are written — with the trigger index of the
    /// published ones, in one transaction; then drops what the caches hold that the change
    /// affects, and wakes the worker when a schedule may have changed.
    pub(crate) async fn store_versions(
        &self,
        changed: &[WorkflowDefinition],
    ) -> Result<(), RuntimeError> {
        let mut triggers = Vec::new();
        for version in changed.iter().filter(|v| v.is_published) {
            triggers.extend(self.index(version).await?);
        }
        self.definitions.save(changed, &triggers).await?;
        self.definitions_changed(changed, false);
        if triggers.iter().any(|t| t.next_fire_at.is_some()) {
            self.wake_worker();
        }
        Ok(())
    }

    /// Called when versions were stored (`deleted`: or deleted). A new version may change
    /// what cached workflows that inline workflows used as activities would resolve (it may
    /// also have stopped being usable as one), so those are dropped, with the deleted
    /// versions themselves; the route table is read again on its next use.
    pub(crate) fn definitions_changed(&self, versions: &[WorkflowDefinition], deleted: bool) {
        self.invalidate_triggers();
        let gone = |id: &str| deleted && versions.iter().any(|v| v.id == id);
        self.loaded
            .lock()
            .expect("cache lock")
            .retain(|id, loaded| !loaded.uses_activities && !gone(id));
    }
}

/// Copies what a client may set; ids, version, flags and createdAt stay server-controlled.
fn apply_input(d: &mut WorkflowDefinition, input: WorkflowDefinitionInput) {
    let mut root = input.root_activity();
    crate::node_ids::assign_node_ids(&mut root);
    let trimmed = |s: Option<String>| s.map(|s| s.trim().to_string());
    if input.name.is_some() {
        d.name = trimmed(input.name);
    }
    if input.description.is_some() {
        d.description = trimmed(input.description);
    }
    if input.tool_version.is_some() {
        d.tool_version = input.tool_version;
    }
    d.variables = input.variables.unwrap_or(std::mem::take(&mut d.variables));
    d.inputs = input.inputs.unwrap_or(std::mem::take(&mut d.inputs));
    d.outputs = input.outputs.unwrap_or(std::mem::take(&mut d.outputs));
    d.outcomes = input.outcomes.unwrap_or(std::mem::take(&mut d.outcomes));
    d.custom_properties = input
        .custom_properties
        .unwrap_or(std::mem::take(&mut d.custom_properties));
    d.options = input.options.unwrap_or(std::mem::take(&mut d.options));
    d.is_system = input.is_system.unwrap_or(d.is_system);
    d.root = root;
}
