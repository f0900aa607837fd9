//! Bounds on the shape of JSON taken from outside — request bodies, uploaded files — checked
//! over the raw bytes before anything is built from them. A body of a few megabytes of `[1,1,…`
//! would otherwise become hundreds of megabytes of values, and deep nesting a deep recursion.
//!
//! The limits are process-wide, set once at start from `Elsa:Http:*`.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How deep and how large a JSON document may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Arrays and objects nested in one another.
    pub max_depth: usize,
    /// Values: every array item and object member, and every array and object.
    pub max_elements: usize,
}

impl JsonLimits {
    /// Far beyond any workflow definition seen (Elsa's own test workflows nest 12 deep and hold
    /// at most a few hundred values), far below what costs memory.
    pub const DEFAULT: Self = Self {
        max_depth: 64,
        max_elements: 100_000,
    };
}

static MAX_DEPTH: AtomicUsize = AtomicUsize::new(JsonLimits::DEFAULT.max_depth);
static MAX_ELEMENTS: AtomicUsize = AtomicUsize::new(JsonLimits::DEFAULT.max_elements);

/// Sets the limits [`json_limits`] returns.
pub fn set_json_limits(limits: JsonLimits) {
    MAX_DEPTH.store(limits.max_depth, Ordering::Relaxed);
    MAX_ELEMENTS.store(limits.max_elements, Ordering::Relaxed);
}

/// The limits in force for documents from outside.
pub fn json_limits() -> JsonLimits {
    JsonLimits {
        max_depth: MAX_DEPTH.load(Ordering::Relaxed),
        max_elements: MAX_ELEMENTS.load(Ordering::Relaxed),
    }
}

/// A document beyond [`JsonLimits`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonShapeError {
    #[error("it nests arrays and objects deeper than {0} levels (Elsa:Http:MaxJsonDepth)")]
    TooDeep(usize),
    #[error("it holds more than {0} values (Elsa:Http:MaxJsonElements)")]
    TooManyValues(usize),
}

/// Checks nesting and size in one pass over the bytes, without parsing: values are counted as
/// the commas between them plus the arrays and objects, which is exact for every document with
/// no empty containers and over-counts by at most one per container otherwise. The document
/// need not be valid JSON; the parser that follows says so.
pub fn check_json_shape(bytes: &[u8], limits: JsonLimits) -> Result<(), JsonShapeError> {
    let mut depth = 0usize;
    let mut values = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                values += 1;
                if depth > limits.max_depth {
                    return Err(JsonShapeError::TooDeep(limits.max_depth));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' => values += 1,
            _ => continue,
        }
        if values > limits.max_elements {
            return Err(JsonShapeError::TooManyValues(limits.max_elements));
        }
    }
    Ok(())
}

/// Parses a document from outside within the limits in force.
pub fn parse_bounded<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    check_json_shape(bytes, json_limits()).map_err(|e| e.to_string())?;
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: JsonLimits = JsonLimits {
        max_depth: 3,
        max_elements: 5,
    };

    #[test]
    fn nesting_beyond_the_limit_is_refused() {
        assert!(check_json_shape(br#"{"a":[{"b":1}]}"#, LIMITS).is_ok());
        assert_eq!(
            check_json_shape(br#"{"a":[{"b":[1]}]}"#, LIMITS),
            Err(JsonShapeError::TooDeep(3))
        );
    }

    #[test]
    fn values_are_counted_outside_strings_only() {
        assert!(check_json_shape(br#"[1,2,3]"#, LIMITS).is_ok());
        assert!(check_json_shape(br#"["a,b,c,d,e,[[[[", "\"],,,,"]"#, LIMITS).is_ok());
        assert_eq!(
            check_json_shape(b"[1,2,3,4,5]", LIMITS),
            Err(JsonShapeError::TooManyValues(5))
        );
    }

    #[test]
    fn the_message_names_the_setting() {
        let e = check_json_shape(&[b'['; 100], LIMITS).unwrap_err();
        assert!(e.to_string().contains("Elsa:Http:MaxJsonDepth"), "{e}");
    }
}
