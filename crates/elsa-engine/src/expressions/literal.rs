//! `Literal` and `Object` expressions: constants converted to the input's type at load time.

use super::{Expression, ExpressionError};
use crate::values::ValueType;
use serde_json::Value;

/// A literal value (a JSON scalar, or a string holding JSON for collection types).
pub(super) fn literal(
    value: &Value,
    value_type: &ValueType,
) -> Result<Expression, ExpressionError> {
    value_type
        .convert(value.clone())
        .map(Expression::Literal)
        .map_err(ExpressionError::InvalidLiteral)
}

/// An `Object` expression: a string containing JSON, parsed then converted.
pub(super) fn object(value: &Value, value_type: &ValueType) -> Result<Expression, ExpressionError> {
    let parsed = match value {
        Value::String(text) if text.trim().is_empty() => Value::Null,
        Value::String(text) => serde_json::from_str(text).map_err(|e| {
            ExpressionError::InvalidLiteral(format!("the Object expression is not valid JSON: {e}"))
        })?,
        other => other.clone(),
    };
    literal(&parsed, value_type)
}
