//! Expressions of wrapped inputs: parsed (JavaScript syntax-checked, Liquid templates parsed)
//! at load time, evaluated per activity execution (`evaluate.rs`).

mod evaluate;
pub(crate) mod javascript;
pub(crate) mod liquid;
mod literal;

use crate::json;
use crate::values::ValueType;
use crate::variables::VariableRef;
use javascript::ScriptLimits;
use liquid::LiquidTemplate;
use serde_json::Value;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expression {
    /// A constant, already converted to the input's type (`Literal`, `Object`/`Json`).
    Literal(Value),
    /// Script text; the value of its last expression (or its `return`) is the result.
    JavaScript(String),
    /// The current value of a variable in scope.
    Variable(VariableRef),
    /// A workflow input by name.
    Input(String),
    /// A Liquid template, rendered to a string.
    Liquid(LiquidTemplate),
    /// A type this engine does not evaluate (`CSharp`, `Python`, ...): an incident when
    /// evaluated, not a load error.
    Unsupported(String),
}

/// Why a wrapped input cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpressionError {
    InvalidLiteral(String),
    Syntax(String),
    Malformed(String),
}

/// Parses a wrapped input: `{"typeName","expression":{"type","value"}}`, or a bare JSON value
/// meaning a literal. `Ok(None)` means "not set" (the descriptor default applies).
pub(crate) fn parse_wrapped(
    json: &Value,
    value_type: &ValueType,
    limits: &ScriptLimits,
) -> Result<Option<Expression>, ExpressionError> {
    let wrapper = match json {
        Value::Null => return Ok(None),
        Value::Object(wrapper) => wrapper,
        bare => return literal::literal(bare, value_type).map(Some),
    };
    // Elsa treats an object without an expression, or an expression without a `type` key, as unset.
    let expression = match json::non_null(wrapper, "expression") {
        None => return Ok(None),
        Some(Value::Object(expression)) => expression,
        Some(_) => {
            return Err(ExpressionError::Malformed(
                "'expression' must be an object".to_owned(),
            ));
        }
    };
    let expression_type = match json::property(expression, "type") {
        None => return Ok(None),
        Some(Value::Null) => "Literal",
        Some(Value::String(name)) => name.as_str(),
        Some(_) => {
            return Err(ExpressionError::Malformed(
                "the expression 'type' must be a string".to_owned(),
            ));
        }
    };
    let value = json::property(expression, "value").unwrap_or(&Value::Null);
    let is = |name: &str| expression_type.eq_ignore_ascii_case(name);
    if is("Literal") {
        literal::literal(value, value_type).map(Some)
    } else if is("Object") || is("Json") {
        literal::object(value, value_type).map(Some)
    } else if is("JavaScript") {
        let source = match value {
            Value::Null => return Ok(None),
            Value::String(source) => source,
            _ => {
                return Err(ExpressionError::Malformed(
                    "a JavaScript expression must be a string".to_owned(),
                ));
            }
        };
        javascript::check_syntax(source, limits).map_err(ExpressionError::Syntax)?;
        Ok(Some(Expression::JavaScript(source.clone())))
    } else if is("Variable") {
        VariableRef::parse(value)
            .map(|reference| Some(Expression::Variable(reference)))
            .map_err(ExpressionError::Malformed)
    } else if is("Input") {
        input_name(value).map(|name| Some(Expression::Input(name)))
    } else if is("Liquid") {
        match value {
            Value::Null => Ok(None),
            Value::String(source) => liquid::parse(source)
                .map(|template| Some(Expression::Liquid(template)))
                .map_err(ExpressionError::Syntax),
            _ => Err(ExpressionError::Malformed(
                "a Liquid expression must be a string".to_owned(),
            )),
        }
    } else {
        Ok(Some(Expression::Unsupported(expression_type.to_owned())))
    }
}

/// An `Input` expression holds the JSON of an input definition (`{"name": ...}`), as an
/// object or a string; a plain name is accepted too.
fn input_name(value: &Value) -> Result<String, ExpressionError> {
    let parsed;
    let definition = match value {
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(json) => {
                parsed = json;
                &parsed
            }
            Err(_) => return Ok(text.clone()),
        },
        other => other,
    };
    definition
        .as_object()
        .and_then(|object| json::string(object, "name"))
        .map(str::to_owned)
        .ok_or_else(|| {
            ExpressionError::Malformed("an Input expression needs the input's 'name'".to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(json: Value, value_type: ValueType) -> Result<Option<Expression>, ExpressionError> {
        parse_wrapped(&json, &value_type, &ScriptLimits::default())
    }

    #[test]
    fn accepts_wrapped_and_bare_literals() {
        let wrapped =
            json!({"typeName": "Boolean", "expression": {"type": "Literal", "value": "True"}});
        assert_eq!(
            parse(wrapped, ValueType::Boolean),
            Ok(Some(Expression::Literal(json!(true))))
        );
        assert_eq!(
            parse(json!("Hi"), ValueType::String),
            Ok(Some(Expression::Literal(json!("Hi"))))
        );
        let untyped = json!({"expression": {"type": null, "value": 3}});
        assert_eq!(
            parse(untyped, ValueType::Integer),
            Ok(Some(Expression::Literal(json!(3))))
        );
        assert_eq!(
            parse(json!({"typeName": "String"}), ValueType::String),
            Ok(None)
        );
        assert_eq!(parse(Value::Null, ValueType::String), Ok(None));
    }

    #[test]
    fn parses_other_expression_types() {
        let object = json!({"expression": {"type": "Object", "value": "[\"GET\",\"POST\"]"}});
        assert_eq!(
            parse(object, ValueType::Object),
            Ok(Some(Expression::Literal(json!(["GET", "POST"]))))
        );
        let variable =
            json!({"expression": {"type": "Variable", "value": "{\"id\":\"v1\",\"name\":\"X\"}"}});
        assert!(matches!(
            parse(variable, ValueType::Object),
            Ok(Some(Expression::Variable(_)))
        ));
        let input = json!({"expression": {"type": "Input", "value": "{\"name\":\"OrderId\"}"}});
        assert_eq!(
            parse(input, ValueType::Object),
            Ok(Some(Expression::Input("OrderId".into())))
        );
        let liquid = json!({"expression": {"type": "Liquid", "value": "{{ x }}"}});
        assert!(matches!(
            parse(liquid, ValueType::String),
            Ok(Some(Expression::Liquid(_)))
        ));
        let csharp = json!({"expression": {"type": "CSharp", "value": "1"}});
        assert_eq!(
            parse(csharp, ValueType::String),
            Ok(Some(Expression::Unsupported("CSharp".into())))
        );
    }

    #[test]
    fn rejects_javascript_that_does_not_compile() {
        let good = json!({"expression": {"type": "JavaScript", "value": "1 + 1"}});
        assert!(parse(good, ValueType::Object).is_ok());
        let bad = json!({"expression": {"type": "JavaScript", "value": "1 +* 1"}});
        assert!(matches!(
            parse(bad, ValueType::Object),
            Err(ExpressionError::Syntax(_))
        ));
    }
}
