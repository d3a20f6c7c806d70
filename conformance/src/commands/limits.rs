//! The request limits both network commands (`check`, `snapshot`) take
//! from flags: `--timeout` and `--max-body`, and durations in general.

use crate::error::CliError;

/// A duration flag's value, e.g. `250ms`, `5s`.
pub(super) fn duration(flag: &str, text: &str) -> Result<std::time::Duration, CliError> {
    session_schemas::duration::parse(text).map_err(|e| CliError::Usage(format!("{flag}: {e}")))
}

/// `--timeout`: a duration above zero.
pub(super) fn timeout(text: &str) -> Result<std::time::Duration, CliError> {
    let timeout = duration("--timeout", text)?;
    if timeout.is_zero() {
        return Err(CliError::Usage("--timeout: must be more than 0".to_owned()));
    }
    Ok(timeout)
}

/// `1048576`, `512KiB`, `1MiB`, `2MB`...
pub(super) fn size(text: &str) -> Result<usize, CliError> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let multiplier: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "KB" => 1024,
        "MiB" | "M" | "MB" => 1024 * 1024,
        _ => 0,
    };
    let bytes = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .filter(|n| (1..=1024 * 1024 * 1024).contains(n));
    bytes.map(|n| n as usize).ok_or_else(|| {
        CliError::Usage(format!(
            "--max-body {text:?}: a size from 1 B to 1 GiB, such as 65536, 512KiB or 1MiB"
        ))
    })
}
