//! What the scheduling activities share: .NET `TimeSpan` text, and waiting until a point in
//! time through a bookmark the runtime's scheduler resumes.

use crate::activity_context::ActivityContext;
use crate::error::Fault;
use crate::values::display;
use chrono::TimeDelta;
use elsa_model::{Bookmark, Timestamp};
use serde_json::{Map, Value};

/// Parses .NET's `TimeSpan` format `[-][d.]hh:mm[:ss[.fffffff]]`.
pub fn parse_time_span(text: &str) -> Option<TimeDelta> {
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (days, clock) = match text.split_once(':') {
        Some((head, _)) if head.contains('.') => {
            let (days, _) = head.split_once('.')?;
            (days.parse::<i64>().ok()?, &text[days.len() + 1..])
        }
        Some(_) => (0, text),
        // A bare number is a number of days, as .NET reads it.
        None => return text.parse::<i64>().ok().and_then(TimeDelta::try_days),
    };
    let mut parts = clock.split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let (seconds, fraction) = match parts.next() {
        Some(seconds) => match seconds.split_once('.') {
            Some((whole, fraction)) => (whole.parse::<i64>().ok()?, fraction),
            None => (seconds.parse::<i64>().ok()?, ""),
        },
        None => (0, ""),
    };
    if parts.next().is_some() || hours > 23 || minutes > 59 || seconds > 59 || fraction.len() > 7 {
        return None;
    }
    let ticks: i64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<7}").parse().ok()?
    };
    let span = TimeDelta::try_days(days)?
        + TimeDelta::try_hours(hours)?
        + TimeDelta::try_minutes(minutes)?
        + TimeDelta::try_seconds(seconds)?
        + TimeDelta::nanoseconds(ticks * 100);
    Some(if negative { -span } else { span })
}

/// A `TimeSpan` input, faulting on text that is not one.
pub(super) fn time_span_input(
    cx: &ActivityContext<'_, '_>,
    name: &str,
) -> Result<TimeDelta, Fault> {
    let text = display(cx.input(name));
    parse_time_span(&text).ok_or_else(|| {
        Fault::invalid_operation(format!(
            "'{text}' is not a valid TimeSpan for input '{name}'."
        ))
    })
}

/// Now plus `span`, faulting instead of overflowing.
pub(super) fn after(cx: &ActivityContext<'_, '_>, span: TimeDelta) -> Result<Timestamp, Fault> {
    cx.now()
        .checked_add_signed(span)
        .ok_or_else(|| Fault::invalid_operation("The resume time is out of range."))
}

/// When a bookmark of a scheduling activity (`Delay`, `Timer`, `StartAt`, `Cron`) is due:
/// the time [`wait_until`] put in its payload. `None` for every other bookmark.
pub fn bookmark_due_at(bookmark: &Bookmark) -> Option<Timestamp> {
    let key = match bookmark.name.as_str() {
        "Elsa.Delay" | "Elsa.Timer" => "resumeAt",
        "Elsa.StartAt" | "Elsa.Cron" => "executeAt",
        _ => return None,
    };
    serde_json::from_value(bookmark.payload.get(key)?.clone()).ok()
}

/// Suspends the activity until `at`: a bookmark `name` whose payload holds `at` under `key`
/// (plus `extra` properties).
pub(super) fn wait_until(
    cx: &mut ActivityContext<'_, '_>,
    name: &str,
    key: &str,
    at: Timestamp,
    extra: Map<String, Value>,
) {
    let mut payload = extra;
    payload.insert(
        key.to_owned(),
        serde_json::to_value(at).unwrap_or(Value::Null),
    );
    cx.create_bookmark(name, Value::Object(payload));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dotnet_time_spans() {
        assert_eq!(parse_time_span("00:00:05"), TimeDelta::try_seconds(5));
        assert_eq!(parse_time_span("01:30"), TimeDelta::try_minutes(90));
        assert_eq!(
            parse_time_span("1.02:00:00.5"),
            Some(TimeDelta::try_hours(26).unwrap() + TimeDelta::milliseconds(500))
        );
        assert_eq!(parse_time_span("-00:01:00"), TimeDelta::try_minutes(-1));
        assert_eq!(parse_time_span("2"), TimeDelta::try_days(2));
        for bad in ["", "abc", "00:61:00", "1:2:3:4", "00:00:00.12345678"] {
            assert_eq!(parse_time_span(bad), None, "{bad}");
        }
    }
}
