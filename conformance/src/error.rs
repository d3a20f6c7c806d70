//! What a command can end in, and the exit code each means.

use std::process::ExitCode;

use thiserror::Error;

/// A command that ran to completion: did the target conform?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Exit 0.
    Conformant,
    /// Exit 1: contract violations were found.
    Violations,
}

impl From<RunOutcome> for ExitCode {
    fn from(outcome: RunOutcome) -> Self {
        match outcome {
            RunOutcome::Conformant => ExitCode::SUCCESS,
            RunOutcome::Violations => ExitCode::from(1),
        }
    }
}

/// A command that could not judge anything: exit 2.
#[derive(Debug, Error)]
pub enum CliError {
    /// The flags make no sense together or name something unknown.
    #[error("{0}")]
    Usage(String),
    /// An input could not be read.
    #[error("cannot read {what}: {source}")]
    Read {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// An input is larger than the bound.
    #[error("{what} is larger than {limit} bytes; refusing to read further")]
    TooLarge { what: String, limit: u64 },
    /// An input is not JSON.
    #[error("{what} is not valid JSON: {message} at line {line}, column {column}")]
    Json {
        what: String,
        message: String,
        line: usize,
        column: usize,
    },
    /// A target is unreachable, or rejects the credential it was given.
    #[error("{0}")]
    Target(String),
    /// A report file could not be written.
    #[error("cannot write {path}: {source}")]
    WriteFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing the report failed (e.g. a closed pipe).
    #[error("cannot write output: {0}")]
    Write(#[source] std::io::Error),
}

impl CliError {
    pub const EXIT_CODE: u8 = 2;
}

impl From<session_schemas::ContractError> for CliError {
    fn from(error: session_schemas::ContractError) -> Self {
        Self::Usage(error.to_string())
    }
}
