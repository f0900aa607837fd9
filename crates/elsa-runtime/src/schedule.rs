//! When scheduled triggers fire: `Elsa.Timer` every interval, `Elsa.Cron` at each occurrence
//! of its expression, `Elsa.StartAt` once.
//!
//! The tick after one is computed from the time it was *scheduled* for, not from when it ran:
//! a timer that wakes early or late neither fires twice nor drifts (Elsa's in-memory scheduler
//! computes from "now" and fired a daily cron twice, elsa-core #7247). A node that falls far
//! behind — it was down — fires the missed ticks once and carries on from now, as Quartz's
//! default misfire policy does, rather than replaying every tick it missed.

use chrono::TimeDelta;
use elsa_engine::{CronExpression, parse_time_span};
use elsa_model::Timestamp;
use serde_json::Value;

/// How late a tick may run before the ticks after it count as missed.
const MISFIRE_THRESHOLD: TimeDelta = TimeDelta::seconds(60);

pub(crate) const TIMER: &str = "Elsa.Timer";
pub(crate) const CRON: &str = "Elsa.Cron";
pub(crate) const START_AT: &str = "Elsa.StartAt";

#[derive(Debug, Clone)]
pub(crate) enum Schedule {
    Every(TimeDelta),
    Cron(CronExpression),
    Once(Timestamp),
}

impl Schedule {
    /// The schedule of a trigger (stimulus `name`, the payload the trigger index stores).
    /// `None` for triggers that are not scheduled, and for a payload that describes no valid
    /// schedule (an interval that is not positive, an expression that does not parse).
    pub(crate) fn of(name: &str, payload: &Value) -> Option<Self> {
        let text = |key: &str| payload.get(key).and_then(Value::as_str);
        match name {
            TIMER => parse_time_span(text("interval")?)
                .filter(|span| *span > TimeDelta::zero())
                .map(Self::Every),
            CRON => CronExpression::parse(text("cronExpression")?)
                .ok()
                .map(Self::Cron),
            START_AT => serde_json::from_value(payload.get("executeAt")?.clone())
                .ok()
                .map(Self::Once),
            _ => None,
        }
    }

    /// The first tick of a trigger published at `now`. A start time already past fires at
    /// once.
    pub(crate) fn first(&self, now: Timestamp) -> Option<Timestamp> {
        match self {
            Self::Every(interval) => now.checked_add_signed(*interval),
            Self::Cron(cron) => cron.next_after(now),
            Self::Once(at) => Some(*at),
        }
    }

    /// The tick after the one scheduled for `fired`, which runs at `now`.
    pub(crate) fn next(&self, fired: Timestamp, now: Timestamp) -> Option<Timestamp> {
        let after = |t: Timestamp| match self {
            Self::Every(interval) => t.checked_add_signed(*interval),
            Self::Cron(cron) => cron.next_after(t),
            Self::Once(_) => None,
        };
        let next = after(fired)?;
        if next < now - MISFIRE_THRESHOLD {
            after(now)
        } else {
            Some(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(h: u32, m: u32, s: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 12, 3, h, m, s).unwrap()
    }

    #[test]
    fn ticks_follow_the_scheduled_time() {
        let every = Schedule::of(TIMER, &json!({"interval": "00:00:10"})).unwrap();
        assert_eq!(every.first(at(10, 0, 0)), Some(at(10, 0, 10)));
        // Ran 3 s late: the next tick keeps its place.
        assert_eq!(
            every.next(at(10, 0, 10), at(10, 0, 13)),
            Some(at(10, 0, 20))
        );
        // Woke early: still the tick after the scheduled one, not a second one now.
        assert_eq!(
            every.next(at(10, 0, 20), at(10, 0, 19)),
            Some(at(10, 0, 30))
        );

        let cron = Schedule::of(CRON, &json!({"cronExpression": "0 * * * * *"})).unwrap();
        assert_eq!(cron.first(at(10, 0, 30)), Some(at(10, 1, 0)));
        assert_eq!(cron.next(at(10, 1, 0), at(10, 1, 0)), Some(at(10, 2, 0)));
    }

    #[test]
    fn a_node_that_was_down_fires_missed_ticks_once() {
        let every = Schedule::of(TIMER, &json!({"interval": "00:00:01"})).unwrap();
        // Scheduled for 10:00:00, run an hour later: carry on from now.
        assert_eq!(every.next(at(10, 0, 0), at(11, 0, 0)), Some(at(11, 0, 1)));
        // A little behind (a busy node): catch up tick by tick.
        assert_eq!(every.next(at(10, 0, 0), at(10, 0, 5)), Some(at(10, 0, 1)));
    }

    #[test]
    fn start_at_fires_once_and_invalid_payloads_schedule_nothing() {
        let once = Schedule::of(START_AT, &json!({"executeAt": "2026-12-03T12:00:00Z"})).unwrap();
        assert_eq!(once.first(at(10, 0, 0)), Some(at(12, 0, 0)));
        assert_eq!(once.next(at(12, 0, 0), at(12, 0, 0)), None);
        assert!(Schedule::of(TIMER, &json!({"interval": "00:00:00"})).is_none());
        assert!(Schedule::of(TIMER, &json!({"interval": "soon"})).is_none());
        assert!(Schedule::of(CRON, &json!({"cronExpression": "nope"})).is_none());
        assert!(Schedule::of("Elsa.Event", &json!({"eventName": "x"})).is_none());
    }
}
