//! RFC 3339 parsing and formatting shared by the invariants and the generator.
//!
//! The mock and the runner parse and write timestamps on every generated
//! body, so the two forms the contracts use (`2024-12-19T15:00:00Z` and,
//! Auth.js's, `2024-12-19T15:00:00.000Z`) are read and written by hand;
//! anything else (offsets, other precisions, leap seconds, years outside
//! 0000-9999) goes through the `time` crate, and a test holds the two paths
//! to the same answers.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

pub(crate) fn parse(text: &str) -> Option<OffsetDateTime> {
    let b = text.as_bytes();
    // Every RFC 3339 date-time starts `YYYY-MM-` and has at least 20 bytes:
    // the many strings of a body that are not timestamps stop here.
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    fast_parse(b).or_else(|| OffsetDateTime::parse(text, &Rfc3339).ok())
}

/// `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.mmmZ`; `None` for anything
/// else, which the caller hands to the `time` crate.
fn fast_parse(b: &[u8]) -> Option<OffsetDateTime> {
    let millis = match b.len() {
        20 => None,
        24 if b[19] == b'.' => Some(digits(&b[20..23])?),
        _ => return None,
    };
    if !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
        || !matches!(b[b.len() - 1], b'Z' | b'z')
    {
        return None;
    }
    let second = digits(&b[17..19])?;
    if second > 59 {
        return None; // a leap second: the `time` crate's rules apply
    }
    let date = Date::from_calendar_date(
        i32::try_from(digits(&b[0..4])?).ok()?,
        Month::try_from(u8::try_from(digits(&b[5..7])?).ok()?).ok()?,
        u8::try_from(digits(&b[8..10])?).ok()?,
    )
    .ok()?;
    let time = Time::from_hms_milli(
        u8::try_from(digits(&b[11..13])?).ok()?,
        u8::try_from(digits(&b[14..16])?).ok()?,
        u8::try_from(second).ok()?,
        u16::try_from(millis.unwrap_or(0)).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// Whole seconds, UTC, `Z` suffix: the form the documents' examples use.
pub(crate) fn format(at: OffsetDateTime) -> String {
    let at = at
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    let mut text = String::with_capacity(24);
    if write_utc(&mut text, at) {
        return text;
    }
    at.format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// Milliseconds, UTC, `Z` suffix: the form Auth.js writes (`toISOString()`).
fn format_millis(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let mut text = String::with_capacity(24);
    if write_utc(&mut text, at) {
        text.pop();
        text.push('.');
        push_digits(&mut text, u32::from(at.millisecond()), 3);
        text.push('Z');
        return text;
    }
    let whole = format(at);
    format!("{}.{:03}Z", whole.trim_end_matches('Z'), at.millisecond())
}

/// Writes `YYYY-MM-DDTHH:MM:SSZ` (UTC `at`, seconds only); `false` for a
/// year that does not fit four digits.
fn write_utc(text: &mut String, at: OffsetDateTime) -> bool {
    let Ok(year) = u32::try_from(at.year()) else {
        return false;
    };
    if year > 9999 {
        return false;
    }
    push_digits(text, year, 4);
    text.push('-');
    push_digits(text, u32::from(u8::from(at.month())), 2);
    text.push('-');
    push_digits(text, u32::from(at.day()), 2);
    text.push('T');
    push_digits(text, u32::from(at.hour()), 2);
    text.push(':');
    push_digits(text, u32::from(at.minute()), 2);
    text.push(':');
    push_digits(text, u32::from(at.second()), 2);
    text.push('Z');
    true
}

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
                .filter(|moved| (0..=9999).contains(&moved.to_offset(UtcOffset::UTC).year()))
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
