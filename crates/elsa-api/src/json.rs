//! Request bodies and query strings, bound the way Elsa binds them: JSON property names match
//! case-insensitively, query keys too (Studio sends PascalCase, curl users camelCase), and
//! repeated keys form lists. Every failure is a 400 naming what is wrong.

use crate::problem::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use elsa_model::json_shape::JsonShapeError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A JSON body whose top-level property names may be in any case.
pub struct LenientJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for LenientJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        require_json_content_type(req.headers())?;
        // The rejection's own status: 413 beyond the route's body limit, else 400.
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let limit = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                " (Kestrel:Limits:MaxRequestBodySize; identity routes read at most 16 KiB)"
            } else {
                ""
            };
            ApiError::new(
                e.status(),
                format!(
                    "the request body could not be read: {}{limit}",
                    e.body_text()
                ),
            )
        })?;
        parse_body(&bytes).map(LenientJson)
    }
}

/// A body sent as something other than JSON is refused (415) rather than parsed anyway; no
/// `Content-Type` at all is taken as JSON, as curl users often send none.
fn require_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let media_type = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media_type.ends_with("/json") || media_type.ends_with("+json") {
        return Ok(());
    }
    Err(ApiError::unsupported_media_type(format!(
        "the request body must be JSON (Content-Type: application/json), not '{}'",
        String::from_utf8_lossy(value.as_bytes())
    )))
}

/// Parses a body; an empty body reads as `{}`.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        let limits = elsa_model::json_shape::json_limits();
        elsa_model::json_shape::check_json_shape(bytes, limits).map_err(|e| {
            let status = match e {
                JsonShapeError::TooDeep(_) => StatusCode::BAD_REQUEST,
                JsonShapeError::TooManyValues(_) => StatusCode::PAYLOAD_TOO_LARGE,
            };
            ApiError::new(status, format!("the request body is refused: {e}"))
        })?;
        serde_json::from_slice(bytes).map_err(|e| {
            ApiError::bad_request(format!("the request body is not valid JSON: {e}"))
        })?
    };
    if let Some(path) = elsa_model::nul_at(&value) {
        return Err(ApiError::bad_request(format!(
            "the request body holds a NUL character (\\u0000) at {path}, which cannot be stored"
        )));
    }
    from_value(camel_case_keys(value))
}

/// Deserializes a value, naming the failing property in the error.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid: {e}")))
}

/// Lower-cases the first letter of each top-level key (`Model` → `model`, `Publish` →
/// `publish`), and of the keys one level down inside objects named `model` or `workflow`, where
/// Elsa's request DTOs nest the definition. Deeper keys (workflow input, activity properties)
/// are data and keep their case.
pub fn camel_case_keys(value: Value) -> Value {
    fn lower(map: Map<String, Value>, depth: u8) -> Map<String, Value> {
        map.into_iter()
            .map(|(k, v)| {
                let key = camel(&k);
                let v = match v {
                    Value::Object(inner) if depth == 0 && (key == "model" || key == "workflow") => {
                        Value::Object(lower(inner, 1))
                    }
                    other => other,
                };
                (key, v)
            })
            .collect()
    }
    match value {
        Value::Object(map) => Value::Object(lower(map, 0)),
        other => other,
    }
}

fn camel(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A query string with case-insensitive keys and repeated keys.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.to_lowercase(), v.into_owned()))
            .collect();
        Self { pairs }
    }

    /// The last value of `key`; an empty value counts as absent (Refit sends `versionOptions=`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order; `None` when the key is absent.
    pub fn all(&self, key: &str) -> Option<Vec<String>> {
        let values: Vec<String> = self
            .pairs
            .iter()
            .filter(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect();
        (!values.is_empty()).then_some(values)
    }

    /// Parses the value of `key` with `FromStr`, naming the key on failure.
    pub fn parse_as<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        self.get(key)
            .map(|v| {
                v.parse::<T>().map_err(|e| {
                    ApiError::bad_request(format!("query parameter '{key}' is invalid: {e}"))
                })
            })
            .transpose()
    }

    /// A .NET-style boolean (`True`, `false`, ...).
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.get(key)
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(ApiError::bad_request(format!(
                    "query parameter '{key}' must be True or False, got '{v}'"
                ))),
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn top_level_and_model_keys_are_camel_cased_data_keys_are_not() {
        let v = camel_case_keys(
            json!({"Model": {"Name": "x", "Root": {"Type": "T"}}, "Input": {"OrderId": 1}}),
        );
        assert_eq!(
            v,
            json!({"model": {"name": "x", "root": {"Type": "T"}}, "input": {"OrderId": 1}})
        );
    }

    #[test]
    fn query_keys_are_case_insensitive_and_repeatable() {
        let q = Query::parse(Some(
            "Page=0&pageSize=10&DefinitionIds=a&definitionIds=b&versionOptions=&IsSystem=False",
        ));
        assert_eq!(q.parse_as::<u32>("page").unwrap(), Some(0));
        assert_eq!(q.all("definitionIds").unwrap(), ["a", "b"]);
        assert_eq!(q.get("versionOptions"), None);
        assert_eq!(q.bool("isSystem").unwrap(), Some(false));
        assert!(q.parse_as::<u32>("pageSize").is_ok());
        assert!(
            Query::parse(Some("page=x"))
                .parse_as::<u32>("page")
                .is_err()
        );
    }

    #[test]
    fn a_nul_character_is_named_by_its_path() {
        let e = parse_body::<Value>(br#"{"model":{"tags":["ok","a\u0000b"]}}"#).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(e.message.contains("$.model.tags[1]"), "{}", e.message);
        let e = parse_body::<Value>(br#"{"in\u0000put":1}"#).unwrap_err();
        assert!(e.message.contains("$.in\\u0000put"), "{}", e.message);
        assert!(parse_body::<Value>(br#"{"text":"\u0001 is fine"}"#).is_ok());
    }

    #[test]
    fn only_json_content_types_are_read_as_json() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            require_json_content_type(&headers)
        };
        assert!(with("application/json; charset=utf-8").is_ok());
        assert!(with("application/problem+json").is_ok());
        assert!(with("text/json").is_ok());
        assert!(require_json_content_type(&HeaderMap::new()).is_ok());
        let e = with("text/plain").unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(e.message.contains("'text/plain'"), "{}", e.message);
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        let e = parse_body::<Value>(b"{\"model\":").unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(e.message.contains("not valid JSON"));
    }
}
