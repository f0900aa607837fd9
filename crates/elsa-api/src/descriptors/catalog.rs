//! The fixed descriptor lists of elsa-api.md §2.2 besides activities: expression types,
//! variable types, storage drivers, activation, incident and log-persistence strategies,
//! commit strategies and output converters. Each lists only what the engine implements.

use crate::AppState;
use crate::json::Query;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::RawQuery;
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(expression_descriptors))
        .routes(routes!(variables))
        .routes(routes!(storage_drivers))
        .routes(routes!(activation_strategies))
        .routes(routes!(incident_strategies))
        .routes(routes!(log_persistence_strategies))
        .routes(routes!(workflow_commit_strategies))
        .routes(routes!(activity_commit_strategies))
        .routes(routes!(output_converters))
}

/// `{"items": [...], "count": N}`.
fn list(items: Vec<Value>) -> Json<Value> {
    Json(json!({"count": items.len(), "items": items}))
}

/// `GET /descriptors/expression-descriptors`: the expression types the engine evaluates.
#[utoipa::path(get, path = "/descriptors/expression-descriptors", tag = "descriptors",
    responses((status = 200, description = "`{items: [{type, displayName, isSerializable, isBrowsable, properties}], count}`", body = Object)))]
pub async fn expression_descriptors() -> Json<Value> {
    let d = |ty: &str, serializable: bool, browsable: bool, monaco: Option<&str>| {
        let properties = monaco.map_or_else(|| json!({}), |m| json!({"MonacoLanguage": m}));
        json!({"type": ty, "displayName": ty, "isSerializable": serializable,
               "isBrowsable": browsable, "properties": properties})
    };
    list(vec![
        d("Literal", true, false, None),
        d("Object", true, false, Some("json")),
        d("Json", true, false, Some("json")),
        d("Delegate", false, false, None),
        d("Variable", true, false, None),
        d("Input", true, false, None),
        d("JavaScript", true, true, Some("javascript")),
        d("Liquid", true, true, Some("liquid")),
    ])
}

/// Variable types Studio offers, by category (the engine's type aliases).
const VARIABLE_TYPES: &[(&str, &str, &str)] = &[
    ("Object", "Object", "Primitives"),
    ("String", "String", "Primitives"),
    ("Boolean", "Boolean", "Primitives"),
    ("Int32", "Int32", "Primitives"),
    ("Int64", "Int64", "Primitives"),
    ("Single", "Single", "Primitives"),
    ("Double", "Double", "Primitives"),
    ("Decimal", "Decimal", "Primitives"),
    ("Guid", "Guid", "Primitives"),
    ("DateTime", "DateTime", "Primitives"),
    ("DateTimeOffset", "DateTimeOffset", "Primitives"),
    ("TimeSpan", "TimeSpan", "Primitives"),
    ("StringDictionary", "StringDictionary", "Lookups"),
    ("ObjectDictionary", "ObjectDictionary", "Lookups"),
    ("ExpandoObject", "JSON", "Dynamic"),
    ("JsonElement", "JsonElement", "Dynamic"),
    ("JsonNode", "JsonNode", "Dynamic"),
    ("JsonObject", "JsonObject", "Dynamic"),
    ("ByteArray", "ByteArray", "Data"),
    ("Stream", "Stream", "Data"),
    ("LogPersistenceMode", "LogPersistenceMode", "System"),
];

/// `GET /descriptors/variables` (no `count`, as Elsa answers).
#[utoipa::path(get, path = "/descriptors/variables", tag = "descriptors",
    responses((status = 200, description = "`{items: [{typeName, displayName, category, description}]}`", body = Object)))]
pub async fn variables() -> Json<Value> {
    let items: Vec<Value> = VARIABLE_TYPES
        .iter()
        .map(|(type_name, display, category)| {
            json!({"typeName": type_name, "displayName": display, "category": category, "description": ""})
        })
        .collect();
    Json(json!({"items": items}))
}

/// `GET /descriptors/storage-drivers`, by priority, highest first (no `count`).
#[utoipa::path(get, path = "/descriptors/storage-drivers", tag = "descriptors",
    responses((status = 200, description = "`{items: [{typeName, displayName, priority, deprecated}]}`", body = Object)))]
pub async fn storage_drivers() -> Json<Value> {
    Json(json!({"items": [
        {"typeName": "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core",
         "displayName": "Workflow Instance", "priority": 5, "deprecated": false},
        {"typeName": "Elsa.Workflows.MemoryStorageDriver, Elsa.Workflows.Core",
         "displayName": "Memory", "priority": 0, "deprecated": false},
        {"typeName": "Elsa.Workflows.Services.WorkflowStorageDriver, Elsa.Workflows.Core",
         "displayName": "Workflow", "priority": -1, "deprecated": true},
    ]}))
}

/// `{displayName, description, typeName}` items.
fn strategies(items: &[(&str, &str, &str)]) -> Json<Value> {
    list(
        items
            .iter()
            .map(|(display, description, type_name)| {
                json!({"displayName": display, "description": description, "typeName": type_name})
            })
            .collect(),
    )
}

/// `GET /descriptors/workflow-activation-strategies`, sorted by display name.
#[utoipa::path(get, path = "/descriptors/workflow-activation-strategies", tag = "descriptors",
    responses((status = 200, description = "`{items: [{displayName, description, typeName}], count}`", body = Object)))]
pub async fn activation_strategies() -> Json<Value> {
    strategies(&[
        (
            "Always",
            "Always allow the creation of a new workflow instance.",
            "Elsa.Workflows.ActivationValidators.AllowAlwaysStrategy, Elsa.Workflows.Core",
        ),
        (
            "Correlated singleton",
            "Only allow a new workflow instance if no running instance of the same definition has the same correlation ID.",
            "Elsa.Workflows.Runtime.ActivationValidators.CorrelatedSingletonStrategy, Elsa.Workflows.Runtime",
        ),
        (
            "Correlation",
            "Only allow a new workflow instance if no running instance has the same correlation ID.",
            "Elsa.Workflows.Runtime.ActivationValidators.CorrelationStrategy, Elsa.Workflows.Runtime",
        ),
        (
            "Singleton",
            "Only allow a new workflow instance if no running instance of the same definition exists.",
            "Elsa.Workflows.Runtime.ActivationValidators.SingletonStrategy, Elsa.Workflows.Runtime",
        ),
    ])
}

/// `GET /descriptors/incident-strategies`.
#[utoipa::path(get, path = "/descriptors/incident-strategies", tag = "descriptors",
    responses((status = 200, description = "`{items: [{displayName, description, typeName}], count}`", body = Object)))]
pub async fn incident_strategies() -> Json<Value> {
    strategies(&[
        (
            "Continue With Incidents",
            "Records the incident and keeps running the other branches of the workflow.",
            "ContinueWithIncidentsStrategy",
        ),
        (
            "Fault",
            "Faults the workflow when an activity faults.",
            "FaultStrategy",
        ),
    ])
}

/// `GET /descriptors/log-persistence-strategies`.
#[utoipa::path(get, path = "/descriptors/log-persistence-strategies", tag = "descriptors",
    responses((status = 200, description = "`{items: [{displayName, description, typeName}], count}`", body = Object)))]
pub async fn log_persistence_strategies() -> Json<Value> {
    strategies(&[
        (
            "Configuration",
            "Decided by the server's configuration.",
            "Elsa.Workflows.LogPersistence.Strategies.Configuration, Elsa.Workflows.Core",
        ),
        (
            "Exclude",
            "Never persist the value.",
            "Elsa.Workflows.LogPersistence.Strategies.Exclude, Elsa.Workflows.Core",
        ),
        (
            "Include",
            "Always persist the value.",
            "Elsa.Workflows.LogPersistence.Strategies.Include, Elsa.Workflows.Core",
        ),
        (
            "Inherit",
            "Use the mode of the parent (activity or workflow).",
            "Elsa.Workflows.LogPersistence.Strategies.Inherit, Elsa.Workflows.Core",
        ),
    ])
}

/// `GET /descriptors/commit-strategies/workflows`: none are registered (every run commits
/// once, at its end).
#[utoipa::path(get, path = "/descriptors/commit-strategies/workflows", tag = "descriptors",
    responses((status = 200, description = "`{items: [{name, displayName, description}], count}`", body = Object)))]
pub async fn workflow_commit_strategies() -> Json<Value> {
    list(Vec::new())
}

/// `GET /descriptors/commit-strategies/activities`: none are registered.
#[utoipa::path(get, path = "/descriptors/commit-strategies/activities", tag = "descriptors",
    responses((status = 200, description = "`{items: [{name, displayName, description}], count}`", body = Object)))]
pub async fn activity_commit_strategies() -> Json<Value> {
    list(Vec::new())
}

/// `GET /descriptors/output-converters?sourceType=&destinationType=`: both are required; no
/// converters are registered.
#[utoipa::path(get, path = "/descriptors/output-converters", tag = "descriptors",
    params(("sourceType" = String, Query), ("destinationType" = String, Query)),
    responses((status = 200, description = "`{items, count}`", body = Object),
        (status = 400, description = "A type is missing")))]
pub async fn output_converters(RawQuery(raw): RawQuery) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(raw.as_deref());
    for key in ["sourceType", "destinationType"] {
        if q.get(key).is_none_or(|v| v.trim().is_empty()) {
            return Err(ApiError::bad_request(format!(
                "query parameter '{key}' is required"
            )));
        }
    }
    Ok(list(Vec::new()))
}
