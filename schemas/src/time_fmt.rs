//! RFC 3339 parsing and formatting shared by the invariants and the generator.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub(crate) fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Whole seconds, UTC, `Z` suffix: the form the documents' examples use.
pub(crate) fn format(at: OffsetDateTime) -> String {
    let at = at
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    at.format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// Moves every RFC 3339 timestamp string in `value` by `by`, keeping whether
/// it had fractional seconds (Auth.js writes milliseconds, the documents do not).
pub fn shift_timestamps(value: &mut serde_json::Value, by: time::Duration) {
    match value {
        serde_json::Value::String(text) => {
            if let Some(at) = parse(text) {
                let moved = at + by;
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

fn format_millis(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let whole = format(at);
    format!("{}.{:03}Z", whole.trim_end_matches('Z'), at.millisecond())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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
