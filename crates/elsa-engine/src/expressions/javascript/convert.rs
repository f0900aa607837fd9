//! JSON values to JavaScript values and back, without JSON text in between.
//!
//! The way back gives what `JSON.stringify` followed by parsing would: `undefined`, functions
//! and symbols are left out of objects and become `null` in arrays, non-finite numbers become
//! `null`. Plain objects and arrays (the only kind the way in makes, and what scripts build
//! with literals) are walked directly; anything else (dates and other values with `toJSON`,
//! class instances, boxed primitives, proxies, nesting deeper than [`MAX_DIRECT_DEPTH`], which
//! may be a cycle) goes through `JSON.stringify`, which also raises its errors.

use rquickjs::object::Property;
use rquickjs::{Array, Ctx, Object, Type, Value as JsValue};
use serde_json::{Map, Number, Value};

/// Nesting walked directly; deeper values are left to `JSON.stringify`, whose cycle check
/// then reports a circular structure instead of the walk recursing without end.
const MAX_DIRECT_DEPTH: usize = 32;

/// Why a value could not be converted.
#[derive(Debug)]
pub(super) enum ConvertError {
    /// A JavaScript exception (or engine failure), to be described by the caller.
    Js(rquickjs::Error),
    /// `JSON.stringify` produced text that is not JSON for serde (a lone surrogate).
    Json(serde_json::Error),
}

impl From<rquickjs::Error> for ConvertError {
    fn from(error: rquickjs::Error) -> Self {
        Self::Js(error)
    }
}

/// `value` as a JavaScript value.
pub(super) fn to_js<'js>(ctx: &Ctx<'js>, value: &Value) -> rquickjs::Result<JsValue<'js>> {
    Ok(match value {
        Value::Null => JsValue::new_null(ctx.clone()),
        Value::Bool(flag) => JsValue::new_bool(ctx.clone(), *flag),
        Value::Number(number) => match number.as_i64().map(i32::try_from) {
            Some(Ok(small)) => JsValue::new_int(ctx.clone(), small),
            _ => JsValue::new_float(ctx.clone(), number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) => rquickjs::String::from_str(ctx.clone(), text)?.into_value(),
        Value::Array(items) => {
            let array = Array::new(ctx.clone())?;
            for (index, item) in items.iter().enumerate() {
                array.set(index, to_js(ctx, item)?)?;
            }
            array.into_value()
        }
        Value::Object(map) => object_to_js(ctx, map)?.into_value(),
    })
}

/// `map` as a plain JavaScript object.
pub(super) fn object_to_js<'js>(
    ctx: &Ctx<'js>,
    map: &Map<String, Value>,
) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    for (key, value) in map {
        // Defined, not assigned: a key such as `__proto__` stays a plain property, as with
        // `JSON.parse`.
        let property = Property::from(to_js(ctx, value)?)
            .writable()
            .enumerable()
            .configurable();
        object.prop(key.as_str(), property)?;
    }
    Ok(object)
}

/// Converts JavaScript values of one realm back to JSON.
pub(super) struct FromJs<'js> {
    ctx: Ctx<'js>,
    object_prototype: Object<'js>,
    array_prototype: Object<'js>,
}

impl<'js> FromJs<'js> {
    pub fn new(
        ctx: &Ctx<'js>,
        object_prototype: Object<'js>,
        array_prototype: Object<'js>,
    ) -> Self {
        Self {
            ctx: ctx.clone(),
            object_prototype,
            array_prototype,
        }
    }

    /// `value` as JSON; `None` where `JSON.stringify` gives `undefined`.
    pub fn convert(&self, value: &JsValue<'js>) -> Result<Option<Value>, ConvertError> {
        self.convert_at(value, 0)
    }

    /// Whether `value` converts to `json`, found without building the conversion where the value
    /// is plain (the usual case: a variable the script did not touch).
    pub fn converts_to(&self, value: &JsValue<'js>, json: &Value) -> Result<bool, ConvertError> {
        match self.same(value, json, 0)? {
            Some(same) => Ok(same),
            None => Ok(self.convert(value)?.as_ref() == Some(json)),
        }
    }

    fn convert_at(
        &self,
        value: &JsValue<'js>,
        depth: usize,
    ) -> Result<Option<Value>, ConvertError> {
        let json = match value.type_of() {
            Type::Uninitialized
            | Type::Undefined
            | Type::Symbol
            | Type::Function
            | Type::Constructor => return Ok(None),
            Type::Null => Value::Null,
            Type::Bool => Value::Bool(value.as_bool().unwrap_or_default()),
            Type::Int => Value::from(value.as_int().unwrap_or_default()),
            Type::Float => number(value.as_float().unwrap_or(f64::NAN)),
            Type::String => match value.as_string() {
                // A script may build any string; what is kept must be storable everywhere.
                Some(text) => Value::String(elsa_model::storable_text(text.to_string()?)),
                None => Value::Null,
            },
            _ => match self.plain(value, depth)? {
                Some(Plain::Array(array)) => {
                    let mut items = Vec::with_capacity(array.len());
                    for item in array.iter::<JsValue>() {
                        items.push(self.convert_at(&item?, depth + 1)?.unwrap_or(Value::Null));
                    }
                    Value::Array(items)
                }
                Some(Plain::Object(object)) => {
                    let mut map = Map::new();
                    for entry in object.props::<String, JsValue>() {
                        let (key, item) = entry?;
                        if let Some(item) = self.convert_at(&item, depth + 1)? {
                            map.insert(elsa_model::storable_text(key), item);
                        }
                    }
                    Value::Object(map)
                }
                None => return self.through_json(value),
            },
        };
        Ok(Some(json))
    }

    /// Compares without converting; `None` when `value` is not plain and only a conversion can tell.
    fn same(
        &self,
        value: &JsValue<'js>,
        json: &Value,
        depth: usize,
    ) -> Result<Option<bool>, ConvertError> {
        let same = match (value.type_of(), json) {
            // Left out of objects but `null` in arrays: only a conversion tells.
            (
                Type::Uninitialized
                | Type::Undefined
                | Type::Symbol
                | Type::Function
                | Type::Constructor,
                _,
            ) => return Ok(None),
            (Type::Null, Value::Null) => true,
            (Type::Bool, Value::Bool(flag)) => value.as_bool() == Some(*flag),
            (Type::Int, Value::Number(number)) => number
                .as_i64()
                .is_some_and(|number| Some(number) == value.as_int().map(i64::from)),
            (Type::Float, _) => number(value.as_float().unwrap_or(f64::NAN)) == *json,
            (Type::String, Value::String(text)) => match value.as_string() {
                Some(string) => string.to_string()? == *text,
                None => false,
            },
            (Type::Null | Type::Bool | Type::Int | Type::String, _) => false,
            _ => match (self.plain(value, depth)?, json) {
                (Some(Plain::Array(array)), Value::Array(items)) => {
                    if array.len() != items.len() {
                        return Ok(Some(false));
                    }
                    for (item, json) in array.iter::<JsValue>().zip(items) {
                        match self.same(&item?, json, depth + 1)? {
                            Some(true) => {}
                            other => return Ok(other),
                        }
                    }
                    true
                }
                (Some(Plain::Object(object)), Value::Object(map)) => {
                    let mut count = 0;
                    for entry in object.props::<String, JsValue>() {
                        let (key, item) = entry?;
                        count += 1;
                        let Some(json) = map.get(&key) else {
                            return Ok(None);
                        };
                        match self.same(&item, json, depth + 1)? {
                            Some(true) => {}
                            other => return Ok(other),
                        }
                    }
                    count == map.len()
                }
                (Some(_), _) => false,
                (None, _) => return Ok(None),
            },
        };
        Ok(Some(same))
    }

    /// `value` as a plain array or object to walk, or `None` when `JSON.stringify` must decide.
    fn plain(&self, value: &JsValue<'js>, depth: usize) -> rquickjs::Result<Option<Plain<'js>>> {
        if depth >= MAX_DIRECT_DEPTH {
            return Ok(None);
        }
        // `Array` covers proxies of arrays too; `Object` is what no other type (proxy, promise,
        // error, function) matched.
        let array = match value.type_of() {
            Type::Array if !value.is_proxy() => true,
            Type::Object => false,
            _ => return Ok(None),
        };
        let Some(object) = value.clone().into_object() else {
            return Ok(None);
        };
        let prototype = object.get_prototype();
        if array {
            let plain = prototype.as_ref() == Some(&self.array_prototype);
            return Ok(plain
                .then(|| object.into_array().map(Plain::Array))
                .flatten());
        }
        let plain = prototype.is_none_or(|prototype| prototype == self.object_prototype)
            && !object.contains_key("toJSON")?;
        Ok(plain.then_some(Plain::Object(object)))
    }

    fn through_json(&self, value: &JsValue<'js>) -> Result<Option<Value>, ConvertError> {
        match self.ctx.json_stringify(value.clone())? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text.to_string()?)
                .map(|value| Some(elsa_model::storable_value(value)))
                .map_err(ConvertError::Json),
        }
    }
}

enum Plain<'js> {
    Array(Array<'js>),
    Object(Object<'js>),
}

/// A JavaScript number as `JSON.stringify` writes it and serde reads it back: integral values
/// below 1e21 are written without fraction or exponent, so they read as integers where they fit.
fn number(value: f64) -> Value {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    if value.fract() == 0.0 && value.abs() < 1e21 {
        if (-TWO_POW_63..TWO_POW_63).contains(&value) {
            return Value::from(value as i64);
        }
        if (0.0..TWO_POW_64).contains(&value) {
            return Value::from(value as u64);
        }
    }
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}
