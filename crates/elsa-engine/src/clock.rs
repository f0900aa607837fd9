//! Injected time and identity: the engine never reads the wall clock or a random source itself,
//! so that a run is reproducible when the caller passes deterministic implementations.

use elsa_model::Timestamp;
use std::sync::atomic::{AtomicU64, Ordering};

/// Source of the timestamps a run records (journal, contexts, incidents, state).
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// Source of the ids a run creates (activity execution contexts, journal records).
pub trait IdGenerator: Send + Sync {
    /// A new id; Elsa's ids are 16 lowercase hex characters.
    fn new_id(&self) -> String;
}

/// The real UTC clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// A clock that always returns the same instant (tests, replays).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// Random 64-bit ids printed as 16 lowercase hex characters, like Elsa's default generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn new_id(&self) -> String {
        let (high, _) = uuid::Uuid::new_v4().as_u64_pair();
        hex_id(high)
    }
}

/// Ids `0000000000000001`, `0000000000000002`, ... (tests, replays).
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl SequentialIds {
    pub fn new() -> Self {
        Self::default()
    }
}

impl IdGenerator for SequentialIds {
    fn new_id(&self) -> String {
        hex_id(self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

/// `n` as 16 lowercase hex digits. Hand-rolled: ids are made for every journal record, and
/// `format!` costs several times more.
fn hex_id(n: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = DIGITS[((n >> ((15 - i) * 4)) & 0xf) as usize];
    }
    // Only ASCII hex digits: always valid UTF-8.
    String::from_utf8(bytes.to_vec()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sixteen_lowercase_hex_characters() {
        let random = RandomIds.new_id();
        assert_eq!(random.len(), 16);
        assert!(
            random
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let sequential = SequentialIds::new();
        assert_eq!(sequential.new_id(), "0000000000000001");
        assert_eq!(sequential.new_id(), "0000000000000002");
        assert_eq!(hex_id(0xa86a_9f66_8817_dcb6), "a86a9f668817dcb6");
    }
}
