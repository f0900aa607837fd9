//! `GET|POST /workflow-instances`: the filtered, paged instance list.

use crate::AppState;
use crate::definitions::page_request;
use crate::json::{Query, parse_body};
use crate::lists::PagedList;
use crate::openapi::name_or_number;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{RawQuery, State};
use elsa_model::{WorkflowInstanceSummary, WorkflowStatus, WorkflowSubStatus};
use elsa_store::{
    InstanceFilter, InstanceOrder, PageRequest, TimestampColumn, TimestampFilter, TimestampOperator,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::Schema;

/// One of Elsa's `timestampFilters`: enum names (any case) or their numbers.
/// One condition on a timestamp column (`Serialize` for the schema's defaults of [`ListBody`]).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimestampFilterBody {
    #[schema(schema_with = column_schema)]
    column: Value,
    #[schema(schema_with = operator_schema)]
    operator: Value,
    timestamp: chrono::DateTime<chrono::FixedOffset>,
}

impl TimestampFilterBody {
    fn parse(self) -> Result<TimestampFilter, ApiError> {
        use TimestampOperator::*;
        let column = match enum_value(&self.column, &["CreatedAt", "UpdatedAt", "FinishedAt"]) {
            Some(0) => TimestampColumn::CreatedAt,
            Some(1) => TimestampColumn::UpdatedAt,
            Some(2) => TimestampColumn::FinishedAt,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "'timestampFilters.column' must be CreatedAt, UpdatedAt or FinishedAt, got {}",
                    self.column
                )));
            }
        };
        let operators = [
            Is,
            IsNot,
            LessThan,
            GreaterThan,
            LessThanOrEqual,
            GreaterThanOrEqual,
        ];
        let names = [
            "Is",
            "IsNot",
            "LessThan",
            "GreaterThan",
            "LessThanOrEqual",
            "GreaterThanOrEqual",
        ];
        let operator = enum_value(&self.operator, &names)
            .map(|i| operators[i])
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "'timestampFilters.operator' must be one of {}, got {}",
                    names.join(", "),
                    self.operator
                ))
            })?;
        Ok(TimestampFilter {
            column,
            operator,
            timestamp: self.timestamp.to_utc(),
        })
    }
}

/// The index of an enum given by name (case-insensitive) or number, as .NET binds enums.
fn enum_value(value: &Value, names: &[&str]) -> Option<usize> {
    match value {
        Value::String(s) => names.iter().position(|n| n.eq_ignore_ascii_case(s.trim())),
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n < names.len()),
        _ => None,
    }
}

fn column_schema() -> Schema {
    name_or_number("CreatedAt, UpdatedAt or FinishedAt (or 0, 1, 2)")
}

fn operator_schema() -> Schema {
    name_or_number(
        "Is, IsNot, LessThan, GreaterThan, LessThanOrEqual or GreaterThanOrEqual (or 0 to 5)",
    )
}

/// The instance list's filter, paging and order.
#[derive(Deserialize, Default, ToSchema)]
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
    is_system: Option<bool>,
    timestamp_filters: Option<Vec<TimestampFilterBody>>,
    status: Option<String>,
    statuses: Option<Vec<String>>,
    sub_status: Option<String>,
    sub_statuses: Option<Vec<String>>,
    order_by: Option<String>,
    order_direction: Option<String>,
}

/// `GET /workflow-instances` with the filters as query keys.
#[utoipa::path(get, path = "/workflow-instances", tag = "workflow-instances",
    operation_id = "listWorkflowInstances",
    params(("page" = Option<i64>, Query), ("pageSize" = Option<i64>, Query),
        ("searchTerm" = Option<String>, Query), ("definitionId" = Option<String>, Query),
        ("definitionIds" = Option<Vec<String>>, Query), ("correlationId" = Option<String>, Query),
        ("name" = Option<String>, Query), ("version" = Option<i32>, Query),
        ("hasIncidents" = Option<bool>, Query), ("isSystem" = Option<bool>, Query),
        ("status" = Option<String>, Query), ("statuses" = Option<Vec<String>>, Query),
        ("subStatus" = Option<String>, Query), ("subStatuses" = Option<Vec<String>>, Query),
        ("orderBy" = Option<String>, Query), ("orderDirection" = Option<String>, Query)),
    responses((status = 200, description = "A page of instance summaries", body = PagedList<WorkflowInstanceSummary>),
        (status = 400, description = "A filter is invalid")))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<PagedList<WorkflowInstanceSummary>>, ApiError> {
    respond(&state, from_query(&Query::parse(raw.as_deref()))?).await
}

/// `POST /workflow-instances` with the filters as JSON (Studio); an empty body reads the
/// query instead.
#[utoipa::path(post, path = "/workflow-instances", tag = "workflow-instances",
    operation_id = "searchWorkflowInstances",
    request_body(content = ListBody, description = "Without a body, the query string's filter"),
    responses((status = 200, description = "A page of instance summaries", body = PagedList<WorkflowInstanceSummary>),
        (status = 400, description = "A filter is invalid")))]
pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    body: axum::body::Bytes,
) -> Result<Json<PagedList<WorkflowInstanceSummary>>, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        from_query(&Query::parse(raw.as_deref()))?
    } else {
        parse_body(&body)?
    };
    respond(&state, body).await
}

async fn respond(
    state: &AppState,
    body: ListBody,
) -> Result<Json<PagedList<WorkflowInstanceSummary>>, ApiError> {
    let filter = filter(body)?;
    Ok(Json(state.runtime.instances().list(&filter).await?.into()))
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
        is_system: q.bool("isSystem")?,
        timestamp_filters: None,
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
        is_system: b.is_system,
        timestamps: b
            .timestamp_filters
            .unwrap_or_default()
            .into_iter()
            .map(TimestampFilterBody::parse)
            .collect::<Result<_, _>>()?,
        order_by,
        descending,
        page,
    })
}
