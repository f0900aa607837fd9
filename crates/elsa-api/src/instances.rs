//! `/workflow-instances`: get one, list.

use crate::AppState;
use crate::definitions::page_request;
use crate::json::{Query, parse_body};
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use elsa_model::{WorkflowStatus, WorkflowSubStatus};
use elsa_store::{InstanceFilter, InstanceOrder, PageRequest};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The workflow-instance routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
}

/// `GET /workflow-instances/{id}`.
#[utoipa::path(get, path = "/workflow-instances/{id}", tag = "workflow-instances",
    params(("id" = String, Path)),
    responses((status = 200, description = "The workflow instance", body = Object),
        (status = 404, description = "No such instance")))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (instance, _) = state
        .runtime
        .instances()
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("workflow instance {id} was not found")))?;
    Ok(Json(serde_json::to_value(instance).unwrap_or_default()))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ListBody {
    page: Option<i64>,
    page_size: Option<i64>,
    search_term: Option<String>,
    definition_id: Option<String>,
    definition_ids: Option<Vec<String>>,
    correlation_id: Option<String>,
    name: Option<String>,
    version: Option<i32>,
    has_incidents: Option<bool>,
    status: Option<String>,
    statuses: Option<Vec<String>>,
    sub_status: Option<String>,
    sub_statuses: Option<Vec<String>>,
    order_by: Option<String>,
    order_direction: Option<String>,
}

/// `POST /workflow-instances` with a JSON body (Studio), or `GET` with the same keys as query.
#[utoipa::path(method(get, post), path = "/workflow-instances", tag = "workflow-instances",
    request_body(content = Object, description = "`{page, pageSize, searchTerm, definitionId, statuses, subStatuses, orderBy, ...}`"),
    responses((status = 200, description = "`{items, totalCount}`", body = Object),
        (status = 400, description = "A filter is invalid")))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        from_query(&Query::parse(raw.as_deref()))?
    } else {
        parse_body(&body)?
    };
    let filter = filter(body)?;
    let page = state.runtime.instances().list(&filter).await?;
    Ok(Json(
        json!({"items": page.items, "totalCount": page.total_count}),
    ))
}

fn from_query(q: &Query) -> Result<ListBody, ApiError> {
    let paging = page_request(q)?;
    Ok(ListBody {
        page: paging.map(|p| p.page.into()),
        page_size: paging.map(|p| p.page_size.into()),
        search_term: q.get("searchTerm").map(str::to_string),
        definition_id: q.get("definitionId").map(str::to_string),
        definition_ids: q.all("definitionIds"),
        correlation_id: q.get("correlationId").map(str::to_string),
        name: q.get("name").map(str::to_string),
        version: q.parse_as("version")?,
        has_incidents: q.bool("hasIncidents")?,
        status: q.get("status").map(str::to_string),
        statuses: q.all("statuses"),
        sub_status: q.get("subStatus").map(str::to_string),
        sub_statuses: q.all("subStatuses"),
        order_by: q.get("orderBy").map(str::to_string),
        order_direction: q.get("orderDirection").map(str::to_string),
    })
}

fn parse_all<T: std::str::FromStr<Err = String>>(
    one: Option<String>,
    many: Option<Vec<String>>,
) -> Result<Option<Vec<T>>, ApiError> {
    let values: Vec<String> = one.into_iter().chain(many.unwrap_or_default()).collect();
    if values.is_empty() {
        return Ok(None);
    }
    values
        .iter()
        .map(|v| v.parse::<T>().map_err(ApiError::bad_request))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn filter(b: ListBody) -> Result<InstanceFilter, ApiError> {
    let page = match (b.page, b.page_size) {
        (Some(p), _) if p < 0 => return Err(ApiError::bad_request("'page' must be 0 or more")),
        (_, Some(s)) if s < 1 => {
            return Err(ApiError::bad_request("'pageSize' must be at least 1"));
        }
        (Some(p), Some(s)) => Some(PageRequest {
            page: u32::try_from(p).map_err(|_| ApiError::bad_request("'page' is too large"))?,
            page_size: u32::try_from(s)
                .map_err(|_| ApiError::bad_request("'pageSize' is too large"))?,
        }),
        _ => None,
    };
    let order_by = match b
        .order_by
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("created") => InstanceOrder::Created,
        Some("updatedat") => InstanceOrder::UpdatedAt,
        Some("finished") => InstanceOrder::Finished,
        Some("name") => InstanceOrder::Name,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "'orderBy' must be Created, UpdatedAt, Finished or Name, got '{other}'"
            )));
        }
    };
    let descending = match b
        .order_direction
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => order_by != InstanceOrder::Name,
        Some("ascending") => false,
        Some("descending") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "'orderDirection' must be Ascending or Descending, got '{other}'"
            )));
        }
    };
    let definition_ids: Vec<String> = b
        .definition_id
        .into_iter()
        .chain(b.definition_ids.unwrap_or_default())
        .collect();
    Ok(InstanceFilter {
        search_term: b.search_term,
        definition_ids: (!definition_ids.is_empty()).then_some(definition_ids),
        correlation_id: b.correlation_id,
        name: b.name,
        version: b.version,
        statuses: parse_all::<WorkflowStatus>(b.status, b.statuses)?,
        sub_statuses: parse_all::<WorkflowSubStatus>(b.sub_status, b.sub_statuses)?,
        has_incidents: b.has_incidents,
        order_by,
        descending,
        page,
    })
}
