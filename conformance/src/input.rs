//! Reading a saved response from a file or standard input, bounded.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::error::CliError;

/// Saved responses larger than this are refused rather than read whole.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Reads `path` (`-` for standard input) and parses it as JSON.
pub fn read_json(path: &Path) -> Result<Value, CliError> {
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
    serde_json::from_slice(&bytes).map_err(|e| CliError::Json {
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
