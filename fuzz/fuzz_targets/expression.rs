//! An arbitrary string as a JavaScript and as a Liquid expression of a WriteLine and a
//! SetVariable in a tiny workflow.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use std::sync::LazyLock;

static ENGINE: LazyLock<elsa_engine::Engine> = LazyLock::new(common::engine);

fuzz_target!(|source: &str| {
    for language in ["JavaScript", "Liquid"] {
        let expression =
            json!({"typeName": "Object", "expression": {"type": language, "value": source}});
        let root = json!({"type": "Elsa.Sequence", "activities": [
            {"id": "Set", "type": "Elsa.SetVariable", "variable": {"id": "x", "name": "X"}, "value": expression},
            {"id": "Write", "type": "Elsa.WriteLine", "text": expression},
        ]});
        common::load_and_run(&ENGINE, &common::definition(root));
    }
});
