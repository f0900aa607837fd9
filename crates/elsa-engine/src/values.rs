//! Elsa's type aliases (`String`, `Int32`, `List<Object>`, ...) and conversion of JSON values to them.
//!
//! Values stay `serde_json::Value` throughout the engine; a [`ValueType`] only normalises a value
//! to the shape .NET would hold for that type (e.g. the literal `"True"` becomes `true` for a
//! `Boolean` input, the variable default `"0"` becomes `0` for an `Int32` variable).

use serde_json::{Number, Value};

/// The declared type of an input or variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    /// `Object` and every type without a conversion of its own: values pass through unchanged.
    Object,
    String,
    Boolean,
    /// `Int16`, `Int32`, `Int64`: integral numbers.
    Integer,
    /// `Single`, `Double`, `Decimal`: floating-point numbers.
    Float,
    /// `X[]`, `List<X>`, `IEnumerable<X>`, ... and variables with `isArray`.
    List(Box<ValueType>),
}

impl ValueType {
    /// Parses a type alias in any spelling Elsa has written (case-insensitive, `X?`, `X[]`,
    /// `List<X>`, assembly-qualified CLR names). Unknown types are `Object`.
    pub fn from_alias(alias: &str) -> Self {
        let alias = alias.trim();
        let alias = alias.strip_prefix("UnregisteredClrType:").unwrap_or(alias);
        if let Some(element) = alias.strip_suffix("[]") {
            return Self::List(Box::new(Self::from_alias(element)));
        }
        if let Some(inner) = alias.strip_suffix('?') {
            return Self::from_alias(inner);
        }
        if let Some((outer, rest)) = alias.split_once('<') {
            let collection = [
                "List",
                "IList",
                "ICollection",
                "IEnumerable",
                "Collection",
                "HashSet",
            ];
            let outer = outer.rsplit('.').next().unwrap_or(outer);
            if let Some(element) = rest.strip_suffix('>')
                && collection.iter().any(|c| c.eq_ignore_ascii_case(outer))
            {
                return Self::List(Box::new(Self::from_alias(element)));
            }
            return Self::Object;
        }
        // `System.Int32, System.Private.CoreLib` -> `Int32`.
        let simple = alias.split(',').next().unwrap_or(alias).trim();
        let simple = simple.rsplit('.').next().unwrap_or(simple);
        match simple.to_ascii_lowercase().as_str() {
            "string" => Self::String,
            "boolean" | "bool" => Self::Boolean,
            "int16" | "int32" | "int64" | "long" | "int" | "short" => Self::Integer,
            "single" | "double" | "decimal" | "float" => Self::Float,
            _ => Self::Object,
        }
    }

    /// The list of `self`, for variables declared with `isArray: true`.
    pub fn into_list(self) -> Self {
        Self::List(Box::new(self))
    }

    /// Converts `value` to this type. `null` stays `null` for every type.
    pub fn convert(&self, value: Value) -> Result<Value, String> {
        match (self, value) {
            (_, Value::Null) => Ok(Value::Null),
            (Self::Object, value) => Ok(value),
            (Self::String, Value::String(s)) => Ok(Value::String(s)),
            (Self::String, value) => Ok(Value::String(display(&value))),
            (Self::Boolean, value) => to_bool(&value).map(Value::Bool),
            (Self::Integer, value) => to_integer(&value).map(Value::from),
            (Self::Float, value) => to_float(&value).and_then(|f| {
                Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| format!("{f} is not a finite number"))
            }),
            (Self::List(element), Value::Array(items)) => items
                .into_iter()
                .map(|item| element.convert(item))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            (Self::List(element), Value::String(text)) => {
                match serde_json::from_str::<Value>(&text) {
                    Ok(parsed @ Value::Array(_)) => self.convert(parsed),
                    _ => element
                        .convert(Value::String(text))
                        .map(|item| Value::Array(vec![item])),
                }
            }
            (Self::List(element), value) => {
                element.convert(value).map(|item| Value::Array(vec![item]))
            }
        }
    }
}

/// How .NET would print a value: `True`/`False` for booleans, JSON for objects and arrays.
pub(crate) fn display(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

fn to_bool(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        Value::String(s) => {
            let s = s.trim();
            if s.eq_ignore_ascii_case("true") {
                Ok(true)
            } else if s.eq_ignore_ascii_case("false") || s.is_empty() {
                Ok(false)
            } else {
                Err(format!("'{s}' is not True or False"))
            }
        }
        other => Err(format!("{other} is not a boolean")),
    }
}

fn to_integer(value: &Value) -> Result<i64, String> {
    let float = match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) => return Ok(i),
            None => n.as_f64().unwrap_or(f64::NAN),
        },
        Value::Bool(b) => return Ok(i64::from(*b)),
        Value::String(s) => match s.trim().parse::<i64>() {
            Ok(i) => return Ok(i),
            Err(_) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("'{s}' is not a whole number"))?,
        },
        other => return Err(format!("{other} is not a number")),
    };
    // .NET's Convert.ToInt64 rounds half to even; reject what does not fit.
    let rounded = float.round_ties_even();
    if rounded.is_finite() && rounded >= i64::MIN as f64 && rounded <= i64::MAX as f64 {
        Ok(rounded as i64)
    } else {
        Err(format!("{float} does not fit a whole number"))
    }
}

fn to_float(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is not a number")),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("'{s}' is not a number")),
        other => Err(format!("{other} is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_alias_spellings() {
        assert_eq!(ValueType::from_alias("Int32"), ValueType::Integer);
        assert_eq!(ValueType::from_alias("boolean"), ValueType::Boolean);
        assert_eq!(
            ValueType::from_alias("System.String, System.Private.CoreLib"),
            ValueType::String
        );
        assert_eq!(ValueType::from_alias("Int32?"), ValueType::Integer);
        assert_eq!(
            ValueType::from_alias("String[]"),
            ValueType::String.into_list()
        );
        assert_eq!(
            ValueType::from_alias("List<Object>"),
            ValueType::Object.into_list()
        );
        assert_eq!(ValueType::from_alias("HttpHeaders"), ValueType::Object);
    }

    #[test]
    fn converts_like_dotnet() {
        assert_eq!(ValueType::Boolean.convert(json!("True")), Ok(json!(true)));
        assert_eq!(ValueType::Integer.convert(json!("0")), Ok(json!(0)));
        assert_eq!(ValueType::Integer.convert(json!(2.5)), Ok(json!(2)));
        assert_eq!(ValueType::Float.convert(json!("1.5")), Ok(json!(1.5)));
        assert_eq!(ValueType::String.convert(json!(true)), Ok(json!("True")));
        assert_eq!(ValueType::String.convert(json!(42)), Ok(json!("42")));
        assert_eq!(
            ValueType::Object.into_list().convert(json!("[1,2]")),
            Ok(json!([1, 2]))
        );
        assert_eq!(ValueType::Integer.convert(Value::Null), Ok(Value::Null));
        assert!(ValueType::Boolean.convert(json!("maybe")).is_err());
        assert!(ValueType::Integer.convert(json!("abc")).is_err());
    }
}
