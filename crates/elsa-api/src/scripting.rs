//! `POST /scripting/javascript/type-definitions/{definitionId}`: TypeScript declarations of
//! what a JavaScript expression can use in that workflow — the globals of the engine's scope
//! (`elsa-engine/src/expressions/javascript/scope.js`) plus the definition's variables and
//! inputs — for Studio's Monaco editor.

use crate::AppState;
use crate::json::LenientJson;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use elsa_model::VersionOptions;
use serde_json::{Map, Value};
use std::fmt::Write;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(type_definitions))
}

/// The globals every script sees, as the engine defines them.
const GLOBALS: &str = "\
declare function getWorkflowDefinitionId(): string;
declare function getWorkflowDefinitionVersionId(): string;
declare function getWorkflowDefinitionVersion(): number;
declare function getWorkflowInstanceId(): string;
declare function getCorrelationId(): string | null;
declare function setCorrelationId(value: string | null): void;
declare function getWorkflowInstanceName(): string | null;
declare function setWorkflowInstanceName(value: string | null): void;
declare function getVariable(name: string): any;
declare function setVariable(name: string, value: any): void;
declare function getInput(name: string): any;
declare function getOutputFrom(activityIdOrName: string, outputName?: string): any;
declare function getLastResult(): any;
declare function getCurrentValue(): any;
declare function getCurrentIndex(): number;
declare function isNullOrEmpty(value: any): boolean;
declare function isNullOrWhiteSpace(value: any): boolean;
declare function toJson(value: any): string;
declare function parseGuid(value: string): string;
declare function newGuid(): string;
declare function newGuidString(): string;
declare function getGuidString(): string;
declare function newShortGuid(): string;
declare function getShortGuid(): string;
declare function bytesFromString(text: string): number[];
declare function bytesToString(bytes: number[]): string;
declare function bytesToBase64(bytes: number[]): string;
declare function bytesFromBase64(text: string): number[];
declare function stringToBase64(text: string): string;
declare function stringFromBase64(text: string): string;
";

/// The TypeScript type of an Elsa type alias.
fn ts_type(alias: &str, is_array: bool) -> String {
    let element = match alias.trim_end_matches('?') {
        "String" | "Guid" | "Char" => "string",
        "Boolean" => "boolean",
        "Int16" | "Int32" | "Int64" | "UInt16" | "UInt32" | "UInt64" | "Byte" | "SByte"
        | "Single" | "Double" | "Decimal" => "number",
        _ => "any",
    };
    if is_array {
        format!("{element}[]")
    } else {
        element.to_owned()
    }
}

/// `Counter` → `Counter`, `orderId` → `OrderId`: how the engine names the per-name accessors.
fn pascal(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Names usable as a TypeScript identifier (others get no accessor declaration).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

fn declarations(variables: &[Value], inputs: &[Value]) -> String {
    let mut out = String::from(GLOBALS);
    let field = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut members = Vec::new();
    for v in variables {
        let Some(name) = field(v, "name").filter(|n| is_identifier(n)) else {
            continue;
        };
        let is_array = v.get("isArray").and_then(Value::as_bool).unwrap_or(false);
        let ty = ts_type(&field(v, "typeName").unwrap_or_default(), is_array);
        let _ = writeln!(out, "declare function get{}(): {ty};", pascal(&name));
        let _ = writeln!(
            out,
            "declare function set{}(value: {ty}): void;",
            pascal(&name)
        );
        members.push(format!("    {name}: {ty};"));
    }
    let _ = writeln!(
        out,
        "declare const variables: {{\n{}\n    [name: string]: any;\n}};",
        members.join("\n")
    );
    for i in inputs {
        let Some(name) = field(i, "name").filter(|n| is_identifier(n)) else {
            continue;
        };
        let is_array = i.get("isArray").and_then(Value::as_bool).unwrap_or(false);
        let ty = ts_type(&field(i, "type").unwrap_or_default(), is_array);
        let _ = writeln!(out, "declare function get{}(): {ty};", pascal(&name));
    }
    out
}

/// `POST /scripting/javascript/type-definitions/{definitionId}` with `{activityTypeName?,
/// propertyName?}`.
#[utoipa::path(post, path = "/scripting/javascript/type-definitions/{definition_id}", tag = "scripting",
    params(("definition_id" = String, Path)),
    request_body(content = Map<String, Value>, description = "`{activityTypeName?, propertyName?}`: read, not used (the declarations cover the whole definition)"),
    responses((status = 200, description = "TypeScript declarations (application/x-typescript)", body = String),
        (status = 400, description = "No such definition, or the body is invalid")))]
pub async fn type_definitions(
    State(state): State<AppState>,
    Path(definition_id): Path<String>,
    // `{activityTypeName?, propertyName?}`: the declarations do not depend on them.
    LenientJson(_body): LenientJson<Map<String, Value>>,
) -> Result<impl IntoResponse, ApiError> {
    let definition = state
        .runtime
        .definitions()
        .find(&definition_id, VersionOptions::Latest)
        .await?
        .ok_or_else(|| {
            ApiError::bad_request(format!("workflow definition {definition_id} was not found"))
        })?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-typescript")],
        declarations(&definition.variables, &definition.inputs),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn variables_and_inputs_get_typed_accessors() {
        let d = declarations(
            &[
                json!({"name": "Counter", "typeName": "Int32"}),
                json!({"name": "tags", "typeName": "String", "isArray": true}),
                json!({"name": "not valid"}),
            ],
            &[json!({"name": "orderId", "type": "String"})],
        );
        assert!(d.contains("declare function getCounter(): number;"));
        assert!(d.contains("declare function setTags(value: string[]): void;"));
        assert!(d.contains("    Counter: number;"));
        assert!(d.contains("declare function getOrderId(): string;"));
        assert!(d.contains("declare function getLastResult(): any;"));
        assert!(!d.contains("not valid"));
    }
}
