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
