//! The fixed descriptor lists of elsa-api.md §2.2 besides activities: expression types,
//! variable types, storage drivers, activation, incident and log-persistence strategies,
//! commit strategies and output converters. Each lists only what the engine implements.

use crate::AppState;
use crate::json::Query;
use crate::lists::{Items, ListResponse};
use crate::problem::ApiError;
use axum::Json;
use axum::extract::RawQuery;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
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

/// An expression syntax (Elsa's `ExpressionDescriptor`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressionDescriptor {
    pub r#type: &'static str,
    pub display_name: &'static str,
    pub is_serializable: bool,
    pub is_browsable: bool,
    pub properties: ExpressionProperties,
}

/// What the designer's editor needs to know of an expression syntax.
#[derive(Serialize, ToSchema)]
pub struct ExpressionProperties {
    /// The Monaco editor language, for syntaxes edited as code.
    #[serde(rename = "MonacoLanguage", skip_serializing_if = "Option::is_none")]
    pub monaco_language: Option<&'static str>,
}

/// A variable type the designer offers (Elsa's `VariableDescriptor`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VariableDescriptor {
    pub type_name: &'static str,
    pub display_name: &'static str,
    pub category: &'static str,
    /// Always empty.
    pub description: &'static str,
}

/// Where variables may be stored (Elsa's `StorageDriverDescriptor`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageDriverDescriptor {
    pub type_name: &'static str,
    pub display_name: &'static str,
    pub priority: i32,
    pub deprecated: bool,
}

/// A strategy the designer offers (activation, incident, log persistence).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StrategyDescriptor {
    pub display_name: &'static str,
    pub description: &'static str,
    pub type_name: &'static str,
}

/// `GET /descriptors/expression-descriptors`: the expression types the engine evaluates.
#[utoipa::path(get, path = "/descriptors/expression-descriptors", tag = "descriptors",
    responses((status = 200, description = "The expression syntaxes", body = ListResponse<ExpressionDescriptor>)))]
pub async fn expression_descriptors() -> Json<ListResponse<ExpressionDescriptor>> {
    let d = |ty, serializable, browsable, monaco_language| ExpressionDescriptor {
        r#type: ty,
        display_name: ty,
        is_serializable: serializable,
        is_browsable: browsable,
        properties: ExpressionProperties { monaco_language },
    };
    Json(ListResponse::from(vec![
        d("Literal", true, false, None),
        d("Object", true, false, Some("json")),
        d("Json", true, false, Some("json")),
        d("Delegate", false, false, None),
        d("Variable", true, false, None),
        d("Input", true, false, None),
        d("JavaScript", true, true, Some("javascript")),
        d("Liquid", true, true, Some("liquid")),
    ]))
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
    responses((status = 200, description = "The variable types", body = Items<VariableDescriptor>)))]
pub async fn variables() -> Json<Items<VariableDescriptor>> {
    let items = VARIABLE_TYPES
        .iter()
        .map(|&(type_name, display_name, category)| VariableDescriptor {
            type_name,
            display_name,
            category,
            description: "",
        })
        .collect();
    Json(Items { items })
}

/// `GET /descriptors/storage-drivers`, by priority, highest first (no `count`).
#[utoipa::path(get, path = "/descriptors/storage-drivers", tag = "descriptors",
    responses((status = 200, description = "The storage drivers", body = Items<StorageDriverDescriptor>)))]
pub async fn storage_drivers() -> Json<Items<StorageDriverDescriptor>> {
    let driver = |type_name, display_name, priority, deprecated| StorageDriverDescriptor {
        type_name,
        display_name,
        priority,
        deprecated,
    };
    Json(Items {
        items: vec![
            driver(
                "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core",
                "Workflow Instance",
                5,
                false,
            ),
            driver(
                "Elsa.Workflows.MemoryStorageDriver, Elsa.Workflows.Core",
                "Memory",
                0,
                false,
            ),
            driver(
                "Elsa.Workflows.Services.WorkflowStorageDriver, Elsa.Workflows.Core",
                "Workflow",
                -1,
                true,
            ),
        ],
    })
}

/// `{displayName, description, typeName}` items.
fn strategies(
    items: &[(&'static str, &'static str, &'static str)],
) -> Json<ListResponse<StrategyDescriptor>> {
    Json(ListResponse::from(
        items
            .iter()
            .map(
                |&(display_name, description, type_name)| StrategyDescriptor {
                    display_name,
                    description,
                    type_name,
                },
            )
            .collect::<Vec<_>>(),
    ))
}

/// `GET /descriptors/workflow-activation-strategies`, sorted by display name.
#[utoipa::path(get, path = "/descriptors/workflow-activation-strategies", tag = "descriptors",
    responses((status = 200, description = "The activation strategies", body = ListResponse<StrategyDescriptor>)))]
pub async fn activation_strategies() -> Json<ListResponse<StrategyDescriptor>> {
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
    responses((status = 200, description = "The incident strategies", body = ListResponse<StrategyDescriptor>)))]
pub async fn incident_strategies() -> Json<ListResponse<StrategyDescriptor>> {
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
    responses((status = 200, description = "The log persistence strategies", body = ListResponse<StrategyDescriptor>)))]
pub async fn log_persistence_strategies() -> Json<ListResponse<StrategyDescriptor>> {
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
    responses((status = 200, description = "Always empty: commits happen when a run ends", body = ListResponse<Value>)))]
pub async fn workflow_commit_strategies() -> Json<ListResponse<Value>> {
    Json(Vec::new().into())
}

/// `GET /descriptors/commit-strategies/activities`: none are registered.
#[utoipa::path(get, path = "/descriptors/commit-strategies/activities", tag = "descriptors",
    responses((status = 200, description = "Always empty: commits happen when a run ends", body = ListResponse<Value>)))]
pub async fn activity_commit_strategies() -> Json<ListResponse<Value>> {
    Json(Vec::new().into())
}

/// `GET /descriptors/output-converters?sourceType=&destinationType=`: both are required; no
/// converters are registered.
#[utoipa::path(get, path = "/descriptors/output-converters", tag = "descriptors",
    params(("sourceType" = String, Query), ("destinationType" = String, Query)),
    responses((status = 200, description = "Always empty: no output converters", body = ListResponse<Value>),
        (status = 400, description = "A type is missing")))]
pub async fn output_converters(
    RawQuery(raw): RawQuery,
) -> Result<Json<ListResponse<Value>>, ApiError> {
    let q = Query::parse(raw.as_deref());
    for key in ["sourceType", "destinationType"] {
        if q.get(key).is_none_or(|v| v.trim().is_empty()) {
            return Err(ApiError::bad_request(format!(
                "query parameter '{key}' is required"
            )));
        }
    }
    Ok(Json(Vec::new().into()))
}
