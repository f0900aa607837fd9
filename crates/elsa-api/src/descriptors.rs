//! `/descriptors/activities`: Elsa's activity descriptors, derived from the engine's registry —
//! the same table that drives execution, so what Studio offers is what runs.

use crate::AppState;
use crate::json::Query;
use crate::lists::ListResponse;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use elsa_engine::{ActivityDescriptor, PortType};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
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
/// An input of an activity type (Elsa's `InputDescriptor`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InputDescriptorModel {
    pub name: &'static str,
    pub type_name: &'static str,
    pub display_name: String,
    pub description: &'static str,
    pub order: usize,
    pub is_browsable: bool,
    pub is_serializable: bool,
    pub is_synthetic: bool,
    pub is_wrapped: bool,
    pub ui_hint: &'static str,
    pub is_read_only: bool,
    pub is_sensitive: bool,
    pub auto_evaluate: bool,
    /// Always empty.
    pub ui_specifications: Map<String, Value>,
    /// Present when the input has a default (free-form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<Value>,
}

/// An output of an activity type (Elsa's `OutputDescriptor`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutputDescriptorModel {
    pub name: &'static str,
    pub type_name: &'static str,
    pub display_name: String,
    pub description: &'static str,
    pub is_browsable: bool,
    pub is_serializable: bool,
}

/// A port of an activity type: where other activities hang.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortModel {
    pub name: &'static str,
    pub display_name: String,
    /// `Flow` or `Embedded`.
    pub r#type: &'static str,
    pub is_browsable: bool,
}

/// Elsa's `ActivityDescriptor`, the shape Studio builds its toolbox and property panels from.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityDescriptorModel {
    pub type_name: &'static str,
    pub namespace: &'static str,
    pub name: &'static str,
    pub version: i32,
    pub category: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    /// `Action`, `Trigger`, `Task` or `Job`.
    pub kind: &'static str,
    pub run_asynchronously: bool,
    pub inputs: Vec<InputDescriptorModel>,
    pub outputs: Vec<OutputDescriptorModel>,
    pub ports: Vec<PortModel>,
    /// Always empty.
    pub custom_properties: Map<String, Value>,
    /// Always empty.
    pub construction_properties: Map<String, Value>,
    pub is_container: bool,
    pub is_browsable: bool,
    pub is_start: bool,
    pub is_terminal: bool,
}

pub fn descriptor_model(d: &ActivityDescriptor) -> ActivityDescriptorModel {
    let inputs = d
        .inputs
        .iter()
        .enumerate()
        .map(|(order, input)| InputDescriptorModel {
            name: input.name,
            type_name: input.type_name,
            display_name: humanize(input.name),
            description: input.description,
            order,
            is_browsable: true,
            is_serializable: true,
            is_synthetic: false,
            is_wrapped: input.is_wrapped,
            ui_hint: input.ui_hint,
            is_read_only: false,
            is_sensitive: false,
            auto_evaluate: true,
            ui_specifications: Map::new(),
            default_value: input.default.map(|default| default.to_json()),
        })
        .collect();
    let outputs = d
        .outputs
        .iter()
        .map(|o| OutputDescriptorModel {
            name: o.name,
            type_name: o.type_name,
            display_name: humanize(o.name),
            description: o.description,
            is_browsable: true,
            is_serializable: true,
        })
        .collect();
    let ports = d
        .ports
        .iter()
        .map(|p| PortModel {
            name: p.name,
            display_name: humanize(p.name),
            r#type: match p.port_type {
                PortType::Flow => "Flow",
                PortType::Embedded => "Embedded",
            },
            is_browsable: true,
        })
        .collect();
    ActivityDescriptorModel {
        type_name: d.type_name,
        namespace: d.namespace(),
        name: d.name(),
        version: d.version,
        category: d.category,
        display_name: d.display_name,
        description: d.description,
        kind: d.kind.as_str(),
        run_asynchronously: false,
        inputs,
        outputs,
        ports,
        custom_properties: Map::new(),
        construction_properties: Map::new(),
        is_container: d.is_container,
        is_browsable: d.is_browsable,
        is_start: d.is_start,
        is_terminal: d.is_terminal,
    }
}

/// `GET /descriptors/activities`.
#[utoipa::path(get, path = "/descriptors/activities", tag = "descriptors",
    operation_id = "listActivityDescriptors",
    params(("refresh" = Option<bool>, Query)),
    responses((status = 200, description = "Every activity type", body = ListResponse<ActivityDescriptorModel>)))]
pub async fn list(State(state): State<AppState>) -> Json<ListResponse<ActivityDescriptorModel>> {
    let items: Vec<ActivityDescriptorModel> = state
        .runtime
        .engine()
        .registry()
        .descriptors()
        .map(descriptor_model)
        .collect();
    Json(items.into())
}

/// `GET /descriptors/activities/{typeName}?version=N`.
#[utoipa::path(get, path = "/descriptors/activities/{type_name}", tag = "descriptors",
    operation_id = "getActivityDescriptor",
    params(("type_name" = String, Path), ("version" = Option<i32>, Query)),
    responses((status = 200, description = "One activity descriptor", body = ActivityDescriptorModel),
        (status = 404, description = "No such activity type")))]
pub async fn get(
    State(state): State<AppState>,
    Path(type_name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ActivityDescriptorModel>, ApiError> {
    let version = Query::parse(raw.as_deref()).parse_as::<i32>("version")?;
    state
        .runtime
        .engine()
        .registry()
        .descriptors()
        .find(|d| {
            d.type_name.eq_ignore_ascii_case(&type_name) && version.is_none_or(|v| v == d.version)
        })
        .map(|d| Json(descriptor_model(d)))
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
        let descriptor = |name: &str| {
            serde_json::to_value(descriptor_model(registry.find(name).unwrap())).unwrap()
        };
        let write_line = descriptor("Elsa.WriteLine");
        assert_eq!(write_line["typeName"], "Elsa.WriteLine");
        assert_eq!(write_line["namespace"], "Elsa");
        assert_eq!(write_line["name"], "WriteLine");
        assert_eq!(write_line["inputs"][0]["name"], "Text");
        assert_eq!(write_line["inputs"][0]["isWrapped"], true);
        let decision = descriptor("Elsa.FlowDecision");
        let ports: Vec<&str> = decision["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(ports, ["True", "False"]);
    }
}
