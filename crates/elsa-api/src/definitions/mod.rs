//! `/workflow-definitions` and the definition bulk actions: queries, versioning, import and
//! export, the designer's subgraph drill-down, execution and dispatch. The JSON shapes (Elsa's `LinkedWorkflowDefinitionModel`,
//! summaries and HATEOAS links) live in `models.rs`.

mod execution;
mod export;
mod graph;
mod idempotency;
mod import;
mod lifecycle;
mod models;
mod queries;

use crate::AppState;
use crate::json::Query;
use crate::problem::ApiError;
use elsa_store::PageRequest;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The workflow-definition routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queries::list, lifecycle::save))
        .routes(routes!(queries::get_by_definition_id))
        // Elsa's alias of by-definition-id; documented once under its canonical path.
        .route(
            "/workflow-definitions/{definition_id}",
            axum::routing::get(queries::get_by_definition_id),
        )
        .routes(routes!(lifecycle::delete))
        .routes(routes!(queries::get_by_id))
        .routes(routes!(queries::many_by_id))
        .routes(routes!(queries::versions))
        .routes(routes!(queries::count))
        .routes(routes!(queries::is_name_unique))
        .routes(routes!(queries::consumers))
        .routes(routes!(graph::subgraph))
        .routes(routes!(graph::segments))
        .routes(routes!(lifecycle::publish))
        .routes(routes!(lifecycle::retract))
        .routes(routes!(lifecycle::revert))
        .routes(routes!(lifecycle::delete_version))
        .routes(routes!(lifecycle::delete_version_by_number))
        .routes(routes!(lifecycle::bulk_delete_by_definition_id))
        .routes(routes!(lifecycle::bulk_delete_by_id))
        .routes(routes!(lifecycle::bulk_publish))
        .routes(routes!(lifecycle::bulk_retract))
        .routes(routes!(lifecycle::update_references))
        .routes(routes!(import::import))
        .routes(routes!(import::import_into))
        .merge(crate::uploads(routes!(import::import_files)))
        .routes(routes!(export::export, export::export_post))
        .routes(routes!(export::bulk_export))
        .routes(routes!(execution::execute_inline))
        .routes(routes!(execution::execute, execution::execute_get))
        .routes(routes!(execution::dispatch))
        .routes(routes!(execution::bulk_dispatch))
}

/// 0-based `page` and `pageSize`; paging applies only when both are given.
pub fn page_request(q: &Query) -> Result<Option<PageRequest>, ApiError> {
    let page = q.parse_as::<u32>("page")?;
    let size = q.parse_as::<u32>("pageSize")?;
    match (page, size) {
        (Some(_), Some(0)) => Err(ApiError::bad_request(
            "query parameter 'pageSize' must be at least 1",
        )),
        (Some(page), Some(page_size)) => Ok(Some(PageRequest { page, page_size })),
        _ => Ok(None),
    }
}

/// The schema of `versionOptions` in a body, as [`version_options_of`] reads it.
pub(crate) fn version_options_schema() -> utoipa::openapi::schema::Schema {
    crate::openapi::name_or_number(
        "Latest, Published, LatestOrPublished, LatestAndPublished, Draft, AllVersions, or a version number",
    )
}

/// A version-options value from a JSON body: a name, a number (that version), or empty/null
/// (the caller's default).
fn version_options_of(
    value: Option<&serde_json::Value>,
) -> Result<Option<elsa_model::VersionOptions>, ApiError> {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.parse().map(Some).map_err(ApiError::bad_request),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|v| i32::try_from(v).ok())
            .map(|v| Some(elsa_model::VersionOptions::Specific(v)))
            .ok_or_else(|| {
                ApiError::bad_request("versionOptions must be a version number or a name")
            }),
        Some(_) => Err(ApiError::bad_request(
            "versionOptions must be a string such as \"Published\"",
        )),
    }
}
