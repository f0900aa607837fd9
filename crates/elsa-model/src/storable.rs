//! What every store can hold. PostgreSQL keeps no NUL character in `text` or `jsonb`, so
//! input holding one is refused at the edge on every database alike, never half-stored; text a
//! workflow produces while it runs (a script's string, an outbound response) cannot be refused,
//! so its NUL characters become U+FFFD, the replacement character, on every database alike.

use serde_json::{Map, Value};

/// `text` with each NUL character replaced by U+FFFD.
pub fn storable_text(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}

/// `value` with each NUL character in its strings and keys replaced by U+FFFD.
pub fn storable_value(value: Value) -> Value {
    if nul_at(&value).is_none() {
        return value;
    }
    match value {
        Value::String(text) => Value::String(storable_text(text)),
        Value::Array(items) => Value::Array(items.into_iter().map(storable_value).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, item)| (storable_text(key), storable_value(item)))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// Where a value holds a NUL character, in a key or a string, as a JSON path (`$.model.name`).
pub fn nul_at(value: &Value) -> Option<String> {
    fn walk(value: &Value, path: &mut String) -> Option<String> {
        match value {
            Value::String(text) if text.contains('\0') => Some(path.clone()),
            Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                path.truncate(len);
                found
            }),
            Value::Object(map) => map.iter().find_map(|(key, item)| {
                let len = path.len();
                path.push('.');
                path.push_str(&key.replace('\0', "\\u0000"));
                let found = if key.contains('\0') {
                    Some(path.clone())
                } else {
                    walk(item, path)
                };
                path.truncate(len);
                found
            }),
            _ => None,
        }
    }
    walk(value, &mut "$".to_owned())
}

#[cfg(test)]
mod tests {
    use super::{nul_at, storable_value};
    use serde_json::json;

    #[test]
    fn finds_a_nul_in_keys_and_nested_strings() {
        assert_eq!(
            nul_at(&json!({"a": ["x", "y\u{0}"]})).as_deref(),
            Some("$.a[1]")
        );
        assert_eq!(nul_at(&json!({"k\u{0}": 1})).as_deref(), Some("$.k\\u0000"));
        assert_eq!(nul_at(&json!({"a": "\u{1}", "b": [1, null]})), None);
    }

    #[test]
    fn run_time_text_keeps_a_replacement_for_each_nul() {
        assert_eq!(
            storable_value(json!({"k\u{0}": ["a\u{0}b", 1]})),
            json!({"k\u{FFFD}": ["a\u{FFFD}b", 1]})
        );
    }
}
