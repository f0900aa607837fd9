//! Reading definitions: the list, one definition (by definition id or version id), several by
//! version id, all versions of one, the count, the name check and the consumers.

use super::models::{
    DefinitionSummary, Link, LinkedDefinition, StoredDefinition, linked, list_links, stored,
    summary,
};
use super::page_request;
use crate::AppState;
use crate::json::Query;
use crate::lists::{Count, ListResponse};
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use elsa_model::VersionOptions;
use elsa_store::{DefinitionFilter, DefinitionOrder};
use serde::Serialize;
use utoipa::ToSchema;

/// The definition list: a page of summaries with the list's links.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionList {
    pub links: Vec<Link>,
    pub items: Vec<DefinitionSummary>,
    pub total_count: i64,
}

/// `{isUnique}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NameUniqueness {
    pub is_unique: bool,
}

/// `{consumingWorkflowDefinitionIds}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Consumers {
    pub consuming_workflow_definition_ids: Vec<String>,
}

/// `GET /workflow-definitions`.
#[utoipa::path(get, path = "/workflow-definitions", tag = "workflow-definitions",
    params(("versionOptions" = Option<String>, Query, description = "Latest, Published, LatestOrPublished, LatestAndPublished, Draft, AllVersions or a version number"),
        ("page" = Option<u32>, Query, description = "0-based page; paging applies when page and pageSize are both given"),
        ("pageSize" = Option<u32>, Query),
        ("searchTerm" = Option<String>, Query),
        ("isSystem" = Option<bool>, Query),
        ("definitionIds" = Option<Vec<String>>, Query),
        ("ids" = Option<Vec<String>>, Query),
        ("materializer" = Option<String>, Query, description = "Json is the only materializer; another name lists nothing"),
        ("orderBy" = Option<String>, Query, description = "Name, Created or Version"),
        ("orderDirection" = Option<String>, Query, description = "Ascending or Descending")),
    responses((status = 200, description = "A page of definition summaries", body = DefinitionList),
        (status = 400, description = "A query parameter is invalid")))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<DefinitionList>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let order_by = match q.get("orderBy").map(str::to_ascii_lowercase).as_deref() {
        None | Some("name") => DefinitionOrder::Name,
        Some("created") => DefinitionOrder::Created,
        Some("version") => DefinitionOrder::Version,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "query parameter 'orderBy' must be Name, Created or Version, got '{other}'"
            )));
        }
    };
    let descending = match q
        .get("orderDirection")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => order_by != DefinitionOrder::Name,
        Some("ascending") => false,
        Some("descending") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "query parameter 'orderDirection' must be Ascending or Descending, got '{other}'"
            )));
        }
    };
    let filter = DefinitionFilter {
        version_options: q.parse_as::<VersionOptions>("versionOptions")?,
        definition_ids: q.all("definitionIds"),
        ids: q.all("ids"),
        search_term: q.get("searchTerm").map(str::to_string),
        is_system: q.bool("isSystem")?,
        order_by,
        descending,
        page: page_request(&q)?,
    };
    // Every stored definition is materialized from JSON.
    if q.get("materializer")
        .is_some_and(|m| !m.eq_ignore_ascii_case("Json"))
    {
        return Ok(Json(DefinitionList {
            links: list_links(),
            items: Vec::new(),
            total_count: 0,
        }));
    }
    let page = state.runtime.definitions().list(&filter).await?;
    Ok(Json(DefinitionList {
        links: list_links(),
        items: page.items.into_iter().map(summary).collect(),
        total_count: page.total_count,
    }))
}

/// `GET /workflow-definitions/by-definition-id/{definitionId}` (and its alias).
#[utoipa::path(get, path = "/workflow-definitions/by-definition-id/{definition_id}", tag = "workflow-definitions",
    params(("definition_id" = String, Path), ("versionOptions" = Option<String>, Query, description = "Latest, Published, LatestOrPublished, LatestAndPublished, Draft, AllVersions or a version number")),
    responses((status = 200, description = "The definition with its links", body = LinkedDefinition),
        (status = 404, description = "No such definition")))]
pub async fn get_by_definition_id(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<LinkedDefinition>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let options = q
        .parse_as::<VersionOptions>("versionOptions")?
        .unwrap_or_default();
    let d = state
        .runtime
        .definitions()
        .find(&definition_id, options)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "workflow definition {definition_id} ({options}) was not found"
            ))
        })?;
    Ok(Json(linked(d)))
}

/// `GET /workflow-definitions/by-id/{id}`: one version by its version id.
#[utoipa::path(get, path = "/workflow-definitions/by-id/{id}", tag = "workflow-definitions",
    params(("id" = String, Path, description = "The version id")),
    responses((status = 200, description = "The definition with its links", body = LinkedDefinition),
        (status = 404, description = "No such version")))]
pub async fn get_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<LinkedDefinition>, ApiError> {
    let d = state.runtime.definitions().get(&id).await?.ok_or_else(|| {
        ApiError::not_found(format!("workflow definition version {id} was not found"))
    })?;
    Ok(Json(linked(d)))
}

/// `GET /workflow-definitions/many-by-id?ids=a&ids=b`.
#[utoipa::path(get, path = "/workflow-definitions/many-by-id", tag = "workflow-definitions",
    params(("ids" = Option<Vec<String>>, Query, description = "Version ids (repeat the key)")),
    responses((status = 200, description = "The versions with their links", body = ListResponse<LinkedDefinition>)))]
pub async fn many_by_id(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListResponse<LinkedDefinition>>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let Some(ids) = q.all("ids") else {
        return Ok(Json(Vec::new().into()));
    };
    let page = state
        .runtime
        .definitions()
        .list(&DefinitionFilter {
            ids: Some(ids),
            ..Default::default()
        })
        .await?;
    Ok(Json(
        page.items
            .into_iter()
            .map(linked)
            .collect::<Vec<_>>()
            .into(),
    ))
}

/// `GET /workflow-definitions/{definitionId}/versions`: every version, highest first.
#[utoipa::path(get, path = "/workflow-definitions/{definition_id}/versions", tag = "workflow-definitions",
    params(("definition_id" = String, Path)),
    responses((status = 200, description = "Every stored version", body = Vec<StoredDefinition>),
        (status = 404, description = "No such definition")))]
pub async fn versions(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
) -> Result<Json<Vec<StoredDefinition>>, ApiError> {
    let versions = state.runtime.definitions().versions(&definition_id).await?;
    if versions.is_empty() {
        return Err(ApiError::not_found(format!(
            "workflow definition {definition_id} was not found"
        )));
    }
    Ok(Json(versions.into_iter().map(stored).collect()))
}

/// `GET /workflow-definitions/query/count`: how many definitions (not versions) exist.
#[utoipa::path(get, path = "/workflow-definitions/query/count", tag = "workflow-definitions",
    operation_id = "count_workflow_definitions",
    responses((status = 200, description = "How many definitions exist", body = Count)))]
pub async fn count(State(state): State<AppState>) -> Result<Json<Count>, ApiError> {
    let count = state.runtime.definitions().count_definitions().await?;
    Ok(Json(Count { count }))
}

/// `GET /workflow-definitions/validation/is-name-unique?name=&definitionId=`.
#[utoipa::path(get, path = "/workflow-definitions/validation/is-name-unique", tag = "workflow-definitions",
    params(("name" = String, Query, description = "The name to check (trimmed)"),
        ("definitionId" = Option<String>, Query, description = "The definition the name is for; its own versions do not count")),
    responses((status = 200, description = "Whether the name is free", body = NameUniqueness),
        (status = 400, description = "No name given")))]
pub async fn is_name_unique(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<NameUniqueness>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let name = q
        .get("name")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("query parameter 'name' is required"))?;
    let unique = state
        .runtime
        .definitions()
        .is_name_unique(name, q.get("definitionId"))
        .await?;
    Ok(Json(NameUniqueness { is_unique: unique }))
}

/// `GET /workflow-definitions/{definitionId}/consumers`: the definitions that use this one as an
/// activity, directly or transitively.
#[utoipa::path(get, path = "/workflow-definitions/{definition_id}/consumers", tag = "workflow-definitions",
    params(("definition_id" = String, Path)),
    responses((status = 200, description = "The definitions using this one", body = Consumers),
        (status = 404, description = "No such definition")))]
pub async fn consumers(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
) -> Result<Json<Consumers>, ApiError> {
    let ids = state.runtime.consumers(&definition_id).await?;
    Ok(Json(Consumers {
        consuming_workflow_definition_ids: ids,
    }))
}
