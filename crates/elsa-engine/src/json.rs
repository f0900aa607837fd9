//! Lenient access to Elsa JSON: property names match case-insensitively, as Elsa's serializer reads them.

use serde_json::{Map, Value};

/// The value of `name` in `object`: an exact match first, then the first case-insensitive one.
pub(crate) fn property<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

/// Like [`property`], treating JSON `null` as absent.
pub(crate) fn non_null<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    property(object, name).filter(|value| !value.is_null())
}

/// A string property, or `None` when it is missing, null or not a string.
pub(crate) fn string<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    property(object, name).and_then(Value::as_str)
}

/// The items of a JSON array, also when wrapped as `{"$values": [...]}` (reference-preserving
/// .NET serialisation). `None` when `value` is neither.
pub(crate) fn array(value: &Value) -> Option<&[Value]> {
    match value {
        Value::Array(items) => Some(items),
        Value::Object(object) => match property(object, "$values") {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    }
}
