//! Shell words for the commands the runner prints (reproductions, re-runs):
//! a value quoted so that bash reads it back as one word, byte for byte.

use std::fmt::Write as _;

/// Quotes bytes as one bash word: `'...'` when printable, `$'...'` otherwise.
pub(crate) fn quote(bytes: &[u8]) -> String {
    if bytes
        .iter()
        .all(|b| (0x20..0x7f).contains(b) && *b != b'\'')
    {
        return format!("'{}'", String::from_utf8_lossy(bytes));
    }
    let mut out = String::from("$'");
    for &b in bytes {
        match b {
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('\'');
    out
}

/// A word for a re-run command line: bare when it is plain, quoted otherwise.
pub(crate) fn word(text: &str) -> String {
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@%+".contains(&b))
    {
        text.to_owned()
    } else {
        quote(text.as_bytes())
    }
}
