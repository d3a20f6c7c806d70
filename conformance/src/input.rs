//! Reading a saved response from a file or standard input, bounded.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::error::CliError;

/// Saved responses larger than this are refused rather than read whole.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// A saved response: a bare body, or what `curl -si` printed (status line
/// and headers, then the body).
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// The final status line's status, when the input had one.
    pub status: Option<u16>,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Saved {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads `path` (`-` for standard input) and parses it as JSON.
pub fn read_json(path: &Path) -> Result<Value, CliError> {
    let (what, bytes) = read_input(path)?;
    parse_json(&bytes, what)
}

/// Reads `path` (`-` for standard input) as a saved response: `curl -si`
/// output, or a bare JSON body.
pub fn read_response(path: &Path) -> Result<Saved, CliError> {
    let (what, bytes) = read_input(path)?;
    let mut rest: &[u8] = &bytes;
    let mut status = None;
    let mut headers = Vec::new();
    // Every head block in turn: `HTTP/1.1 100 Continue`, a proxy's
    // `HTTP/1.1 200 Connection established`, then the real answer.
    while rest.starts_with(b"HTTP/") {
        let end = find_blank_line(rest).ok_or_else(|| CliError::Usage(format!(
            "{what} starts with a status line but its headers never end (no blank line before the body)"
        )))?;
        let head = String::from_utf8_lossy(&rest[..end.0]).into_owned();
        rest = &rest[end.1..];
        let mut lines = head.lines();
        let status_line = lines.next().unwrap_or_default();
        let code = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|c| (100..=599).contains(c))
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "{what}: `{status_line}` is not an HTTP status line"
                ))
            })?;
        status = Some(code);
        headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
    }
    let body = parse_json(rest, what)?;
    Ok(Saved {
        status,
        headers,
        body,
    })
}

/// Where the head ends: `(end of headers, start of body)`.
fn find_blank_line(bytes: &[u8]) -> Option<(usize, usize)> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4));
    let lf = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn read_input(path: &Path) -> Result<(String, Vec<u8>), CliError> {
    let what = if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    let bytes = if path == Path::new("-") {
        read_bounded(std::io::stdin().lock(), &what)?
    } else {
        let file = std::fs::File::open(path).map_err(|source| CliError::Read {
            what: what.clone(),
            source,
        })?;
        read_bounded(file, &what)?
    };
    Ok((what, bytes))
}

fn parse_json(bytes: &[u8], what: String) -> Result<Value, CliError> {
    serde_json::from_slice(bytes).map_err(|e| CliError::Json {
        message: json_problem(&e),
        what,
        line: e.line(),
        column: e.column(),
    })
}

fn read_bounded(reader: impl Read, what: &str) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| CliError::Read {
            what: what.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::TooLarge {
            what: what.to_owned(),
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(bytes)
}

/// serde_json's message without its own " at line L column C" suffix, which
/// the caller states in its own words.
fn json_problem(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}
