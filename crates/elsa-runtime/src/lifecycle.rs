//! The rest of a definition's life after save and publish: retract, revert to an older
//! version, delete (a whole definition with its instances, or one version) and import (a model
//! stored as a draft, whatever flags it carries).

use crate::{Runtime, RuntimeError, SaveOutcome};
use elsa_model::{WorkflowDefinition, WorkflowDefinitionInput};

/// Result of an import: the stored draft and whether the definition was new.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub definition: WorkflowDefinition,
    pub is_new: bool,
}

impl Runtime {
    /// Takes the published version of a definition out of service: it stays stored, but nothing
    /// starts it any more.
    pub async fn retract(&self, definition_id: &str) -> Result<WorkflowDefinition, RuntimeError> {
        let versions = self.existing_versions(definition_id).await?;
        let mut published = versions
            .into_iter()
            .find(|d| d.is_published)
            .ok_or_else(|| RuntimeError::NotPublished(definition_id.to_string()))?;
        if published.is_readonly {
            return Err(RuntimeError::ReadOnly(published.definition_id));
        }
        published.is_published = false;
        self.store_versions(std::slice::from_ref(&published))
            .await?;
        Ok(published)
    }

    /// Copies `version` as a new latest draft (`max + 1`, new id); the previous latest version
    /// keeps its published flag.
    pub async fn revert(
        &self,
        definition_id: &str,
        version: i32,
    ) -> Result<WorkflowDefinition, RuntimeError> {
        let versions = self.existing_versions(definition_id).await?;
        let source = versions
            .iter()
            .find(|d| d.version == version)
            .cloned()
            .ok_or_else(|| {
                RuntimeError::DefinitionNotFound(format!("{definition_id} version {version}"))
            })?;
        if versions.iter().any(|d| d.is_readonly) {
            return Err(RuntimeError::ReadOnly(definition_id.to_string()));
        }
        let max = versions.first().map_or(version, |d| d.version);
        let mut changed: Vec<WorkflowDefinition> = versions
            .into_iter()
            .filter(|d| d.is_latest)
            .map(|mut d| {
                d.is_latest = false;
                d
            })
            .collect();
        changed.push(WorkflowDefinition {
            id: self.ids.new_id(),
            version: max + 1,
            created_at: self.clock.now(),
            is_latest: true,
            is_published: false,
            ..source
        });
        self.store_versions(&changed).await?;
        Ok(changed.pop().expect("the draft was pushed last"))
    }

    /// Deletes every version of a definition together with its triggers and its instances
    /// (their bookmarks, journal, activity records and queued work go with them).
    pub async fn delete_definition(&self, definition_id: &str) -> Result<(), RuntimeError> {
        let versions = self.existing_versions(definition_id).await?;
        if versions.iter().any(|d| d.is_readonly) {
            return Err(RuntimeError::ReadOnly(definition_id.to_string()));
        }
        self.instances.delete_by_definition(definition_id).await?;
        self.definitions.delete_definition(definition_id).await?;
        self.definitions_changed(&versions, true);
        Ok(())
    }

    /// Deletes one version (by version id). A published version is retracted with it; when it
    /// was the latest, the highest remaining version becomes the latest.
    pub async fn delete_version(&self, id: &str) -> Result<WorkflowDefinition, RuntimeError> {
        let version = self
            .definitions
            .get(id)
            .await?
            .ok_or_else(|| RuntimeError::DefinitionNotFound(id.to_string()))?;
        if version.is_readonly {
            return Err(RuntimeError::ReadOnly(version.definition_id));
        }
        self.definitions
            .delete_versions(std::slice::from_ref(&version.id))
            .await?;
        if version.is_latest
            && let Some(mut next) = self
                .definitions
                .versions(&version.definition_id)
                .await?
                .into_iter()
                .next()
        {
            next.is_latest = true;
            self.store_versions(std::slice::from_ref(&next)).await?;
        }
        self.definitions_changed(std::slice::from_ref(&version), true);
        Ok(version)
    }

    /// Stores a model as the latest draft of its definition (a new definition when its
    /// `definitionId` is unknown or absent). Like Elsa's import, the lists and options the model
    /// leaves out are emptied rather than kept, and nothing is published.
    pub async fn import(
        &self,
        mut input: WorkflowDefinitionInput,
    ) -> Result<ImportOutcome, RuntimeError> {
        let is_new = match input.definition_id.as_deref() {
            Some(id) if !id.trim().is_empty() => self.definitions.versions(id).await?.is_empty(),
            _ => {
                input.definition_id = None;
                true
            }
        };
        input.variables.get_or_insert_default();
        input.inputs.get_or_insert_default();
        input.outputs.get_or_insert_default();
        input.outcomes.get_or_insert_default();
        input.custom_properties.get_or_insert_default();
        input.options.get_or_insert_default();
        let SaveOutcome { definition, .. } = self.save_definition(input, false).await?;
        Ok(ImportOutcome { definition, is_new })
    }

    /// Every version of a definition, highest first; not found when there is none.
    pub(crate) async fn existing_versions(
        &self,
        definition_id: &str,
    ) -> Result<Vec<WorkflowDefinition>, RuntimeError> {
        let versions = self.definitions.versions(definition_id).await?;
        if versions.is_empty() {
            return Err(RuntimeError::DefinitionNotFound(definition_id.to_string()));
        }
        Ok(versions)
    }
}
