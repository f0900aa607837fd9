//! Typed configuration values shared by the sections: a value parsed from its key (or the
//! default when the key is blank), .NET time spans, counts.

use std::time::Duration;

use super::error::ConfigError;
use super::keys::{Fallback, Key};
use super::settings::{Origin, Setting};
use super::sources::{Configuration, Entry, Source};

/// Text as set, trimmed.
pub(super) fn text(config: &Configuration, key: &Key) -> Setting<String> {
    typed(config, key, |entry| {
        Ok::<_, std::convert::Infallible>(entry.value.trim().to_owned())
    })
    .unwrap_or_else(|e| match e {})
}

/// The key's value, parsed; when a source blanked it out, its default from the table, parsed
/// the same way (the table's tests check that every default parses).
pub(super) fn typed<T, E: std::fmt::Display>(
    config: &Configuration,
    key: &Key,
    parse: impl Fn(&Entry) -> Result<T, E>,
) -> Result<Setting<T>, E> {
    if let Some(entry) = config.entry(key) {
        return Ok(Setting {
            value: parse(entry)?,
            origin: Origin::of(entry),
        });
    }
    let default = Entry {
        key: key.path().to_owned(),
        value: key
            .default_text()
            .unwrap_or_else(|| panic!("{} has no default value", key.path())),
        source: Source::Default,
    };
    let value =
        parse(&default).unwrap_or_else(|e| panic!("the default of {} is invalid: {e}", key.path()));
    Ok(Setting {
        value,
        origin: Origin::Derived(format!("{} is blank; using the default", key.path())),
    })
}

/// A key without a default value: `None` unless a source sets it.
pub(super) fn optional<T>(
    config: &Configuration,
    key: &Key,
    parse: impl Fn(&Entry) -> Result<T, ConfigError>,
) -> Result<Option<Setting<T>>, ConfigError> {
    config
        .entry(key)
        .map(|entry| {
            Ok(Setting {
                value: parse(entry)?,
                origin: Origin::of(entry),
            })
        })
        .transpose()
}

/// A .NET boolean (`true`, `False`, …).
pub(super) fn boolean(config: &Configuration, key: &Key) -> Result<Setting<bool>, ConfigError> {
    typed(config, key, parse_bool)
}

pub(super) fn parse_bool(entry: &Entry) -> Result<bool, ConfigError> {
    elsa_store::connection_string::parse_bool(&entry.value).ok_or_else(|| {
        ConfigError::InvalidBool {
            key: entry.key.clone(),
            value: entry.value.clone(),
            from: entry.source.clone(),
        }
    })
}

/// A positive .NET time span.
pub(super) fn lifetime(
    config: &Configuration,
    key: &Key,
) -> Result<Setting<Duration>, ConfigError> {
    typed(config, key, parse_lifetime)
}

/// A `TimeSpan` that may be zero (a wait that can be turned off).
pub(super) fn wait(config: &Configuration, key: &Key) -> Result<Setting<Duration>, ConfigError> {
    typed(config, key, |entry| {
        parse_timespan(&entry.value).ok_or_else(|| ConfigError::InvalidTimeSpan {
            key: entry.key.clone(),
            value: entry.value.clone(),
            from: entry.source.clone(),
        })
    })
}

pub(super) fn parse_lifetime(entry: &Entry) -> Result<Duration, ConfigError> {
    parse_timespan(&entry.value)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| ConfigError::InvalidTimeSpan {
            key: entry.key.clone(),
            value: entry.value.clone(),
            from: entry.source.clone(),
        })
}

/// A positive whole number; a key whose default follows the machine gets it per CPU.
pub(super) fn count(config: &Configuration, key: &Key) -> Result<Setting<usize>, ConfigError> {
    if let (None, Fallback::PerCpu(n)) = (config.entry(key), key.fallback()) {
        return Ok(Setting {
            value: cpus() * n,
            origin: Origin::Derived(format!("default: {n} per CPU")),
        });
    }
    typed(config, key, parse_count)
}

pub(super) fn parse_count(entry: &Entry) -> Result<usize, ConfigError> {
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
}

/// CPUs this process may use (the container's CPU limit included).
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
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
