//! The filters Elsa adds to Liquid's standard library: `base64` (a string's UTF-8 bytes in
//! Base64) and `keys` (an object's keys).

use base64::Engine as _;
use liquid_core::{Display_filter, Filter, FilterReflection, ParseFilter};
use liquid_core::{Result, Runtime, Value, ValueView};

#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(
    name = "base64",
    description = "Encodes a string's UTF-8 bytes in Base64.",
    parsed(Base64Filter)
)]
pub(super) struct Base64;

#[derive(Debug, Default, Display_filter)]
#[name = "base64"]
struct Base64Filter;

impl Filter for Base64Filter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        let text = input.to_kstr();
        Ok(Value::scalar(
            base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
        ))
    }
}

#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(
    name = "keys",
    description = "The keys of an object.",
    parsed(KeysFilter)
)]
pub(super) struct Keys;

#[derive(Debug, Default, Display_filter)]
#[name = "keys"]
struct KeysFilter;

impl Filter for KeysFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        let keys = input.as_object().map_or_else(Vec::new, |object| {
            object
                .keys()
                .map(|key| Value::scalar(key.into_owned()))
                .collect()
        });
        Ok(Value::Array(keys))
    }
}
