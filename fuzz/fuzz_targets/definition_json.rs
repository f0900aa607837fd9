//! Arbitrary bytes as definition JSON: parse, load, and run what loads.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static ENGINE: LazyLock<elsa_engine::Engine> = LazyLock::new(common::engine);

fuzz_target!(|data: &[u8]| {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) {
        common::load_and_run(&ENGINE, &common::definition(json));
    }
});
