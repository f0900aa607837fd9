//! What `Elsa.Switch` and `Elsa.FlowSwitch` share: their cases (a label, a condition and, for
//! `Switch`, an embedded activity) and the `Mode` that picks the first or every match.

use crate::activity_context::ActivityContext;
use crate::error::{Fault, LoadError};
use crate::expressions::Expression;
use crate::json;
use crate::loader::NodeBuilder;
use crate::registry::{DefaultValue, InputDescriptor};
use crate::values::ValueType;
use crate::workflow::NodeIdx;
use serde_json::Value;

pub(super) const CASES_INPUT: InputDescriptor =
    InputDescriptor::new("Cases", "Object", "The cases to evaluate.").raw();

pub(super) const MODE_INPUT: InputDescriptor = InputDescriptor::new(
    "Mode",
    "SwitchMode",
    "Whether to run only the first matching case or every one.",
)
.default(DefaultValue::Str("MatchFirst"))
.ui_hint("dropdown");

#[derive(Debug)]
pub(super) struct SwitchCase {
    pub label: String,
    /// `None` when the case has no condition: it never matches.
    condition: Option<Expression>,
    pub activity: Option<NodeIdx>,
}

/// Parses the `cases` property; with `embedded`, each case's `activity` is built as a child.
pub(super) fn parse(
    builder: &mut NodeBuilder<'_, '_>,
    embedded: bool,
) -> Result<Vec<SwitchCase>, LoadError> {
    let Some(json) = builder.property("cases") else {
        return Ok(Vec::new());
    };
    let items = cases_array(json).ok_or_else(|| builder.malformed("'cases' must be an array"))?;
    let mut cases = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let case = item
            .as_object()
            .ok_or_else(|| builder.malformed(format!("case {i} must be a JSON object")))?;
        let label = json::string(case, "label").unwrap_or_default().to_owned();
        let condition = match json::non_null(case, "condition") {
            Some(condition) => {
                builder.expression(condition, &ValueType::Boolean, &format!("Cases[{i}]"))?
            }
            None => None,
        };
        let activity = match json::non_null(case, "activity") {
            Some(activity) if embedded => {
                Some(builder.child_at(activity, &format!("cases[{i}].activity"))?)
            }
            _ => None,
        };
        cases.push(SwitchCase {
            label,
            condition,
            activity,
        });
    }
    Ok(cases)
}

/// Cases are written as an array, `{"$values": [...]}`, or a wrapped `Object` expression whose
/// value is the array (or its JSON text).
fn cases_array(json: &Value) -> Option<Vec<Value>> {
    if let Some(items) = json::array(json) {
        return Some(items.to_vec());
    }
    let expression = json
        .as_object()
        .and_then(|o| json::non_null(o, "expression"))?;
    match expression
        .as_object()
        .and_then(|e| json::non_null(e, "value"))?
    {
        Value::String(text) => serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|parsed| json::array(&parsed).map(<[Value]>::to_vec)),
        other => json::array(other).map(<[Value]>::to_vec),
    }
}

/// The cases whose condition holds: the first one, or all of them in `MatchAny` mode.
pub(super) fn matching<'c>(
    cx: &mut ActivityContext<'_, '_>,
    cases: &'c [SwitchCase],
) -> Result<Vec<&'c SwitchCase>, Fault> {
    let match_any = cx
        .input(MODE_INPUT.name)
        .as_str()
        .is_some_and(|mode| mode.eq_ignore_ascii_case("MatchAny"));
    let mut matched = Vec::new();
    for case in cases {
        let Some(condition) = &case.condition else {
            continue;
        };
        if cx.evaluate(condition, &ValueType::Boolean)? == Value::Bool(true) {
            matched.push(case);
            if !match_any {
                break;
            }
        }
    }
    Ok(matched)
}
