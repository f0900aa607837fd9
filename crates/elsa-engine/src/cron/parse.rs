//! The grammar of Cronos' six-field format, and its error messages word for word, since Elsa
//! reports them to users ("Error when parsing cron expression: <message>").

use super::{CronExpression, DayOfMonth, DayOfWeek, WhichWeekday};

/// Cronos' prefix of every format error.
const BASE_MESSAGE: &str = "The given cron expression has an invalid format.";

/// One field of the expression: its name in messages, its range and its names (index = value).
struct Field {
    name: &'static str,
    first: u32,
    last: u32,
    /// Where a range running past it wraps to `first`: `last`, but Saturday for days of week
    /// (their 7 is Sunday again).
    wraps_after: u32,
    names: &'static [&'static str],
}

const SECONDS: Field = Field::numeric("Seconds", 0, 59);
const MINUTES: Field = Field::numeric("Minutes", 0, 59);
const HOURS: Field = Field::numeric("Hours", 0, 23);
const DAYS_OF_MONTH: Field = Field::numeric("Days of month", 1, 31);
const MONTHS: Field = Field {
    names: &[
        "", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
    ..Field::numeric("Months", 1, 12)
};
const DAYS_OF_WEEK: Field = Field {
    wraps_after: 6,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    ..Field::numeric("Days of week", 0, 7)
};

/// The macros and their six-field meaning.
const MACROS: &[(&str, &str)] = &[
    ("ANNUALLY", "0 0 0 1 1 *"),
    ("YEARLY", "0 0 0 1 1 *"),
    ("MONTHLY", "0 0 0 1 * *"),
    ("WEEKLY", "0 0 0 * * 0"),
    ("DAILY", "0 0 0 * * *"),
    ("MIDNIGHT", "0 0 0 * * *"),
    ("HOURLY", "0 0 * * * *"),
    ("EVERY_MINUTE", "0 * * * * *"),
    ("EVERY_SECOND", "* * * * * *"),
];

impl Field {
    const fn numeric(name: &'static str, first: u32, last: u32) -> Self {
        Self {
            name,
            first,
            last,
            wraps_after: last,
            names: &[],
        }
    }
}

type Parsed<T> = Result<T, String>;

/// Parses `text`; the error is Cronos' message for the first problem found.
pub(super) fn parse(text: &str) -> Parsed<CronExpression> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        at: 0,
    };
    parser.skip_blanks();
    if parser.accept('@') {
        parser.macro_name()
    } else {
        parser.fields()
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

fn field_error(field: &Field, message: String) -> String {
    format!("{BASE_MESSAGE} {}: {message}", field.name)
}

impl Parser {
    fn fields(&mut self) -> Parsed<CronExpression> {
        let seconds = self.field(&SECONDS)?;
        self.blank_after(&SECONDS)?;
        let minutes = self.field(&MINUTES)?;
        self.blank_after(&MINUTES)?;
        let hours = self.field(&HOURS)?;
        self.blank_after(&HOURS)?;
        let days = self.day_of_month()?;
        self.blank_after(&DAYS_OF_MONTH)?;
        let months = self.field(&MONTHS)?;
        self.blank_after(&MONTHS)?;
        let weekdays = self.day_of_week()?;
        self.end()?;
        Ok(CronExpression {
            seconds,
            minutes,
            hours,
            days,
            months,
            weekdays,
        })
    }

    fn current(&self) -> char {
        self.chars.get(self.at).copied().unwrap_or('\0')
    }

    fn accept(&mut self, c: char) -> bool {
        let found = self.chars.get(self.at) == Some(&c);
        if found {
            self.at += 1;
        }
        found
    }

    fn accept_letter(&mut self, c: char) -> bool {
        let found = self
            .chars
            .get(self.at)
            .is_some_and(|x| x.to_ascii_uppercase() == c);
        if found {
            self.at += 1;
        }
        found
    }

    fn skip_blanks(&mut self) {
        while matches!(self.chars.get(self.at), Some(' ' | '\t')) {
            self.at += 1;
        }
    }

    fn blank_after(&mut self, field: &Field) -> Parsed<()> {
        if !matches!(self.chars.get(self.at), Some(' ' | '\t')) {
            let c = self.current();
            return Err(field_error(field, format!("Unexpected character '{c}'.")));
        }
        self.skip_blanks();
        Ok(())
    }

    fn end(&mut self) -> Parsed<()> {
        if self.at < self.chars.len() && !matches!(self.chars[self.at], ' ' | '\t') {
            let c = self.current();
            return Err(field_error(
                &DAYS_OF_WEEK,
                format!("Unexpected character '{c}'."),
            ));
        }
        self.skip_blanks();
        if self.at < self.chars.len() {
            let c = self.current();
            return Err(format!("{BASE_MESSAGE} Unexpected character '{c}'."));
        }
        Ok(())
    }

    /// `@daily` and friends (case-insensitive), then only blanks. Cronos reads a macro letter
    /// by letter and reports the first character that fits no macro: the one after the
    /// longest prefix the text shares with a macro name.
    fn macro_name(&mut self) -> Parsed<CronExpression> {
        let rest = &self.chars[self.at..];
        let shared = |name: &str| {
            rest.iter()
                .zip(name.chars())
                .take_while(|(c, n)| c.to_ascii_uppercase() == *n)
                .count()
        };
        match MACROS.iter().find(|(name, _)| shared(name) == name.len()) {
            Some((name, meaning)) => {
                self.at += name.len();
                self.skip_blanks();
                if self.at == self.chars.len() {
                    return parse(meaning);
                }
            }
            None => {
                self.at += MACROS
                    .iter()
                    .map(|(name, _)| shared(name))
                    .max()
                    .unwrap_or(0)
            }
        }
        let (c, at) = (self.current(), self.at);
        Err(format!(
            "{BASE_MESSAGE} Macro: Unexpected character '{c}' on position {at}."
        ))
    }

    fn field(&mut self, field: &Field) -> Parsed<u64> {
        if self.accept('*') || self.accept('?') {
            return self.star(field);
        }
        let first = self.value(field)?;
        self.list(field, first)
    }

    fn day_of_month(&mut self) -> Parsed<DayOfMonth> {
        let field = &DAYS_OF_MONTH;
        if self.accept('*') || self.accept('?') {
            return Ok(DayOfMonth::Days(self.star(field)?));
        }
        if self.accept_letter('L') {
            let offset = if self.accept('-') {
                self.number(field, 0, field.last - 1)?
            } else {
                0
            };
            let nearest_weekday = self.accept_letter('W');
            return Ok(DayOfMonth::Last {
                offset,
                nearest_weekday,
            });
        }
        let day = self.value(field)?;
        if self.accept_letter('W') {
            return Ok(DayOfMonth::NearestWeekday(day));
        }
        Ok(DayOfMonth::Days(self.list(field, day)?))
    }

    fn day_of_week(&mut self) -> Parsed<DayOfWeek> {
        let field = &DAYS_OF_WEEK;
        // 7 is Sunday as 0 is: fold bit 7 onto bit 0.
        let weekdays = |bits: u64, which| DayOfWeek {
            days: ((bits | bits >> 7) & 0x7f) as u8,
            which,
        };
        if self.accept('*') || self.accept('?') {
            return Ok(weekdays(self.star(field)?, WhichWeekday::All));
        }
        let day = self.value(field)?;
        if self.accept_letter('L') {
            return Ok(weekdays(1 << day, WhichWeekday::Last));
        }
        if self.accept('#') {
            let nth = self.number(field, 1, 5)?;
            return Ok(weekdays(1 << day, WhichWeekday::Nth(nth)));
        }
        Ok(weekdays(self.list(field, day)?, WhichWeekday::All))
    }

    /// After `*`: every value, or every step-th with `/step`.
    fn star(&mut self, field: &Field) -> Parsed<u64> {
        let step = if self.accept('/') {
            self.number(field, 1, field.last)?
        } else {
            1
        };
        Ok(stepped(field.first, field.last, step))
    }

    /// The rest of a list whose first value is `first`: `[-high][/step]`, then
    /// `,value[-high][/step]` repeated.
    fn list(&mut self, field: &Field, first: u32) -> Parsed<u64> {
        let mut bits = self.range(field, first)?;
        while self.accept(',') {
            let low = self.value(field)?;
            bits |= self.range(field, low)?;
        }
        Ok(bits)
    }

    /// After a value `low`: `-high[/step]`, `/step` (up to the field's end), or nothing.
    fn range(&mut self, field: &Field, low: u32) -> Parsed<u64> {
        let high = if self.accept('-') {
            Some(self.value(field)?)
        } else {
            None
        };
        if self.accept('/') {
            let step = self.number(field, 1, field.last)?;
            return Ok(wrapping_range(field, low, high.unwrap_or(field.last), step));
        }
        Ok(high.map_or(1 << low, |high| wrapping_range(field, low, high, 1)))
    }

    /// A value of the field: a number in its range or one of its names.
    fn value(&mut self, field: &Field) -> Parsed<u32> {
        match self.read_number(field.names) {
            Some(n) if (field.first..=field.last).contains(&n) => Ok(n),
            _ => Err(field_error(
                field,
                format!(
                    "Value must be a number between {} and {} (all inclusive).",
                    field.first, field.last
                ),
            )),
        }
    }

    /// A plain number (steps, offsets, `#n`) in `low..=high`.
    fn number(&mut self, field: &Field, low: u32, high: u32) -> Parsed<u32> {
        match self.read_number(&[]) {
            Some(n) if (low..=high).contains(&n) => Ok(n),
            _ => Err(field_error(
                field,
                format!("Value must be a number between {low} and {high} (all inclusive)."),
            )),
        }
    }

    /// One or two digits (a third makes it invalid), else a three-letter name.
    fn read_number(&mut self, names: &[&str]) -> Option<u32> {
        let digit = |p: &Self| p.chars.get(p.at).and_then(|c| c.to_digit(10));
        if let Some(d) = digit(self) {
            self.at += 1;
            let Some(d2) = digit(self) else {
                return Some(d);
            };
            self.at += 1;
            return digit(self).is_none().then_some(d * 10 + d2);
        }
        if names.is_empty() {
            return None;
        }
        let mut name = String::new();
        for _ in 0..3 {
            let c = self
                .chars
                .get(self.at)
                .filter(|c| c.is_ascii_alphabetic())?;
            name.push(c.to_ascii_uppercase());
            self.at += 1;
        }
        names
            .iter()
            .position(|candidate| *candidate == name)
            .and_then(|i| u32::try_from(i).ok())
    }
}

/// `low`, `low + step`, ... up to `high`.
fn stepped(low: u32, high: u32, step: u32) -> u64 {
    (low..=high)
        .step_by(step as usize)
        .fold(0, |bits, n| bits | 1 << n)
}

/// `low-high/step`; when `high < low` the range wraps past the field's end and the steps
/// carry on from its start (`22-3/2` hours: 22, 0, 2). Cronos computes where the steps resume
/// with C#'s truncating `%`, as Rust's is; it matters for days of week starting at 7, the
/// Sunday past the wrap (`7-1` is Sunday and Monday, `7-1/2` nothing).
fn wrapping_range(field: &Field, low: u32, high: u32, step: u32) -> u64 {
    if low <= high {
        return stepped(low, high, step);
    }
    let top = field.wraps_after;
    let (first, step_i, gap) = (
        i64::from(field.first),
        i64::from(step),
        i64::from(top) - i64::from(low),
    );
    // Always at least `first`: the remainder lies strictly between -step and step.
    let resume = u32::try_from(first + step_i - gap % step_i - 1).unwrap_or(field.first);
    stepped(low, top, step) | stepped(resume, high, step)
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn check(expression: &str) -> Result<(), String> {
        parse(expression).map(|_| ())
    }

    #[test]
    fn accepts_six_field_expressions() {
        for good in [
            "0 0 * * * *",
            "*/15 * * * * *",
            "0 0 9 * * MON-FRI",
            "0 30 1 L * ?",
            "0 0 12 15W JAN,JUL *",
            "0 0 8 ? * 5#2",
            "0 0 8 L-3 * 5L",
            "  0 0 * * * *  ",
            "\t*\t*\t* * * *",
            "@daily",
            "@every_second",
            "  @EVERY_minute ",
        ] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn reports_cronos_messages() {
        let cases = [
            (
                "BadCronExpression",
                "Seconds: Value must be a number between 0 and 59 (all inclusive).",
            ),
            ("0 0 * * *", "Months: Unexpected character '\0'."),
            (
                "0 60 * * * *",
                "Minutes: Value must be a number between 0 and 59 (all inclusive).",
            ),
            (
                "0 0 24 * * *",
                "Hours: Value must be a number between 0 and 23 (all inclusive).",
            ),
            (
                "0 0 0 0 * *",
                "Days of month: Value must be a number between 1 and 31 (all inclusive).",
            ),
            (
                "0 0 0 * FOO *",
                "Months: Value must be a number between 1 and 12 (all inclusive).",
            ),
            (
                "0 */0 * * * *",
                "Minutes: Value must be a number between 1 and 59 (all inclusive).",
            ),
            (
                "0 0 0 * * 1#6",
                "Days of week: Value must be a number between 1 and 5 (all inclusive).",
            ),
            ("0 0 0 * * *x", "Days of week: Unexpected character 'x'."),
            ("0 0 0 * * * 2026", "Unexpected character '2'."),
            (
                "100 * * * * *",
                "Seconds: Value must be a number between 0 and 59 (all inclusive).",
            ),
            (
                "0 0 0 L-31 * *",
                "Days of month: Value must be a number between 0 and 30 (all inclusive).",
            ),
            (
                "0 0 0 15W,20 * *",
                "Days of month: Unexpected character ','.",
            ),
            (
                "L * * * * *",
                "Seconds: Value must be a number between 0 and 59 (all inclusive).",
            ),
            ("@often", "Macro: Unexpected character 'o' on position 1."),
            ("@daily x", "Macro: Unexpected character 'x' on position 7."),
            ("@dai", "Macro: Unexpected character '\0' on position 4."),
            ("@monthlx", "Macro: Unexpected character 'x' on position 7."),
            ("@every_x", "Macro: Unexpected character 'x' on position 7."),
            (
                "@every_seconds",
                "Macro: Unexpected character 's' on position 13.",
            ),
        ];
        for (expression, message) in cases {
            assert_eq!(
                check(expression),
                Err(format!(
                    "The given cron expression has an invalid format. {message}"
                )),
                "{expression}"
            );
        }
    }
}
