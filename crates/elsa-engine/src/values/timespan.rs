//! .NET `TimeSpan` text: `TimeSpan.Parse` input (`[-][d.]h:m[:s[.f]]` or a day count) to the
//! invariant `c` format (`[-][d.]hh:mm:ss[.fffffff]`) that Elsa's JSON holds.

/// Parses `text` as .NET does and writes it in `c` format.
pub(super) fn normalize(text: &str) -> Result<String, String> {
    let invalid = || format!("'{text}' is not a time span (expected [d.]hh:mm:ss)");
    let trimmed = text.trim();
    let (negative, rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let number = |part: &str, max: u64| -> Result<u64, String> {
        let valid =
            !part.is_empty() && part.len() <= 10 && part.bytes().all(|b| b.is_ascii_digit());
        part.parse::<u64>()
            .ok()
            .filter(|n| valid && *n <= max)
            .ok_or_else(invalid)
    };
    let fields: Vec<&str> = rest.split(':').collect();
    let (days, hours, minutes, seconds) = match fields.as_slice() {
        [days] => (number(days, 10_675_199)?, "0", "0", "0"),
        [first, minutes] => {
            let (days, hours) = split_days(first, &number)?;
            (days, hours, *minutes, "0")
        }
        [first, minutes, seconds] => {
            let (days, hours) = split_days(first, &number)?;
            (days, hours, *minutes, *seconds)
        }
        _ => return Err(invalid()),
    };
    let (seconds, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    if fraction.len() > 7 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let (hours, minutes, seconds) = (
        number(hours, 23)?,
        number(minutes, 59)?,
        number(seconds, 59)?,
    );
    let sign = if negative { "-" } else { "" };
    let days = if days > 0 {
        format!("{days}.")
    } else {
        String::new()
    };
    let fraction = if fraction.trim_end_matches('0').is_empty() {
        String::new()
    } else {
        format!(".{fraction:0<7}")
    };
    Ok(format!(
        "{sign}{days}{hours:02}:{minutes:02}:{seconds:02}{fraction}"
    ))
}

/// `d.hh` or `hh` before the first colon.
fn split_days<'a>(
    first: &'a str,
    number: &dyn Fn(&str, u64) -> Result<u64, String>,
) -> Result<(u64, &'a str), String> {
    match first.split_once('.') {
        Some((days, hours)) => Ok((number(days, 10_675_199)?, hours)),
        None => Ok((0, first)),
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn reads_what_timespan_parse_reads() {
        assert_eq!(normalize("00:00:05").as_deref(), Ok("00:00:05"));
        assert_eq!(normalize("1:2").as_deref(), Ok("01:02:00"));
        assert_eq!(
            normalize("2.03:04:05.5").as_deref(),
            Ok("2.03:04:05.5000000")
        );
        assert_eq!(normalize("3").as_deref(), Ok("3.00:00:00"));
        assert_eq!(normalize("-00:01:00").as_deref(), Ok("-00:01:00"));
        for bad in [
            "",
            "1:60",
            "24:00:00",
            "a:b",
            "1:2:3:4",
            "00:00:01.12345678",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }
}
