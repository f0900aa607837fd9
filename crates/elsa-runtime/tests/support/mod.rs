//! What the runtime tests share: a throwaway in-memory runtime with a fixed clock, sequential
//! ids and a console that records the WriteLine lines.

use chrono::{TimeZone, Utc};
use elsa_engine::{Engine, EngineOptions, FixedClock, SequentialIds};
use elsa_runtime::Runtime;
use std::sync::{Arc, Mutex};

/// The runtime and the lines its workflows wrote, in order.
pub async fn runtime() -> (Runtime, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let runtime = Runtime::in_memory(
        Engine::new(EngineOptions::default()),
        Arc::new(FixedClock(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        )),
        Arc::new(SequentialIds::new()),
        Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned())),
    )
    .await
    .unwrap();
    (runtime, lines)
}
