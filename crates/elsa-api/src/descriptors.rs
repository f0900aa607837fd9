//! `/descriptors/activities`: Elsa's activity descriptors, derived from the engine's registry —
//! the same table that drives execution, so what Studio offers is what runs.

use crate::AppState;
use crate::json::Query;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use elsa_engine::{ActivityDescriptor, PortType};
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

mod catalog;

/// The descriptor routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
        .merge(catalog::routes())
}

/// "CorrelationId" → "Correlation Id", as Elsa humanises property and class names.
fn humanize(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if c.is_uppercase() && previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit()) {
            out.push(' ');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// One descriptor in Elsa's JSON shape (elsa-api.md §3.7).
pub fn descriptor_json(d: &ActivityDescriptor) -> Value {
    let inputs: Vec<Value> = d
        .inputs
        .iter()
        .enumerate()
        .map(|(order, input)| {
            let mut v = json!({
                "name": input.name,
                "typeName": input.type_name,
                "displayName": humanize(input.name),
                "description": input.description,
                "order": order,
                "isBrowsable": true,
                "isSerializable": true,
                "isSynthetic": false,
                "isWrapped": input.is_wrapped,
                "uiHint": input.ui_hint,
                "isReadOnly": false,
                "isSensitive": false,
                "autoEvaluate": true,
                "uiSpecifications": {},
            });
            if let Some(default) = input.default {
                v["defaultValue"] = default.to_json();
            }
            v
        })
        .collect();
    let outputs: Vec<Value> = d
        .outputs
        .iter()
        .map(|o| {
            json!({
                "name": o.name,
                "typeName": o.type_name,
                "displayName": humanize(o.name),
                "description": o.description,
                "isBrowsable": true,
                "isSerializable": true,
            })
        })
        .collect();
    let ports: Vec<Value> = d
        .ports
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "displayName": humanize(p.name),
                "type": match p.port_type {
                    PortType::Flow => "Flow",
                    PortType::Embedded => "Embedded",
                },
                "isBrowsable": true,
            })
        })
        .collect();
    json!({
        "typeName": d.type_name,
        "namespace": d.namespace(),
        "name": d.name(),
        "version": d.version,
        "category": d.category,
        "displayName": d.display_name,
        "description": d.description,
        "kind": d.kind.as_str(),
        "runAsynchronously": false,
        "inputs": inputs,
        "outputs": outputs,
        "ports": ports,
        "customProperties": {},
        "constructionProperties": {},
        "isContainer": d.is_container,
        "isBrowsable": d.is_browsable,
        "isStart": d.is_start,
        "isTerminal": d.is_terminal,
    })
}

/// `GET /descriptors/activities`.
#[utoipa::path(get, path = "/descriptors/activities", tag = "descriptors",
    operation_id = "listActivityDescriptors",
    params(("refresh" = Option<bool>, Query)),
    responses((status = 200, description = "`{items, count}`", body = Object)))]
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    let items: Vec<Value> = state
        .runtime
        .engine()
        .registry()
        .descriptors()
        .map(descriptor_json)
        .collect();
    Json(json!({"count": items.len(), "items": items}))
}

/// `GET /descriptors/activities/{typeName}?version=N`.
#[utoipa::path(get, path = "/descriptors/activities/{type_name}", tag = "descriptors",
    operation_id = "getActivityDescriptor",
    params(("type_name" = String, Path), ("version" = Option<i32>, Query)),
    responses((status = 200, description = "One activity descriptor", body = Object),
        (status = 404, description = "No such activity type")))]
pub async fn get(
    State(state): State<AppState>,
    Path(type_name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let version = Query::parse(raw.as_deref()).parse_as::<i32>("version")?;
    state
        .runtime
        .engine()
        .registry()
        .descriptors()
        .find(|d| {
            d.type_name.eq_ignore_ascii_case(&type_name) && version.is_none_or(|v| v == d.version)
        })
        .map(|d| Json(descriptor_json(d)))
        .ok_or_else(|| ApiError::not_found(format!("no activity type {type_name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_humanized_like_elsa() {
        assert_eq!(humanize("CorrelationId"), "Correlation Id");
        assert_eq!(humanize("Text"), "Text");
        assert_eq!(humanize("OuterBoundInclusive"), "Outer Bound Inclusive");
    }

    #[test]
    fn every_builtin_descriptor_has_elsas_shape() {
        let registry = elsa_engine::ActivityRegistry::builtin();
        let write_line = descriptor_json(registry.find("Elsa.WriteLine").unwrap());
        assert_eq!(write_line["typeName"], "Elsa.WriteLine");
        assert_eq!(write_line["namespace"], "Elsa");
        assert_eq!(write_line["name"], "WriteLine");
        assert_eq!(write_line["inputs"][0]["name"], "Text");
        assert_eq!(write_line["inputs"][0]["isWrapped"], true);
        let decision = descriptor_json(registry.find("Elsa.FlowDecision").unwrap());
        let ports: Vec<&str> = decision["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(ports, ["True", "False"]);
    }
}
