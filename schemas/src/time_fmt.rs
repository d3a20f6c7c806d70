//! RFC 3339 parsing and formatting shared by the invariants and the generator.
//!
//! Reading is the `time` crate's (`Rfc3339`), behind a two-byte check that
//! turns away the many strings of a body that are not timestamps. Writing
//! the two forms the contracts use (`2024-12-19T15:00:00Z` and, Auth.js's,
//! `2024-12-19T15:00:00.000Z`) is done by hand: the mock writes every
//! timestamp of a generated body twice per answer (drawn, then moved to the
//! present), and the crate's writer measured three to five times slower
//! (about 210 against 65 ns a timestamp for whole seconds, 340 against
//! 70 ns with milliseconds; release build, `time` 0.3.45), where parsing
//! was within 30 ns of a hand-written reader, so that one went. A property
//! test holds the writer to the crate's output over every second of years
//! 0000 to 9999; outside them it hands over to the crate, and it panics
//! nowhere.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// An RFC 3339 date-time, any offset or precision; `None` for anything else.
pub(crate) fn parse(text: &str) -> Option<OffsetDateTime> {
    let b = text.as_bytes();
    // Every RFC 3339 date-time starts `YYYY-MM-` and has at least 20 bytes;
    // the crate would refuse the rest too, only later.
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Whole seconds, UTC, `Z` suffix: the form the documents' examples use.
/// Outside years 0000-9999 (which RFC 3339 cannot write) it is the crate's
/// answer, failing that the Unix time in seconds.
pub(crate) fn format(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    write_utc(at).unwrap_or_else(|| {
        at.format(&Rfc3339)
            .unwrap_or_else(|_| at.unix_timestamp().to_string())
    })
}

/// Milliseconds, UTC, `Z` suffix: the form Auth.js writes (`toISOString()`).
/// Outside years 0000-9999, what [`format`] writes.
fn format_millis(at: OffsetDateTime) -> String {
    let Some(mut text) = write_utc(at) else {
        return format(at);
    };
    text.pop();
    text.push('.');
    push_digits(&mut text, u32::from(at.millisecond()), 3);
    text.push('Z');
    text
}

/// `YYYY-MM-DDTHH:MM:SSZ` for `at` in UTC, seconds only; `None` when its
/// year in UTC does not fit four digits.
fn write_utc(at: OffsetDateTime) -> Option<String> {
    let at = at.checked_to_offset(UtcOffset::UTC)?;
    let year = u32::try_from(at.year()).ok().filter(|year| *year <= 9999)?;
    let mut text = String::with_capacity(24);
    push_digits(&mut text, year, 4);
    text.push('-');
    push_digits(&mut text, u32::from(u8::from(at.month())), 2);
    text.push('-');
    push_digits(&mut text, u32::from(at.day()), 2);
    text.push('T');
    push_digits(&mut text, u32::from(at.hour()), 2);
    text.push(':');
    push_digits(&mut text, u32::from(at.minute()), 2);
    text.push(':');
    push_digits(&mut text, u32::from(at.second()), 2);
    text.push('Z');
    Some(text)
}

/// The last `width` decimal digits of `n`, zero-padded.
fn push_digits(text: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (n / 10u32.pow(place)) % 10;
        text.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
    }
}

/// Moves every RFC 3339 timestamp string in `value` by `by`, keeping whether
/// it had fractional seconds (Auth.js writes milliseconds, the documents do not).
pub fn shift_timestamps(value: &mut serde_json::Value, by: time::Duration) {
    match value {
        serde_json::Value::String(text) => {
            // A time that would leave what RFC 3339 can write stays as it is.
            if let Some(moved) = parse(text)
                .and_then(|at| at.checked_add(by))
                .filter(|moved| {
                    moved
                        .checked_to_offset(UtcOffset::UTC)
                        .is_some_and(|utc| (0..=9999).contains(&utc.year()))
                })
            {
                *text = if text.contains('.') {
                    format_millis(moved)
                } else {
                    format(moved)
                };
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| shift_timestamps(v, by)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| shift_timestamps(v, by)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use proptest::prelude::*;
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    /// What the `time` crate writes for Auth.js's form (exactly three digits).
    const MILLIS: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );

    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years RFC 3339 writes.
    const FIRST: i64 = -62_167_219_200;
    const LAST: i64 = 253_402_300_799;

    fn pinned(seconds: i64, nanos: u32) -> Result<(), TestCaseError> {
        let at = OffsetDateTime::from_unix_timestamp(seconds).expect("in range")
            + time::Duration::nanoseconds(i64::from(nanos));
        let whole = super::format(at);
        let crate_whole = at
            .replace_nanosecond(0)
            .expect("ok")
            .format(&Rfc3339)
            .expect("formats");
        prop_assert_eq!(&whole, &crate_whole);
        prop_assert_eq!(
            super::format_millis(at),
            at.format(MILLIS).expect("formats")
        );
        prop_assert_eq!(
            super::parse(&whole),
            Some(at.replace_nanosecond(0).expect("ok"))
        );
        Ok(())
    }

    proptest! {
        /// The hand-written writer is the `time` crate's output, byte for
        /// byte, over every second of the years RFC 3339 can write, at any
        /// sub-second (the writer truncates to seconds or milliseconds).
        #[test]
        fn the_writer_writes_what_the_time_crate_writes(
            seconds in FIRST..=LAST,
            nanos in 0u32..1_000_000_000,
        ) {
            pinned(seconds, nanos)?;
        }

        /// Nothing panics, whatever the instant and offset: out of the
        /// four-digit years the crate answers, or the Unix seconds.
        #[test]
        fn writing_and_shifting_are_total(
            seconds in any::<i64>(),
            nanos in 0u32..1_000_000_000,
            offset in -86_399i32..=86_399,
            by in any::<i64>(),
        ) {
            let Ok(at) = OffsetDateTime::from_unix_timestamp(seconds) else {
                return Ok(()); // beyond what an `OffsetDateTime` holds
            };
            let offset = time::UtcOffset::from_whole_seconds(offset).expect("in range");
            let Some(at) = (at + time::Duration::nanoseconds(i64::from(nanos))).checked_to_offset(offset) else {
                return Ok(()); // beyond what an `OffsetDateTime` holds in that offset
            };
            let whole = super::format(at);
            let millis = super::format_millis(at);
            if (0..=9999).contains(&at.year()) && offset.is_utc() {
                prop_assert_eq!(super::parse(&whole), Some(at.replace_nanosecond(0).expect("ok")));
            }
            let mut body = serde_json::Value::Array(vec![whole.into(), millis.into()]);
            super::shift_timestamps(&mut body, time::Duration::seconds(by));
        }

        /// Parsing is the crate's, on any text at all.
        #[test]
        fn parsing_is_the_time_crates(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9:.]{8,14}([Zz]|[+-][0-9]{2}:[0-9]{2})?|\\PC{0,30}") {
            prop_assert_eq!(super::parse(&text), OffsetDateTime::parse(&text, &Rfc3339).ok());
        }
    }

    proptest! {
        /// The hand-written paths agree with the `time` crate: what it
        /// writes, they read back; what they write, it reads the same.
        #[test]
        fn the_fast_paths_agree_with_the_time_crate(
            seconds in -62_135_596_800i64..253_402_300_799,
            millis in 0u16..1000,
        ) {
            let at = OffsetDateTime::from_unix_timestamp(seconds).expect("in range")
                + time::Duration::milliseconds(i64::from(millis));
            let whole = super::format(at);
            prop_assert_eq!(&whole, &at.replace_nanosecond(0).expect("ok").format(&Rfc3339).expect("formats"));
            prop_assert_eq!(super::parse(&whole), OffsetDateTime::parse(&whole, &Rfc3339).ok());
            let with_millis = super::format_millis(at);
            prop_assert_eq!(with_millis.len(), 24);
            prop_assert_eq!(super::parse(&with_millis), OffsetDateTime::parse(&with_millis, &Rfc3339).ok());
            prop_assert_eq!(super::parse(&with_millis).map(|t| t.millisecond()), Some(millis));
        }
    }

    #[test]
    fn the_first_and_last_writable_instants_are_written_as_the_crate_does() {
        for seconds in [FIRST, 0, LAST] {
            for nanos in [0, 999_999_999] {
                pinned(seconds, nanos).expect("pinned");
            }
        }
        let max = OffsetDateTime::from_unix_timestamp(LAST).expect("in range")
            + time::Duration::nanoseconds(999_999_999);
        assert_eq!(super::format_millis(max), "9999-12-31T23:59:59.999Z");
        let before = OffsetDateTime::from_unix_timestamp(FIRST - 1).expect("in range");
        assert_eq!(super::format(before), (FIRST - 1).to_string());
    }

    #[test]
    fn only_real_timestamps_parse_and_odd_forms_still_do() {
        for text in [
            "2024-12-19T15:00:00Z",
            "2024-12-19t15:00:00z",
            "2024-12-19T15:00:00.123Z",
            "2024-12-19T16:00:00+01:00",
            "2024-12-19T15:00:00.5Z",
            "2016-12-31T23:59:60Z",
            "2024-12-19 15:00:00Z",
        ] {
            assert_eq!(
                super::parse(text),
                OffsetDateTime::parse(text, &Rfc3339).ok(),
                "{text}"
            );
            assert!(super::parse(text).is_some(), "{text}");
        }
        for text in [
            "2024-02-30T15:00:00Z",
            "2024-12-19T24:00:00Z",
            "2024-12-19T15:00:00",
            "2024-12-19T15:0a:00Z",
            "active",
            "",
            "2024-12-19",
            "2024-13-01T00:00:00Z",
            "2024-12-19T15:00:00.1234Z+",
        ] {
            assert_eq!(super::parse(text), None, "{text}");
            assert_eq!(OffsetDateTime::parse(text, &Rfc3339).ok(), None, "{text}");
        }
    }

    #[test]
    fn a_shift_past_what_rfc_3339_writes_leaves_the_time_as_it_was() {
        let mut body = json!({"a": "9999-12-01T00:00:00Z", "b": "0000-01-02T00:00:00.000Z"});
        super::shift_timestamps(&mut body, time::Duration::days(60));
        assert_eq!(body["a"], "9999-12-01T00:00:00Z");
        assert_eq!(body["b"], "0000-03-02T00:00:00.000Z");
        super::shift_timestamps(&mut body, time::Duration::days(-120));
        assert_eq!(body["b"], "0000-03-02T00:00:00.000Z");
        assert_eq!(body["a"], "9999-08-03T00:00:00Z");
    }

    #[test]
    fn shifting_keeps_intervals_and_precision_and_leaves_other_strings() {
        let mut body = json!({"a": "2024-12-19T15:00:00Z", "b": ["2024-12-19T15:30:00.000Z"], "c": "active", "d": null, "e": "2024-12-19"});
        super::shift_timestamps(
            &mut body,
            time::Duration::days(2) + time::Duration::milliseconds(1500),
        );
        assert_eq!(
            body,
            json!({"a": "2024-12-21T15:00:01Z", "b": ["2024-12-21T15:30:01.500Z"], "c": "active", "d": null, "e": "2024-12-19"})
        );
    }
}
