//! The trigger index: what each published version's triggers are (an HTTP endpoint per
//! method, an event name, a schedule), as rows of the store's `Elsa_Triggers`, written with
//! the version in the transaction that publishes, retracts or deletes it. Lookups go through
//! it — the HTTP route table, the workflows an event starts, the scheduler's ticks — instead
//! of loading published definitions. Publish validation (cron syntax, HTTP routes claimed by
//! another definition) checks a version's triggers as Elsa's validators do.

use crate::schedule::{CRON, START_AT, Schedule, TIMER};
use crate::work::derived_id;
use crate::{Runtime, RuntimeError};
use elsa_engine::{
    CronExpression, SequentialIds, Trigger, access_of, bookmark_hash, endpoint_payload,
    normalize_route,
};
use elsa_model::{Timestamp, WorkflowDefinition};
use elsa_store::StoredTrigger;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Stimulus name (and activity type) of HTTP triggers and bookmarks.
pub(crate) const HTTP_ENDPOINT: &str = "Elsa.HttpEndpoint";
/// Stimulus name of event triggers and bookmarks.
pub(crate) const EVENT: &str = "Elsa.Event";

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
    /// Who may call it (`authorize`, `policy`; see `elsa_engine::access_of`).
    pub access: Value,
}

/// The routes as indexed at one generation of the definitions.
#[derive(Debug, Default)]
pub(crate) struct RouteTable {
    generation: u64,
    pub routes: Vec<HttpRoute>,
}

/// The payloads a trigger is indexed under (Elsa's trigger payloads): one per HTTP method
/// (GET when none is given); its schedule for timers; a name-only payload for other types.
fn payloads(trigger: &Trigger) -> Vec<Value> {
    let input = |name: &str| trigger.inputs.get(name);
    match trigger.type_name {
        HTTP_ENDPOINT => {
            let path = normalize_route(&text(input("Path")));
            let access = access_of(
                input("Authorize").unwrap_or(&Value::Null),
                input("Policy").unwrap_or(&Value::Null),
            );
            methods(input("SupportedMethods"))
                .into_iter()
                .map(|method| endpoint_payload(&path, &method, &access))
                .collect()
        }
        EVENT => vec![json!({"eventName": text(input("EventName"))})],
        CRON => vec![json!({"cronExpression": text(input("CronExpression"))})],
        TIMER => vec![json!({"interval": text(input("Interval"))})],
        START_AT => vec![json!({"executeAt": input("DateTime").cloned().unwrap_or_default()})],
        _ => vec![json!({})],
    }
}

/// The index rows of a version's triggers, scheduled ones with their first tick after `now`.
pub(crate) fn index_rows(
    version: &WorkflowDefinition,
    triggers: &[Trigger],
    now: Timestamp,
) -> Vec<StoredTrigger> {
    triggers
        .iter()
        .flat_map(|trigger| {
            payloads(trigger).into_iter().map(move |payload| {
                let name = trigger.type_name;
                let hash = bookmark_hash(name, &hashed_part(&payload));
                StoredTrigger {
                    id: derived_id(&[&version.id, &trigger.activity_id, &hash]),
                    definition_id: version.definition_id.clone(),
                    definition_version_id: version.id.clone(),
                    name: name.to_owned(),
                    activity_id: trigger.activity_id.clone(),
                    next_fire_at: Schedule::of(name, &payload).and_then(|s| s.first(now)),
                    hash,
                    payload,
                }
            })
        })
        .collect()
}

/// What a trigger is found by: its payload without who may call it (an HTTP endpoint's
/// `authorize` and `policy`), as the endpoint's bookmarks are hashed.
fn hashed_part(payload: &Value) -> Value {
    let mut hashed = payload.clone();
    if let Value::Object(fields) = &mut hashed {
        fields.remove("authorize");
        fields.remove("policy");
    }
    hashed
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

/// The `authorize` and `policy` fields of an HTTP payload.
pub(crate) fn access_in(payload: &Value) -> Value {
    access_of(
        payload.get("authorize").unwrap_or(&Value::Null),
        payload.get("policy").unwrap_or(&Value::Null),
    )
}

/// The route of an indexed HTTP trigger.
fn route(trigger: StoredTrigger) -> Option<HttpRoute> {
    Some(HttpRoute {
        path: trigger.payload.get("path")?.as_str()?.to_owned(),
        method: trigger.payload.get("method")?.as_str()?.to_owned(),
        access: access_in(&trigger.payload),
        definition_id: trigger.definition_id,
        activity_id: trigger.activity_id,
    })
}

impl Runtime {
    /// The triggers of a loaded workflow. Evaluation uses ids of its own so that indexing
    /// never shifts the ids runs get.
    pub(crate) fn triggers_of(&self, workflow: &elsa_engine::Workflow) -> Vec<Trigger> {
        self.engine
            .triggers(workflow, self.clock.as_ref(), &SequentialIds::new())
    }

    /// The index rows of a published version. One that does not load (a preloaded file may
    /// be broken; it fails when it runs) has none.
    pub(crate) async fn index(
        &self,
        version: &WorkflowDefinition,
    ) -> Result<Vec<StoredTrigger>, RuntimeError> {
        match self.workflow(version).await {
            Ok(loaded) => Ok(index_rows(
                version,
                &self.triggers_of(&loaded.workflow),
                self.clock.now(),
            )),
            Err(RuntimeError::InvalidWorkflow { id, source }) => {
                tracing::warn!(definition_id = %id, error = %source, "a published workflow does not load; it has no triggers");
                Ok(Vec::new())
            }
            Err(other) => Err(other),
        }
    }

    /// Indexes published versions stored before the trigger index existed (an upgraded
    /// database); at start-up, before the node serves.
    pub async fn index_unindexed(&self) -> Result<usize, RuntimeError> {
        let versions = self.definitions.unindexed().await?;
        for version in &versions {
            self.store_versions(std::slice::from_ref(version)).await?;
        }
        Ok(versions.len())
    }

    /// Forgets the route table; the next lookup reads it from the index.
    pub(crate) fn invalidate_triggers(&self) {
        self.trigger_generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The HTTP routes of every published definition, read from the index again when a
    /// definition was stored since the last read.
    pub(crate) async fn route_table(&self) -> Result<Arc<RouteTable>, RuntimeError> {
        let mut table = self.routes.lock().await;
        let generation = self.trigger_generation.load(Ordering::SeqCst);
        if let Some(current) = table.as_ref().filter(|t| t.generation == generation) {
            return Ok(current.clone());
        }
        let routes = self
            .trigger_index
            .named(HTTP_ENDPOINT)
            .await?
            .into_iter()
            .filter_map(route)
            .collect();
        let built = Arc::new(RouteTable { generation, routes });
        *table = Some(built.clone());
        Ok(built)
    }

    /// `(definition id, activity id)` of every published `Elsa.Event` trigger for `event_name`.
    pub(crate) async fn event_triggers(
        &self,
        event_name: &str,
    ) -> Result<Vec<(String, String)>, RuntimeError> {
        let hash = bookmark_hash(EVENT, &json!({"eventName": event_name}));
        Ok(self
            .trigger_index
            .matching(EVENT, &hash)
            .await?
            .into_iter()
            .map(|t| (t.definition_id, t.activity_id))
            .collect())
    }

    /// Elsa's publish validators: each Cron trigger's expression must parse (Cronos' six-field
    /// format), and no HTTP route may be claimed by another published definition.
    pub(crate) async fn validate_triggers(
        &self,
        version: &WorkflowDefinition,
        triggers: &[Trigger],
    ) -> Result<Vec<ValidationError>, RuntimeError> {
        let mut errors = Vec::new();
        for trigger in triggers.iter().filter(|t| t.type_name == CRON) {
            let expression = text(trigger.inputs.get("CronExpression"));
            if let Err(message) = CronExpression::parse(&expression) {
                errors.push(ValidationError {
                    message: format!("Error when parsing cron expression: {message}"),
                    activity_id: Some(trigger.activity_id.clone()),
                });
            }
        }
        let claimed = index_rows(version, triggers, self.clock.now());
        for row in claimed.into_iter().filter(|t| t.name == HTTP_ENDPOINT) {
            let taken = self
                .trigger_index
                .matching(HTTP_ENDPOINT, &row.hash)
                .await?
                .iter()
                .any(|other| other.definition_id != version.definition_id);
            if taken && let Some(route) = route(row) {
                errors.push(ValidationError {
                    message: format!(
                        "The {} path and {} method are already in use by another workflow!",
                        route.path, route.method
                    ),
                    activity_id: Some(route.activity_id),
                });
            }
        }
        Ok(errors)
    }
}
