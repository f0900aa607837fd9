//! Cron expressions as Elsa reads them: the .NET Cronos library's six-field format (seconds,
//! minutes, hours, day of month, month, day of week — `CronFormat.IncludeSeconds`). One parser
//! serves publish validation, whose errors Elsa reports verbatim (so ours are Cronos' messages),
//! and `Elsa.Cron`, which waits for the next occurrence.
//!
//! What an expression means, as in Cronos:
//! - `*` and `?` match anything; a field is a list of values, ranges (`1-5`) and steps (`*/15`,
//!   `5/10` = from 5 to the end, `1-30/7`). A range whose end is below its start wraps around
//!   the field (`22-2` = 22,23,0,1,2). Months and weekdays also take names (`JAN`, `sun`).
//! - Day of week: 0 and 7 are Sunday; `5L` is the month's last Friday, `5#2` its second.
//! - Day of month: `L` is the last day, `L-3` three days before it; `15W` is the weekday
//!   nearest the 15th and `LW` the one nearest the last day, without leaving the month.
//! - A restricted day of month and a restricted day of week must **both** match (Cronos uses
//!   AND where Vixie cron uses OR): `0 0 0 13 * 5` is Friday the 13th.
//! - Macros: `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`,
//!   `@every_minute`, `@every_second`.
//!
//! Occurrences are whole seconds in UTC: Elsa's scheduler asks Cronos for
//! `GetNextOccurrence(now, TimeZoneInfo.Utc)`, which is exclusive of `now`.

mod parse;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc};

/// A parsed cron expression (see the module documentation for the syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpression {
    /// Bit n set: second n matches (likewise minutes, hours, and months from bit 1).
    seconds: u64,
    minutes: u64,
    hours: u64,
    days: DayOfMonth,
    months: u64,
    weekdays: DayOfWeek,
}

/// The day-of-month field.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfMonth {
    /// Bit d set: day d matches (in the months that have it).
    Days(u64),
    /// `dW`: the weekday nearest day d.
    NearestWeekday(u32),
    /// `L-offset` (`L` is `L-0`); with `nearest_weekday` (`LW`), the weekday nearest it.
    Last { offset: u32, nearest_weekday: bool },
}

/// The day-of-week field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DayOfWeek {
    /// Bit 0 = Sunday … bit 6 = Saturday.
    days: u8,
    /// Which of the month's days with that weekday match.
    which: WhichWeekday,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WhichWeekday {
    All,
    /// `nL`: the last one of the month.
    Last,
    /// `n#k`: the k-th one of the month (1 to 5).
    Nth(u32),
}

/// Cronos searches no further than .NET's `DateTime.MaxValue` year.
const LAST_YEAR: i32 = 9999;

/// The Gregorian calendar repeats, weekdays included, every 400 years (146,097 days: a whole
/// number of weeks). So an expression matching nothing within 400 years of a start never
/// matches, and the search can stop there instead of at [`LAST_YEAR`]: it stays fast for
/// expressions that never or rarely fire (`0 0 0 30 2 *`).
const CALENDAR_CYCLE_YEARS: i32 = 400;

impl CronExpression {
    /// Parses `text` as Cronos does with `CronFormat.IncludeSeconds`; the error is Cronos'
    /// message ("The given cron expression has an invalid format. Minutes: ...").
    pub fn parse(text: &str) -> Result<CronExpression, String> {
        parse::parse(text)
    }

    /// The first occurrence strictly after `after` (a whole second, UTC), or `None` when the
    /// expression never fires again (`0 0 0 30 2 *`) or not before the year 9999 ends.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.naive_utc().with_nanosecond(0)? + TimeDelta::seconds(1);
        let last_year = LAST_YEAR.min(start.year() + CALENDAR_CYCLE_YEARS);
        let (mut year, mut month) = (start.year(), start.month());
        // In the start's month days count from the start's day, and on that day times from
        // the start's time; later months are searched whole.
        let mut from_day = start.day();
        let start_time = (start.hour(), start.minute(), start.second());
        while year <= last_year {
            if has_bit(self.months, month) {
                let first = NaiveDate::from_ymd_opt(year, month, 1)?;
                for day in bits_from(self.days_in(first), from_day) {
                    let is_start_day =
                        (year, month, day) == (start.year(), start.month(), start.day());
                    let earliest = if is_start_day { start_time } else { (0, 0, 0) };
                    if let Some((hour, minute, second)) = self.time_from(earliest) {
                        let date = NaiveDate::from_ymd_opt(year, month, day)?;
                        return Some(date.and_hms_opt(hour, minute, second)?.and_utc());
                    }
                }
            }
            (year, month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            from_day = 1;
        }
        None
    }

    /// The earliest time of day at or after `(hour, minute, second)` the expression allows.
    fn time_from(&self, (hour, minute, second): (u32, u32, u32)) -> Option<(u32, u32, u32)> {
        for h in bits_from(self.hours, hour) {
            let first_minute = if h == hour { minute } else { 0 };
            for m in bits_from(self.minutes, first_minute) {
                let first_second = if (h, m) == (hour, minute) { second } else { 0 };
                if let Some(s) = bits_from(self.seconds, first_second).next() {
                    return Some((h, m, s));
                }
            }
        }
        None
    }

    /// The days of the month starting on `first` on which the expression fires (bit d = day d):
    /// the day-of-month field's days that also satisfy the day-of-week field.
    fn days_in(&self, first: NaiveDate) -> u64 {
        let length = days_in_month(first.year(), first.month());
        let first_weekday = first.weekday().num_days_from_sunday();
        let weekday = |day: u32| (first_weekday + day - 1) % 7;
        // `W`: a Saturday moves to the Friday before and a Sunday to the Monday after, unless
        // that leaves the month (Saturday the 1st becomes Monday the 3rd, a Sunday last day
        // the Friday before).
        let nearest_weekday = |day: u32| match weekday(day) {
            6 if day == 1 => 3,
            6 => day - 1,
            0 if day == length => day - 2,
            0 => day + 1,
            _ => day,
        };
        let candidates = match self.days {
            DayOfMonth::Days(days) => days & ((1 << (length + 1)) - 1),
            DayOfMonth::NearestWeekday(day) if day <= length => 1 << nearest_weekday(day),
            DayOfMonth::Last {
                offset,
                nearest_weekday: shift,
            } if offset < length => {
                let day = length - offset;
                1 << if shift { nearest_weekday(day) } else { day }
            }
            // `31W` in a 30-day month, `L-30` in February: no day this month.
            _ => 0,
        };
        bits_from(candidates, 0)
            .filter(|&day| self.weekdays.matches(day, weekday(day), length))
            .fold(0, |days, day| days | 1 << day)
    }
}

impl DayOfWeek {
    /// Whether `day` of a month of `length` days, a `weekday` (0 = Sunday), matches.
    fn matches(&self, day: u32, weekday: u32, length: u32) -> bool {
        let which = match self.which {
            WhichWeekday::All => true,
            WhichWeekday::Last => day + 7 > length,
            WhichWeekday::Nth(n) => (day - 1) / 7 + 1 == n,
        };
        which && self.days & (1 << weekday) != 0
    }
}

fn has_bit(bits: u64, n: u32) -> bool {
    bits >> n & 1 == 1
}

/// The set bits of `bits` from bit `from` on, ascending.
fn bits_from(bits: u64, from: u32) -> impl Iterator<Item = u32> {
    let mut rest = if from < 64 {
        bits & u64::MAX << from
    } else {
        0
    };
    std::iter::from_fn(move || {
        let bit = (rest != 0).then(|| rest.trailing_zeros())?;
        rest &= rest - 1;
        Some(bit)
    })
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
