//! Triggers of published definitions: the HTTP route table (`Elsa.HttpEndpoint` path + method
//! per published definition) and the publish validation of trigger payloads (cron syntax,
//! HTTP routes claimed by another definition), as Elsa's trigger indexer and validators do.
//!
//! The table is a cache of the store: any stored definition bumps a generation counter and the
//! next lookup rebuilds it from the published definitions, so a restart (or a publish on this
//! node) is reflected without bookkeeping. Another node's publish is not seen until this node
//! stores a definition itself — durable, clustered triggers come later.

use crate::{Runtime, RuntimeError};
use elsa_engine::{SequentialIds, Trigger, normalize_route};
use elsa_model::VersionOptions;
use elsa_store::DefinitionFilter;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Stimulus name (and activity type) of HTTP triggers and bookmarks.
pub(crate) const HTTP_ENDPOINT: &str = "Elsa.HttpEndpoint";
const CRON: &str = "Elsa.Cron";

/// A problem publish validation found (Elsa's `WorkflowValidationError`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationError {
    pub message: String,
    pub activity_id: Option<String>,
}

/// One method of one published `HttpEndpoint` trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpRoute {
    pub definition_id: String,
    pub activity_id: String,
    /// Normalised template (`/orders/{id}`).
    pub path: String,
    /// Lower case (`get`).
    pub method: String,
}

/// The routes as built at one generation of the definition store.
#[derive(Debug, Default)]
pub(crate) struct RouteTable {
    generation: u64,
    pub routes: Vec<HttpRoute>,
}

/// The routes an `HttpEndpoint` trigger claims: one per supported method (GET when none).
pub(crate) fn http_routes(definition_id: &str, triggers: &[Trigger]) -> Vec<HttpRoute> {
    triggers
        .iter()
        .filter(|trigger| trigger.type_name == HTTP_ENDPOINT)
        .flat_map(|trigger| {
            let path = normalize_route(&text(trigger.inputs.get("Path")));
            methods(trigger.inputs.get("SupportedMethods"))
                .into_iter()
                .map(move |method| HttpRoute {
                    definition_id: definition_id.to_owned(),
                    activity_id: trigger.activity_id.clone(),
                    path: path.clone(),
                    method,
                })
        })
        .collect()
}

/// An HTTP endpoint's methods, lower case; `GET` when none are given.
pub(crate) fn methods(value: Option<&Value>) -> Vec<String> {
    let methods: Vec<String> = match value {
        Some(Value::Array(items)) => items.iter().map(|m| text(Some(m)).to_lowercase()).collect(),
        Some(Value::String(one)) if !one.trim().is_empty() => vec![one.to_lowercase()],
        _ => Vec::new(),
    };
    if methods.is_empty() {
        vec!["get".to_owned()]
    } else {
        methods
    }
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.trim().to_owned(),
        None | Some(Value::Null) => String::new(),
        Some(other) => other.to_string(),
    }
}

impl Runtime {
    /// The triggers of a loaded workflow. Evaluation uses ids of its own so that indexing
    /// never shifts the ids runs get.
    pub(crate) fn triggers_of(&self, workflow: &elsa_engine::Workflow) -> Vec<Trigger> {
        self.engine
            .triggers(workflow, self.clock.as_ref(), &SequentialIds::new())
    }

    /// Forgets the route table; the next lookup rebuilds it from the store.
    pub(crate) fn invalidate_triggers(&self) {
        self.trigger_generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The HTTP routes of every published definition, rebuilt when a definition was stored
    /// since the last build. A published definition that no longer loads has no routes.
    pub(crate) async fn route_table(&self) -> Result<Arc<RouteTable>, RuntimeError> {
        let mut table = self.routes.lock().await;
        let generation = self.trigger_generation.load(Ordering::SeqCst);
        if let Some(current) = table.as_ref().filter(|t| t.generation == generation) {
            return Ok(current.clone());
        }
        let published = self
            .definitions
            .list(&DefinitionFilter {
                version_options: Some(VersionOptions::Published),
                ..Default::default()
            })
            .await?
            .items;
        let mut routes = Vec::new();
        for definition in &published {
            if let Ok(loaded) = self.workflow(definition).await {
                let triggers = self.triggers_of(&loaded.workflow);
                routes.extend(http_routes(&definition.definition_id, &triggers));
            }
        }
        let built = Arc::new(RouteTable { generation, routes });
        *table = Some(built.clone());
        Ok(built)
    }

    /// Elsa's publish validators: each Cron trigger's expression must parse (Cronos' six-field
    /// format), and no HTTP route may be claimed by another published definition.
    pub(crate) async fn validate_triggers(
        &self,
        definition_id: &str,
        triggers: &[Trigger],
    ) -> Result<Vec<ValidationError>, RuntimeError> {
        let mut errors = Vec::new();
        for trigger in triggers.iter().filter(|t| t.type_name == CRON) {
            let expression = text(trigger.inputs.get("CronExpression"));
            if let Err(message) = elsa_engine::CronExpression::parse(&expression) {
                errors.push(ValidationError {
                    message: format!("Error when parsing cron expression: {message}"),
                    activity_id: Some(trigger.activity_id.clone()),
                });
            }
        }
        let claimed = http_routes(definition_id, triggers);
        if !claimed.is_empty() {
            let table = self.route_table().await?;
            for route in claimed {
                let taken = table.routes.iter().any(|other| {
                    other.definition_id != definition_id
                        && other.path == route.path
                        && other.method == route.method
                });
                if taken {
                    errors.push(ValidationError {
                        message: format!(
                            "The {} path and {} method are already in use by another workflow!",
                            route.path, route.method
                        ),
                        activity_id: Some(route.activity_id),
                    });
                }
            }
        }
        Ok(errors)
    }
}
