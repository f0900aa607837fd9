//! What both targets share: an engine with short limits (so each input runs quickly) and a
//! deterministic run.

use chrono::{TimeZone, Utc};
use elsa_engine::{Engine, EngineOptions, FixedClock, SequentialIds, StartRequest};
use elsa_model::WorkflowDefinition;
use serde_json::Value;
use std::time::Duration;

pub fn engine() -> Engine {
    // libFuzzer's hook aborts on every panic, even one the engine catches on purpose (the
    // `liquid` crate's); a panic that escapes the target still aborts in libfuzzer-sys.
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
    Engine::new(EngineOptions {
        script_timeout: Duration::from_millis(50),
        script_memory_limit: 8 * 1024 * 1024,
        max_activity_executions: 1_000,
        ..EngineOptions::default()
    })
}

/// A definition around `root`, or the definition `json` itself when it is one.
pub fn definition(json: Value) -> WorkflowDefinition {
    serde_json::from_value(json.clone()).unwrap_or_else(|_| WorkflowDefinition {
        id: "v1".into(),
        definition_id: "d1".into(),
        name: None,
        description: None,
        created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        version: 1,
        tool_version: None,
        variables: vec![serde_json::json!({"id": "x", "name": "X", "typeName": "Object"})],
        inputs: vec![],
        outputs: vec![],
        outcomes: vec![],
        custom_properties: Default::default(),
        is_readonly: false,
        is_system: false,
        is_latest: true,
        is_published: true,
        options: Default::default(),
        root: json,
    })
}

/// Loads and, when it loads, runs the definition. Neither may panic.
pub fn load_and_run(engine: &Engine, definition: &WorkflowDefinition) {
    if let Ok(workflow) = engine.load(definition) {
        let clock = FixedClock(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        let _ = engine.start(
            &workflow,
            StartRequest::new("i1"),
            &clock,
            &SequentialIds::new(),
        );
    }
}
