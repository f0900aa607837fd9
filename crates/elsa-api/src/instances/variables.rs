//! `/workflow-instances/{id}/variables`: the instance's persisted workflow variables.

use crate::AppState;
use crate::json::LenientJson;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use elsa_runtime::ResolvedVariable;
use serde::Deserialize;
use serde_json::{Map, Value, json};

fn list_response(variables: Vec<ResolvedVariable>) -> Json<Value> {
    let items: Vec<Value> = variables
        .into_iter()
        .map(|v| json!({"id": v.id, "name": v.name, "value": v.value}))
        .collect();
    Json(json!({"items": items, "count": items.len()}))
}

/// `GET /workflow-instances/{id}/variables`.
#[utoipa::path(get, path = "/workflow-instances/{id}/variables", tag = "workflow-instances",
    operation_id = "getWorkflowInstanceVariables",
    params(("id" = String, Path)),
    responses((status = 200, description = "`{items: [{id, name, value}], count}`", body = Object),
        (status = 404, description = "No such instance")))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(list_response(state.runtime.variables(&id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetBody {
    variables: Vec<VariableValue>,
}

#[derive(Deserialize)]
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
    request_body(content = Object, description = "`{variables: [{id, value}]}`"),
    responses((status = 200, description = "`{items: [{id, name, value}], count}`", body = Object),
        (status = 400, description = "The body is invalid"),
        (status = 404, description = "No such instance"),
        (status = 409, description = "The instance changed meanwhile")))]
pub async fn set(
    State(state): State<AppState>,
    Path(id): Path<String>,
    LenientJson(body): LenientJson<SetBody>,
) -> Result<Json<Value>, ApiError> {
    let values: Map<String, Value> = body
        .variables
        .into_iter()
        .map(|v| (v.id, v.value))
        .collect();
    Ok(list_response(
        state.runtime.set_variables(&id, &values).await?,
    ))
}
