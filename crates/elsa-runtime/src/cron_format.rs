//! Cron syntax as Elsa checks it on publish: the .NET Cronos parser in its six-field format
//! (seconds first), with Cronos' error messages, since Elsa reports them verbatim
//! ("Error when parsing cron expression: <message>"). Only the syntax is checked; when a
//! workflow runs, the engine's `Elsa.Cron` computes occurrences with croner.

/// Cronos' prefix of every format error.
const BASE_MESSAGE: &str = "The given cron expression has an invalid format.";

/// One field of the expression: its name in messages, its range and its names (index = value).
struct Field {
    name: &'static str,
    first: u32,
    last: u32,
    names: &'static [&'static str],
}

const SECONDS: Field = Field::numeric("Seconds", 0, 59);
const MINUTES: Field = Field::numeric("Minutes", 0, 59);
const HOURS: Field = Field::numeric("Hours", 0, 23);
const DAYS_OF_MONTH: Field = Field::numeric("Days of month", 1, 31);
const MONTHS: Field = Field {
    name: "Months",
    first: 1,
    last: 12,
    names: &[
        "", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
};
const DAYS_OF_WEEK: Field = Field {
    name: "Days of week",
    first: 0,
    last: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};

const MACROS: &[&str] = &[
    "ANNUALLY",
    "YEARLY",
    "MONTHLY",
    "WEEKLY",
    "DAILY",
    "MIDNIGHT",
    "HOURLY",
    "EVERY_MINUTE",
    "EVERY_SECOND",
];

impl Field {
    const fn numeric(name: &'static str, first: u32, last: u32) -> Self {
        Self {
            name,
            first,
            last,
            names: &[],
        }
    }
}

/// Checks `expression`; the error is Cronos' message for the first problem found.
pub(crate) fn check(expression: &str) -> Result<(), String> {
    let mut parser = Parser {
        chars: expression.chars().collect(),
        at: 0,
    };
    parser.expression()
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

type Checked = Result<(), String>;

fn field_error(field: &Field, message: String) -> String {
    format!("{BASE_MESSAGE} {}: {message}", field.name)
}

impl Parser {
    fn expression(&mut self) -> Checked {
        self.skip_blanks();
        if self.accept('@') {
            return self.macro_name();
        }
        self.field(&SECONDS)?;
        self.blank_after(&SECONDS)?;
        self.field(&MINUTES)?;
        self.blank_after(&MINUTES)?;
        self.field(&HOURS)?;
        self.blank_after(&HOURS)?;
        self.day_of_month()?;
        self.blank_after(&DAYS_OF_MONTH)?;
        self.field(&MONTHS)?;
        self.blank_after(&MONTHS)?;
        self.day_of_week()?;
        self.end()
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

    fn blank_after(&mut self, field: &Field) -> Checked {
        if !matches!(self.chars.get(self.at), Some(' ' | '\t')) {
            let c = self.current();
            return Err(field_error(field, format!("Unexpected character '{c}'.")));
        }
        self.skip_blanks();
        Ok(())
    }

    fn end(&mut self) -> Checked {
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

    /// `@daily` and friends (case-insensitive), then only blanks. Where no macro matches,
    /// Cronos stops somewhere inside the word; this reports the character after `@`.
    fn macro_name(&mut self) -> Checked {
        let rest: String = self.chars[self.at..]
            .iter()
            .map(char::to_ascii_uppercase)
            .collect();
        let known = MACROS.iter().find(|name| rest.starts_with(*name));
        if let Some(name) = known {
            self.at += name.len();
            self.skip_blanks();
        }
        if known.is_none() || self.at < self.chars.len() {
            let (c, at) = (self.current(), self.at);
            return Err(format!(
                "{BASE_MESSAGE} Macro: Unexpected character '{c}' on position {at}."
            ));
        }
        Ok(())
    }

    fn field(&mut self, field: &Field) -> Checked {
        if self.accept('*') || self.accept('?') {
            return self.star(field);
        }
        self.value(field)?;
        self.range(field)?;
        self.list(field)
    }

    fn day_of_month(&mut self) -> Checked {
        let field = &DAYS_OF_MONTH;
        if self.accept('*') || self.accept('?') {
            return self.star(field);
        }
        if self.accept_letter('L') {
            if self.accept('-') {
                self.number(field, 0, field.last - 1)?;
            }
            self.accept_letter('W');
            return Ok(());
        }
        self.value(field)?;
        if self.accept_letter('W') {
            return Ok(());
        }
        self.range(field)?;
        self.list(field)
    }

    fn day_of_week(&mut self) -> Checked {
        let field = &DAYS_OF_WEEK;
        if self.accept('*') || self.accept('?') {
            return self.star(field);
        }
        self.value(field)?;
        if self.accept_letter('L') {
            return Ok(());
        }
        if self.accept('#') {
            return self.number(field, 1, 5);
        }
        self.range(field)?;
        self.list(field)
    }

    fn star(&mut self, field: &Field) -> Checked {
        if self.accept('/') {
            self.number(field, 1, field.last)?;
        }
        Ok(())
    }

    /// `,value[-value][/step]` repeated.
    fn list(&mut self, field: &Field) -> Checked {
        while self.accept(',') {
            self.value(field)?;
            self.range(field)?;
        }
        Ok(())
    }

    /// After a value: `-high[/step]`, `/step`, or nothing.
    fn range(&mut self, field: &Field) -> Checked {
        if self.accept('-') {
            self.value(field)?;
        }
        if self.accept('/') {
            self.number(field, 1, field.last)?;
        }
        Ok(())
    }

    /// A value of the field: a number in its range or one of its names.
    fn value(&mut self, field: &Field) -> Checked {
        match self.read_number(field.names) {
            Some(n) if (field.first..=field.last).contains(&n) => Ok(()),
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
    fn number(&mut self, field: &Field, low: u32, high: u32) -> Checked {
        match self.read_number(&[]) {
            Some(n) if (low..=high).contains(&n) => Ok(()),
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

#[cfg(test)]
mod tests {
    use super::check;

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
            "@daily",
            "@every_second",
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
            ("@often", "Macro: Unexpected character 'o' on position 1."),
            ("@daily x", "Macro: Unexpected character 'x' on position 7."),
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
