//! Elsa's model as the `liquid` crate sees it, forgiving the way Fluid is: a name or member
//! that is not there renders as nothing instead of failing the template (`{{ Foo }}`,
//! `{{ Variables.Undeclared }}`, `{{ Input.Missing.Deeper }}`, `{{ Variables.Items[9] }}`).
//!
//! The `liquid` crate looks names up through `ObjectView::contains_key`/`get` and fails on a
//! miss, so the model is copied into this tree, whose lookups answer a miss with `MISSING`: a
//! nil that also reads as an empty object, so chains of misses stay nil. Values that exist
//! keep the crate's behaviour (they are the crate's own scalars, or arrays and objects of them).
//! One difference from Fluid remains: a member of a string or number (`{{ Input.Name.Foo }}`)
//! still fails — a scalar that also answered as an object would compare and measure (`size`)
//! wrongly.

use liquid_core::model::{
    ArrayView, DisplayCow, KStringCow, ObjectView, ScalarCow, State, Value as LiquidValue,
    ValueView,
};
use serde_json::Value;
use std::fmt;

/// One value of the model. Arrays and objects are views of themselves.
#[derive(Debug)]
pub(super) enum Lenient {
    Scalar(LiquidValue),
    /// A JSON null: the crate's nil.
    Nil,
    /// What a lookup that found nothing returns: nil, and an empty object for further lookups.
    Missing,
    Array(Vec<Lenient>),
    /// Members in the JSON's order; objects in a workflow's model are small, so a linear
    /// lookup is fine.
    Object(Vec<(String, Lenient)>),
    /// The model's root: every top-level name exists (`contains_key` is how the crate decides
    /// between a variable and an error); unknown ones are missing.
    Root(Vec<(String, Lenient)>),
}

static MISSING: Lenient = Lenient::Missing;
static EMPTY: Lenient = Lenient::Object(Vec::new());

impl Lenient {
    /// The root of the model serialised as a JSON object.
    pub fn root(model: Value) -> Self {
        match Lenient::from(model) {
            Lenient::Object(members) => Lenient::Root(members),
            _ => Lenient::Root(Vec::new()),
        }
    }

    fn members(&self) -> &[(String, Lenient)] {
        match self {
            Lenient::Object(members) | Lenient::Root(members) => members,
            _ => &[],
        }
    }

    fn items(&self) -> &[Lenient] {
        match self {
            Lenient::Array(items) => items,
            _ => &[],
        }
    }

    /// Liquid indexes arrays from the end with negative numbers.
    fn position(&self, index: i64) -> Option<usize> {
        let len = self.items().len() as i64;
        let index = if index < 0 { len + index } else { index };
        (0..len).contains(&index).then_some(index as usize)
    }
}

impl From<Value> for Lenient {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Lenient::Nil,
            Value::Bool(b) => Lenient::Scalar(LiquidValue::scalar(b)),
            Value::Number(n) => Lenient::Scalar(match n.as_i64() {
                Some(i) => LiquidValue::scalar(i),
                None => LiquidValue::scalar(n.as_f64().unwrap_or_default()),
            }),
            Value::String(s) => Lenient::Scalar(LiquidValue::scalar(s)),
            Value::Array(items) => Lenient::Array(items.into_iter().map(Lenient::from).collect()),
            Value::Object(map) => Lenient::Object(
                map.into_iter()
                    .map(|(key, value)| (key, Lenient::from(value)))
                    .collect(),
            ),
        }
    }
}

impl ValueView for Lenient {
    fn as_debug(&self) -> &dyn fmt::Debug {
        self
    }

    fn render(&self) -> DisplayCow<'_> {
        match self {
            Lenient::Scalar(value) => value.render(),
            Lenient::Nil | Lenient::Missing => DisplayCow::Borrowed(&""),
            _ => DisplayCow::Owned(Box::new(self.to_value().render().to_string())),
        }
    }

    fn source(&self) -> DisplayCow<'_> {
        match self {
            Lenient::Scalar(value) => value.source(),
            _ => DisplayCow::Owned(Box::new(self.to_value().source().to_string())),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Lenient::Scalar(value) => value.type_name(),
            Lenient::Nil | Lenient::Missing => "nil",
            Lenient::Array(_) => "array",
            Lenient::Object(_) | Lenient::Root(_) => "object",
        }
    }

    fn query_state(&self, state: State) -> bool {
        match self {
            Lenient::Scalar(value) => value.query_state(state),
            Lenient::Nil | Lenient::Missing => LiquidValue::Nil.query_state(state),
            Lenient::Array(items) => state == State::Truthy || items.is_empty(),
            Lenient::Object(members) | Lenient::Root(members) => {
                state == State::Truthy || members.is_empty()
            }
        }
    }

    fn to_kstr(&self) -> KStringCow<'_> {
        match self {
            Lenient::Scalar(value) => value.to_kstr(),
            _ => KStringCow::from_string(self.render().to_string()),
        }
    }

    fn to_value(&self) -> LiquidValue {
        match self {
            Lenient::Scalar(value) => value.clone(),
            Lenient::Nil | Lenient::Missing => LiquidValue::Nil,
            Lenient::Array(items) => {
                LiquidValue::Array(items.iter().map(ValueView::to_value).collect())
            }
            Lenient::Object(members) | Lenient::Root(members) => LiquidValue::Object(
                members
                    .iter()
                    .map(|(key, value)| (key.clone().into(), value.to_value()))
                    .collect(),
            ),
        }
    }

    fn as_scalar(&self) -> Option<ScalarCow<'_>> {
        match self {
            Lenient::Scalar(value) => value.as_scalar(),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&dyn ArrayView> {
        matches!(self, Lenient::Array(_)).then_some(self as &dyn ArrayView)
    }

    fn as_object(&self) -> Option<&dyn ObjectView> {
        match self {
            Lenient::Object(_) | Lenient::Root(_) => Some(self),
            // A member of something missing is missing too.
            Lenient::Missing => Some(&EMPTY),
            _ => None,
        }
    }

    fn is_nil(&self) -> bool {
        matches!(self, Lenient::Nil | Lenient::Missing)
    }
}

impl ArrayView for Lenient {
    fn as_value(&self) -> &dyn ValueView {
        self
    }

    fn size(&self) -> i64 {
        self.items().len() as i64
    }

    fn values<'k>(&'k self) -> Box<dyn Iterator<Item = &'k dyn ValueView> + 'k> {
        Box::new(self.items().iter().map(|item| item as &dyn ValueView))
    }

    fn contains_key(&self, index: i64) -> bool {
        self.position(index).is_some()
    }

    fn get(&self, index: i64) -> Option<&dyn ValueView> {
        Some(self.position(index).map_or(&MISSING, |i| &self.items()[i]))
    }
}

impl ObjectView for Lenient {
    fn as_value(&self) -> &dyn ValueView {
        self
    }

    fn size(&self) -> i64 {
        self.members().len() as i64
    }

    fn keys<'k>(&'k self) -> Box<dyn Iterator<Item = KStringCow<'k>> + 'k> {
        Box::new(
            self.members()
                .iter()
                .map(|(key, _)| KStringCow::from_ref(key)),
        )
    }

    fn values<'k>(&'k self) -> Box<dyn Iterator<Item = &'k dyn ValueView> + 'k> {
        Box::new(
            self.members()
                .iter()
                .map(|(_, value)| value as &dyn ValueView),
        )
    }

    fn iter<'k>(&'k self) -> Box<dyn Iterator<Item = (KStringCow<'k>, &'k dyn ValueView)> + 'k> {
        Box::new(
            self.members()
                .iter()
                .map(|(key, value)| (KStringCow::from_ref(key), value as &dyn ValueView)),
        )
    }

    fn contains_key(&self, index: &str) -> bool {
        matches!(self, Lenient::Root(_)) || self.members().iter().any(|(key, _)| key == index)
    }

    fn get<'s>(&'s self, index: &str) -> Option<&'s dyn ValueView> {
        match self.members().iter().find(|(key, _)| key == index) {
            Some((_, value)) => Some(value),
            // `x.size` of an object without a `size` member is its size: the crate answers
            // that only when the lookup finds nothing.
            None if index == "size" => None,
            None => Some(&MISSING),
        }
    }
}
