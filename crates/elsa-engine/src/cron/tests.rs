//! Occurrence facts, most taken from Cronos' own test suite (`CronExpressionFacts.cs`). Cronos
//! states them inclusively (the first occurrence at or after a time); [`assert_facts`] asks
//! for the first one after the second before.

use super::CronExpression;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use std::time::{Duration, Instant};

/// `2016-12-09 17:47:54`, `2016-12-09 17:47`, `2016-12-09` (midnight) or `17:47[:54]` (on
/// 2016-12-09), UTC.
fn at(text: &str) -> DateTime<Utc> {
    let text = text.trim();
    let text = if text.len() <= 8 {
        format!("2016-12-09 {text}")
    } else {
        text.to_owned()
    };
    let parsed = NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d").map(|d| d.and_time(Default::default()))
        });
    parsed.unwrap_or_else(|e| panic!("{text}: {e}")).and_utc()
}

fn cron(expression: &str) -> CronExpression {
    CronExpression::parse(expression).unwrap_or_else(|e| panic!("{expression}: {e}"))
}

/// Each `(expression, from, expected)`: the first occurrence at or after `from` is `expected`.
fn assert_facts(facts: &[(&str, &str, &str)]) {
    for &(expression, from, expected) in facts {
        let before = at(from) - TimeDelta::seconds(1);
        assert_eq!(
            cron(expression).next_after(before),
            Some(at(expected)),
            "{expression} from {from}"
        );
    }
}

#[test]
fn seconds_minutes_and_hours() {
    assert_facts(&[
        ("* * * * * *", "17:35:00", "17:35:00"),
        ("20 * * * * *", "17:35:40", "17:36:20"),
        ("10-30 * * * * *", "17:35:31", "17:36:10"),
        ("*/20 * * * * *", "17:35:25", "17:35:40"),
        ("*/20 * * * * *", "17:35:59", "17:36:00"),
        ("10/5 * * * * *", "17:35:12", "17:35:15"),
        ("10/5 * * * * *", "17:35:59", "17:36:10"),
        ("5-8,19,20,35-41 * * * * *", "17:35:21", "17:35:35"),
        ("5-8,19,20,35-41 * * * * *", "17:35:42", "17:36:05"),
        ("0 * * * * *", "17:59:59", "18:00:00"),
        ("* 10/5 * * * *", "15:14", "15:15"),
        ("* 5-8,19,20,35-41 * * * *", "15:42", "16:05"),
        ("* * 4/5 * * *", "05:00", "09:00"),
        ("* * 3-5,10,11,13-17 * * *", "12:30", "13:00"),
        ("0 0 * * * *", "2017-01-14 12:59", "2017-01-14 13:00"),
        ("0 0 0 * * *", "2017-12-31 23:59", "2018-01-01 00:00"),
    ]);
}

#[test]
fn ranges_wrap_around_the_end_of_the_field() {
    assert_facts(&[
        ("55-5 * * * * ?", "17:35:42", "17:35:55"),
        ("55-5 * * * * ?", "17:36:05", "17:36:05"),
        ("55-5 * * * * ?", "17:36:06", "17:36:55"),
        // The step carries over the wrap: 57, 0, 3.
        ("57-5/3 * * * * ?", "17:36:58", "17:37:00"),
        ("57-5/3 * * * * ?", "17:37:04", "17:37:57"),
        ("* 56-4/4 * * * *", "18:01", "18:04"),
        ("* * 23-3/2 * * *", "00:30", "01:00"),
        ("* * 23-3/2 * * *", "04:00", "23:00"),
        ("* * * 20-5/5 * *", "2017-05-26", "2017-05-30"),
        ("* * * 20-5/5 * *", "2017-06-01", "2017-06-04"),
        ("* * * * 12-2 *", "2017-03-19", "2017-12-01"),
        ("* * * * 9-8/3 *", "2016-10-19", "2016-12-01"),
        ("* * * ? * sat-tue", "2016-12-14", "2016-12-17"),
        ("* * * ? * sat-tue/2", "2016-12-11", "2016-12-12"),
    ]);
}

#[test]
fn days_of_month_and_months() {
    assert_facts(&[
        ("* * * 09 * *", "2016-11-10", "2016-12-09"),
        ("* * * */4 * *", "2016-12-02", "2016-12-05"),
        ("* * * 16-23 * *", "2016-12-24", "2017-01-16"),
        ("* * * 5-8,19,20,28-29 * *", "2016-12-30", "2017-01-05"),
        ("* * * 5-8,19,20,29-30 * *", "2017-02-27", "2017-03-05"),
        // Months too short for the day are skipped.
        ("0 0 0 31 * *", "2017-04-01", "2017-05-31"),
        ("* * * 30-31 * *", "2016-02-27", "2016-03-30"),
        ("* * * * 11 *", "2016-12-02", "2017-11-01"),
        ("* * * * */4 *", "2016-02-09", "2016-05-01"),
        ("* * * * mar-dec *", "2016-02-09", "2016-03-01"),
        ("* * * * 2-4,JUN,7,SEP-nov *", "2016-12-01", "2017-02-01"),
        ("* * * * APR-NOV *", "2016-12-09", "2017-04-01"),
    ]);
}

#[test]
fn leap_years() {
    assert_facts(&[
        ("0 0 0 29 2 *", "2016-03-10", "2020-02-29"),
        // 2100 is not a leap year, 2000 was (divisible by 400).
        ("0 0 0 29 2 *", "2097-01-01", "2104-02-29"),
        ("0 0 0 29 2 *", "1997-01-01", "2000-02-29"),
        ("* * * L * *", "2016-02-05", "2016-02-29"),
        ("* * * L * *", "2017-02-05", "2017-02-28"),
        ("* * * * * *", "1900-02-28 23:59:59", "1900-02-28 23:59:59"),
        ("0 0 0 * * *", "1900-02-28 00:00:01", "1900-03-01"),
    ]);
}

#[test]
fn days_of_week() {
    // December 2016: Thursday the 1st, Friday the 9th, Sunday the 11th.
    assert_facts(&[
        ("* * * * * 5", "2016-12-07", "2016-12-09"),
        ("* * * * * 05", "2016-12-10", "2016-12-16"),
        ("* * * * * 3,5,7", "2016-12-10", "2016-12-11"),
        ("* * * * * 4-7", "2016-12-11", "2016-12-11"),
        ("* * * * * FRI", "2016-12-08", "2016-12-09"),
        ("* * * * * tue/2", "2016-12-11", "2016-12-13"),
        ("* * * * * */5", "2016-12-10", "2016-12-11"),
        ("* * * * * thu-sat", "2016-12-12", "2016-12-15"),
        ("00 00 00 11 12 0", "2016-12-07", "2016-12-11"),
        ("00 00 00 11 12 7", "2016-12-09", "2016-12-11"),
        ("00 00 00 11 12 sun", "2016-12-09", "2016-12-11"),
    ]);
}

#[test]
fn day_of_month_and_day_of_week_must_both_match() {
    assert_facts(&[
        // Friday the 13th.
        ("00 05 18 13 01 05", "2016-01-01", "2017-01-13 18:05:00"),
        ("00 05 18 13 * 05", "2016-09-01", "2017-01-13 18:05:00"),
        ("00 05 18 13 * 05", "2017-02-01", "2017-10-13 18:05:00"),
        ("54 47 17 09 DEC FRI", "2016-07-05", "2016-12-09 17:47:54"),
        (
            "50-56 40-50 15-20 5-10 11,12 5,6,7",
            "2016-12-09 21:50:56",
            "2016-12-10 15:40:50",
        ),
        (
            "50-56 40-50 15-20 5-10 11,12 5,6,7",
            "2016-12-11 21:50:56",
            "2017-11-05 15:40:50",
        ),
    ]);
}

#[test]
fn last_day_of_month() {
    assert_facts(&[
        ("* * * L * *", "2016-04-05", "2016-04-30"),
        ("* * * L * *", "2016-12-31", "2016-12-31"),
        ("* * * L-1 * *", "2016-01-31", "2016-02-28"),
        ("* * * L-1 * *", "2017-02-01", "2017-02-27"),
        ("* * * L-2 * *", "2016-12-30", "2017-01-29"),
        ("0 0 8 L-3 * *", "2017-02-26", "2017-03-28 08:00"),
        ("* * * L-28 * *", "2017-02-01", "2017-03-03"),
        ("* * * L-30 * *", "2016-04-01", "2016-05-01"),
    ]);
}

#[test]
fn last_and_nth_weekday_of_month() {
    assert_facts(&[
        ("* * * * * 0L", "2017-01-01", "2017-01-29"),
        ("* * * * * 7L", "2016-12-31", "2017-01-29"),
        ("* * * * * FRIL", "2017-01-01", "2017-01-27"),
        ("* * * * * mOnL", "2017-01-01", "2017-01-30"),
        ("* * * * * 0#1", "2017-02-01", "2017-02-05"),
        ("* * * * * 5#3", "2017-01-21", "2017-02-17"),
        ("* * * * * 2#5", "2017-02-01", "2017-05-30"),
        // February 2017 has no fifth Friday, March does; April and May have none.
        ("0 0 12 * * 5#5", "2017-02-01", "2017-03-31 12:00"),
        (
            "0 0 12 * * FRI#5",
            "2017-03-31 12:00:01",
            "2017-06-30 12:00",
        ),
    ]);
}

#[test]
fn nearest_weekday() {
    assert_facts(&[
        // Sunday the 1st: Monday the 2nd.
        ("* * * 1W * *", "2017-01-01", "2017-01-02"),
        // Saturday the 7th: Friday the 6th; once past, next month's 7th (a Tuesday).
        ("* * * 7W * *", "2017-01-02", "2017-01-06"),
        ("* * * 7W * *", "2017-01-07", "2017-02-07"),
        // Saturday the 1st: not back into March but on to Monday the 3rd.
        ("0 30 10 1W * *", "2017-04-01 12:00", "2017-04-03 10:30"),
        ("0 30 10 1W * *", "2017-04-03 12:00", "2017-05-01 10:30"),
        // Sunday the 30th, the last day: not into May but back to Friday the 28th.
        ("* * * 30W * *", "2017-04-27", "2017-04-28"),
        ("0 30 17 30W * *", "2017-04-28 17:45", "2017-05-30 17:30"),
        ("0 30,55 17 30W * *", "2017-04-28 17:45", "2017-04-28 17:55"),
        ("0 30 17 30W * *", "2017-02-06", "2017-03-30 17:30"),
        ("0 30 17 31W * *", "2018-03-30 17:45", "2018-05-31 17:30"),
        // Sunday the 15th: Monday the 16th.
        ("0 30 17 15W * *", "2016-12-30 17:45", "2017-01-16 17:30"),
        ("0 0 12 15W * *", "2017-10-14", "2017-10-16 12:00"),
        ("0 30 17 27w * 1l", "2017-03-10 17:45", "2017-03-27 17:30"),
        ("0 30 17 27W * 1#4", "2017-03-10 17:45", "2017-03-27 17:30"),
    ]);
}

#[test]
fn last_weekday_of_month() {
    assert_facts(&[
        ("* * * LW * *", "2017-01-01", "2017-01-31"),
        // Saturday the 30th: Friday the 29th.
        ("* * * LW * *", "2017-09-01", "2017-09-29"),
        ("* * * LW * *", "2017-09-30", "2017-10-31"),
        // Sunday the 30th, the last day: Friday the 28th.
        ("* * * lw * *", "2017-04-01", "2017-04-28"),
        ("0 30 17 LW * *", "2017-09-29 17:45", "2017-10-31 17:30"),
        ("* * * L-1W * *", "2017-01-01", "2017-01-30"),
        ("* * * L-3W * *", "2017-01-01", "2017-01-27"),
        ("* * * L-1W * *", "2016-02-01", "2016-02-29"),
        ("* * * L-2W * *", "2016-02-01", "2016-02-26"),
    ]);
}

#[test]
fn question_marks_and_complex_lists() {
    assert_facts(&[
        ("? ? ? ? ? ?", "2016-12-09 16:46", "2016-12-09 16:46"),
        ("* * * ? 11 *", "2016-10-09", "2016-11-01"),
        (
            "0 57,20/20,30/20,32-34/2,58 * * * *",
            "2017-04-17 17:21",
            "2017-04-17 17:30",
        ),
        (
            "0 57,20/20,30/20,32-34/2,58 * * * *",
            "2017-04-17 17:35",
            "2017-04-17 17:40",
        ),
        (
            "0 57,20/20,30/20,32-34/2,58 * * * *",
            "2017-04-17 17:59",
            "2017-04-17 18:20",
        ),
    ]);
}

#[test]
fn macros() {
    assert_facts(&[
        (
            "@every_second",
            "2017-03-23 16:46:05",
            "2017-03-23 16:46:05",
        ),
        ("@every_minute", "2017-03-23 16:46:05", "2017-03-23 16:47"),
        ("@hourly", "2017-03-23 16:46", "2017-03-23 17:00"),
        ("@daily", "2017-03-23 16:46", "2017-03-24 00:00"),
        ("@MIDNIGHT", "2017-03-23 16:46", "2017-03-24 00:00"),
        ("@weekly", "2017-03-23 16:46", "2017-03-26 00:00"),
        ("@monthly", "2017-03-23 16:46", "2017-04-01 00:00"),
        ("@yearly", "2017-03-23 16:46", "2018-01-01 00:00"),
        ("@Annually", "2017-03-23 16:46", "2018-01-01 00:00"),
    ]);
}

#[test]
fn the_next_occurrence_is_strictly_after_and_on_a_whole_second() {
    let every_second = cron("* * * * * *");
    let noon = at("2017-07-20 12:00:00");
    assert_eq!(
        every_second.next_after(noon),
        Some(at("2017-07-20 12:00:01"))
    );
    for fraction in [TimeDelta::nanoseconds(100), TimeDelta::milliseconds(999)] {
        let before_noon = noon - TimeDelta::seconds(1) + fraction;
        assert_eq!(every_second.next_after(before_noon), Some(noon));
    }
    assert_eq!(
        cron("5 5 5 5 5 5").next_after(at("2017-05-05 05:05:05")),
        Some(at("2023-05-05 05:05:05"))
    );
}

#[test]
fn the_search_ends_with_the_year_9999() {
    let every_second = cron("* * * * * *");
    let last = at("9999-12-31 23:59:59");
    assert_eq!(every_second.next_after(last), None);
    assert_eq!(
        every_second.next_after(last - TimeDelta::nanoseconds(100)),
        Some(last)
    );
}

#[test]
fn expressions_that_never_fire_have_no_next_occurrence() {
    let from = at("1970-01-01");
    for never in [
        "0 0 0 30 2 *",
        "* * * 31 4,6,9,11 *",
        "* * * L-30 11 *",
        "* * * L-29 2 *",
        "* * * 1 * SUN#2",
        "* * * 1-28 * SUN#5",
        "* * * 21 * 0L",
        "* * * 1W * SUN",
        "* * * LW * SAT",
        "* * * 14W * 6#2",
        "* * * * * 7-1/2",
    ] {
        assert_eq!(cron(never).next_after(from), None, "{never}");
    }
}

#[test]
fn sparse_expressions_are_found_quickly() {
    // Feb 29 on a Monday: once in 28 years, or a 400-year search finding nothing.
    let sparse = [
        ("0 0 0 29 2 *", Some(at("2024-02-29"))),
        ("0 0 0 29 2 MON", Some(at("2044-02-29"))),
        ("0 0 0 30 2 *", None),
        ("59 59 23 31 2,4,6,9,11 *", None),
    ];
    let from = at("2021-03-01");
    let started = Instant::now();
    for _ in 0..100 {
        for (expression, expected) in &sparse {
            assert_eq!(cron(expression).next_after(from), *expected, "{expression}");
        }
    }
    // Microseconds each in a release build; the bound allows for unoptimised test builds on
    // a busy machine.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
