//! `/workflow-instances/{id}/variables`: the instance's persisted workflow variables.

use crate::AppState;
use crate::json::LenientJson;
use crate::lists::ListResponse;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use elsa_runtime::ResolvedVariable;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A variable of an instance and its value (free-form).
#[derive(Serialize, ToSchema)]
pub struct VariableModel {
    pub id: String,
    pub name: String,
    pub value: Value,
}

fn list_response(variables: Vec<ResolvedVariable>) -> Json<ListResponse<VariableModel>> {
    let items: Vec<VariableModel> = variables
        .into_iter()
        .map(|v| VariableModel {
            id: v.id,
            name: v.name,
            value: v.value,
        })
        .collect();
    Json(items.into())
}

/// `GET /workflow-instances/{id}/variables`.
#[utoipa::path(get, path = "/workflow-instances/{id}/variables", tag = "workflow-instances",
    operation_id = "getWorkflowInstanceVariables",
    params(("id" = String, Path)),
    responses((status = 200, description = "The variables and their values", body = ListResponse<VariableModel>),
        (status = 404, description = "No such instance")))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ListResponse<VariableModel>>, ApiError> {
    Ok(list_response(state.runtime.variables(&id).await?))
}

/// `{variables: [{id, value}]}`.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct SetBody {
    variables: Vec<VariableValue>,
}

/// A variable's new value (free-form), by variable id.
#[derive(Deserialize, Serialize, ToSchema)]
struct VariableValue {
    #[serde(alias = "Id")]
    id: String,
    #[serde(default, alias = "Value")]
    value: Value,
}

/// `POST /workflow-instances/{id}/variables` with `{"variables": [{"id", "value"}]}`.
#[utoipa::path(post, path = "/workflow-instances/{id}/variables", tag = "workflow-instances",
    operation_id = "setWorkflowInstanceVariables",
    params(("id" = String, Path)),
    request_body(content = SetBody),
    responses((status = 200, description = "The variables and their values", body = ListResponse<VariableModel>),
        (status = 400, description = "The body is invalid"),
        (status = 404, description = "No such instance"),
        (status = 409, description = "The instance changed meanwhile")))]
pub async fn set(
    State(state): State<AppState>,
    Path(id): Path<String>,
    LenientJson(body): LenientJson<SetBody>,
) -> Result<Json<ListResponse<VariableModel>>, ApiError> {
    let values: Map<String, Value> = body
        .variables
        .into_iter()
        .map(|v| (v.id, v.value))
        .collect();
    Ok(list_response(
        state.runtime.set_variables(&id, &values).await?,
    ))
}
