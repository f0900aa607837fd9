//! Typed configuration values shared by the sections: a value parsed from its key (or the
//! default when the key is blank), .NET time spans, counts.

use std::time::Duration;

use super::error::ConfigError;
use super::settings::{Origin, Setting};
use super::sources::{Configuration, Entry};

pub(super) fn text(config: &Configuration, key: &str, fallback: &str) -> Setting<String> {
    typed(config, key, fallback.to_owned(), |entry| {
        Ok::<_, std::convert::Infallible>(entry.value.trim().to_owned())
    })
    .unwrap_or_else(|e| match e {})
}

pub(super) fn typed<T, E>(
    config: &Configuration,
    key: &str,
    fallback: T,
    parse: impl Fn(&Entry) -> Result<T, E>,
) -> Result<Setting<T>, E> {
    Ok(match config.entry(key) {
        Some(entry) => Setting {
            value: parse(entry)?,
            origin: Origin::of(entry),
        },
        None => Setting {
            value: fallback,
            origin: Origin::Derived(format!("{key} is blank; using the default")),
        },
    })
}

/// A positive .NET time span.
pub(super) fn lifetime(
    config: &Configuration,
    key: &str,
    fallback: Duration,
) -> Result<Setting<Duration>, ConfigError> {
    typed(config, key, fallback, |entry| {
        parse_timespan(&entry.value)
            .filter(|d| !d.is_zero())
            .ok_or_else(|| ConfigError::InvalidTimeSpan {
                key: entry.key.clone(),
                value: entry.value.clone(),
                from: entry.source.clone(),
            })
    })
}

/// A positive whole number.
pub(super) fn count(
    config: &Configuration,
    key: &str,
    fallback: usize,
) -> Result<Setting<usize>, ConfigError> {
    typed(config, key, fallback, |entry| {
        entry
            .value
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ConfigError::InvalidCount {
                key: entry.key.clone(),
                value: entry.value.clone(),
                from: entry.source.clone(),
            })
    })
}

/// .NET's TimeSpan constant format: `[d.]hh:mm[:ss[.fffffff]]` (`01:00:00`, `1.02:00:00`).
pub(super) fn parse_timespan(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (days, clock) = match text.split_once(':')?.0.split_once('.') {
        Some((days, _)) => (days.parse::<u64>().ok()?, &text[days.len() + 1..]),
        None => (0, text),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let hours: u64 = parts[0].parse().ok()?;
    let minutes: u64 = parts[1].parse().ok()?;
    let seconds: f64 = parts.get(2).map_or(Ok(0.0), |s| s.parse()).ok()?;
    if hours > 23 || minutes > 59 || !(0.0..60.0).contains(&seconds) {
        return None;
    }
    let whole = ((days * 24 + hours) * 60 + minutes) * 60;
    Some(Duration::from_secs(whole) + Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("01:00:00"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_timespan("00:15"), Some(Duration::from_secs(900)));
        assert_eq!(
            parse_timespan("1.02:00:00"),
            Some(Duration::from_secs(26 * 3600))
        );
        assert_eq!(
            parse_timespan("00:00:01.5"),
            Some(Duration::from_millis(1500))
        );
        for bad in ["1h", "", "25:00:00", "00:61:00", "a.01:00:00", "1:2:3:4"] {
            assert_eq!(parse_timespan(bad), None, "{bad}");
        }
    }
}
