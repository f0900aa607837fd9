//! Bookmarks: how a suspended activity waits for a stimulus (elsa-api.md §5.4). The hash lets
//! the runtime find the bookmarks a stimulus matches without reading their payloads.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The method a resumed bookmark calls back, persisted as `callbackMethodName`.
pub(crate) const RESUME_CALLBACK: &str = "ResumeAsync";

/// Elsa's bookmark hash: uppercase hex SHA-256 of `"<stimulus name>|<payload JSON>"`, the
/// payload with PascalCase property names and without nulls. The runtime computes the hash of
/// an incoming stimulus with this same function.
pub fn bookmark_hash(name: &str, payload: &Value) -> String {
    let text = format!("{name}|{}", normalize(payload));
    hex::encode_upper(Sha256::digest(text.as_bytes()))
}

fn normalize(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| (pascal_case(key), normalize(value)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

fn pascal_case(key: &str) -> String {
    let mut chars = key.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hashes_ignore_key_casing_and_nulls() {
        let a = bookmark_hash("Elsa.Event", &json!({"eventName": "Go", "extra": null}));
        let b = bookmark_hash("Elsa.Event", &json!({"EventName": "Go"}));
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert_ne!(
            a,
            bookmark_hash("Elsa.Event", &json!({"eventName": "Stop"}))
        );
    }
}
