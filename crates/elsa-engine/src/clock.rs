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

    /// A new id for an activity execution (its context, and its activity execution record) in
    /// the given workflow instance. Any unique id will do; [`TimeOrderedIds`] prefixes the
    /// instance id, so a store can tell from a record id alone which instance it belongs to.
    fn new_activity_instance_id(&self, workflow_instance_id: &str) -> String {
        let _ = workflow_instance_id;
        self.new_id()
    }
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
/// The server uses [`TimeOrderedIds`]; this one serves callers that want no time in their ids.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn new_id(&self) -> String {
        let (high, _) = uuid::Uuid::new_v4().as_u64_pair();
        hex_id(high)
    }
}

/// Ids that grow with time, in Elsa's 16-hex form: 42 bits of milliseconds since the Unix
/// epoch (until the year 2109), then a 10-bit node tag, then a 12-bit sequence.
///
/// Why: rows keyed by random ids land on random pages of every index, so each commit dirties
/// (and SQLite writes back) pages all over the file; ids that grow append at the right edge of
/// each B-tree, where the pages are hot. Ids of one process never repeat: the time and
/// sequence advance together as one counter, which runs ahead of the clock rather than
/// repeat when more than 4,096 ids are asked for in one millisecond (or the clock steps back).
/// Ids of different processes never meet while their tags differ: the server takes its tag
/// from the database it shares with the other nodes ([`TimeOrderedIds::set_tag`]); until then
/// the tag is random. Making an id costs no system call (the clock is read through the vDSO).
#[derive(Debug)]
pub struct TimeOrderedIds {
    /// Milliseconds and sequence of the last id, `(ms << SEQUENCE_BITS) | sequence`.
    last: AtomicU64,
    tag: AtomicU64,
}

const SEQUENCE_BITS: u32 = 12;
const TAG_BITS: u32 = 10;

impl Default for TimeOrderedIds {
    fn default() -> Self {
        let (random, _) = uuid::Uuid::new_v4().as_u64_pair();
        Self {
            last: AtomicU64::new(0),
            tag: AtomicU64::new(random),
        }
    }
}

impl TimeOrderedIds {
    pub fn new() -> Self {
        Self::default()
    }

    /// The node's tag; only its low 10 bits are used.
    pub fn set_tag(&self, tag: u64) {
        self.tag.store(tag, Ordering::Relaxed);
    }

    fn next(&self, now_ms: u64) -> u64 {
        let floor = now_ms << SEQUENCE_BITS;
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let next = floor.max(last + 1);
            match self
                .last
                .compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }

    fn compose(&self, counter: u64) -> u64 {
        let sequence = counter & ((1 << SEQUENCE_BITS) - 1);
        let ms = counter >> SEQUENCE_BITS;
        let tag = self.tag.load(Ordering::Relaxed) & ((1 << TAG_BITS) - 1);
        (ms << (TAG_BITS + SEQUENCE_BITS)) | (tag << SEQUENCE_BITS) | sequence
    }
}

impl IdGenerator for TimeOrderedIds {
    fn new_id(&self) -> String {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        hex_id(self.compose(self.next(now_ms)))
    }

    /// The instance id, then a new id.
    fn new_activity_instance_id(&self, workflow_instance_id: &str) -> String {
        let mut id = String::with_capacity(workflow_instance_id.len() + 16);
        id.push_str(workflow_instance_id);
        id.push_str(&self.new_id());
        id
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

    #[test]
    fn time_ordered_ids_grow_and_carry_time_tag_and_sequence() {
        let ids = TimeOrderedIds::new();
        ids.set_tag(0x3ff + 0x400 * 7);
        let a = ids.compose(ids.next(1_000));
        let b = ids.compose(ids.next(1_000));
        assert_eq!(a >> 22, 1_000);
        assert_eq!((a >> 12) & 0x3ff, 0x3ff, "only the tag's low 10 bits");
        assert_eq!(b, a + 1, "same millisecond: the sequence advances");
        // The clock stepping back does not repeat an id.
        assert!(ids.compose(ids.next(999)) > b);
        // More than 4,096 in one millisecond run ahead of the clock instead of wrapping.
        let many: Vec<u64> = (0..5_000).map(|_| ids.compose(ids.next(2_000))).collect();
        assert!(many.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(many[4_999] >> 22, 2_001);
        let real = TimeOrderedIds::new();
        let (x, y) = (real.new_id(), real.new_id());
        assert_eq!(x.len(), 16);
        assert!(x < y, "hex text sorts as the number does");
        let activity = real.new_activity_instance_id("wf-1");
        assert_eq!(activity.len(), 20);
        assert!(activity.starts_with("wf-1"));
    }
}
