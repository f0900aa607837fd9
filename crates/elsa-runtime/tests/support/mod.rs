#![allow(dead_code)] // each test binary uses a different part of this support
//! What the runtime tests share: a throwaway in-memory runtime with a fixed clock, sequential
//! ids and a console that records the WriteLine lines.

use chrono::{TimeZone, Utc};
use elsa_engine::{Clock, Engine, EngineOptions, FixedClock, SequentialIds};
use elsa_model::Timestamp;
use elsa_runtime::Runtime;
use std::sync::{Arc, Mutex};

/// The runtime and the lines its workflows wrote, in order.
pub async fn runtime() -> (Runtime, Arc<Mutex<Vec<String>>>) {
    let clock = FixedClock(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    runtime_on(Arc::new(clock)).await
}

/// A runtime whose clock the test moves (2026-01-01T00:00:00Z to begin with).
pub async fn runtime_with_clock() -> (Runtime, Arc<Mutex<Vec<String>>>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock(Mutex::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    )));
    let (runtime, lines) = runtime_on(clock.clone()).await;
    (runtime, lines, clock)
}

async fn runtime_on(clock: Arc<dyn Clock + Send + Sync>) -> (Runtime, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let runtime = Runtime::in_memory(
        Engine::new(EngineOptions::default()),
        clock,
        Arc::new(SequentialIds::new()),
        Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned())),
    )
    .await
    .unwrap();
    (runtime, lines)
}

/// A clock that stands still until the test moves it.
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn advance(&self, by: chrono::TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

/// Polls `check` until it gives a value (every 10 ms, for at most 10 s).
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(check: impl Fn() -> F) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the condition never held"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
