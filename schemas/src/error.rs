//! Errors met while loading contracts or asking them something. Each says
//! which contract (or file) and what would have been accepted.

use thiserror::Error;

/// Everything that can go wrong with a contract, from a malformed schema file
/// to a question about a status the contract does not document.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ContractError {
    /// A contract file or fixture is not JSON.
    #[error("{file}: not valid JSON at line {line}, column {column}: {source}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        #[source]
        source: serde_json::Error,
    },
    /// The `x-contract` manifest is missing, incomplete or inconsistent.
    #[error("{file}: {message}")]
    Manifest { file: String, message: String },
    /// The schema document is not a valid draft 2020-12 schema.
    #[error("{file}: not a valid JSON Schema (draft 2020-12) at {location}: {message}")]
    MetaSchema {
        file: String,
        location: String,
        message: String,
    },
    /// A response schema failed to compile.
    #[error("contract {contract}: the schema for status {status} does not compile: {message}")]
    Compile {
        contract: String,
        status: u16,
        message: String,
    },
    /// A fixture named by the manifest is missing or not JSON.
    #[error("{file}: {key}: fixture {fixture} (under fixtures/{contract}/): {message}")]
    Fixture {
        file: String,
        /// The manifest key that names it, e.g. `x-contract.scenarios.valid.fixture`.
        key: String,
        contract: String,
        fixture: String,
        message: String,
    },
    /// No contract of that name.
    #[error("unknown contract `{name}`{hint}; known contracts: {known}")]
    UnknownContract {
        name: String,
        /// `; did you mean `...`?` when one name is close, else empty.
        hint: String,
        known: String,
    },
    /// The contract documents no such status.
    #[error("contract {contract} documents no status {status}; documented statuses: {documented}")]
    UndocumentedStatus {
        contract: String,
        status: u16,
        documented: String,
    },
    /// No scenario of that name (or alias).
    #[error("contract {contract} has no scenario `{name}`{hint}; scenarios: {known}")]
    UnknownScenario {
        contract: String,
        name: String,
        /// `; did you mean `...`?` when one name is close, else empty.
        hint: String,
        known: String,
    },
    /// The generator met a schema construct it cannot produce values for.
    #[error("contract {contract}: cannot generate values for the schema at {pointer}: {message}")]
    Generate {
        contract: String,
        pointer: String,
        message: String,
    },
}

impl ContractError {
    pub(crate) fn manifest(file: &str, message: impl Into<String>) -> Self {
        Self::Manifest {
            file: file.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn json(file: &str, source: serde_json::Error) -> Self {
        Self::Json {
            file: file.to_owned(),
            line: source.line(),
            column: source.column(),
            source,
        }
    }
}

/// The candidate closest to a mistyped `name`, if one is close enough to be
/// what was meant (a letter or two off, letters swapped), for "did you mean";
/// failing that, the one that starts with what `name` starts with (its
/// first five letters or more: `sessions` for `session-api`).
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let allowed = (name.chars().count() / 3).max(1);
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let close = candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c);
    close.or_else(|| {
        let stem = name.trim_end_matches('s');
        let mut starting: Vec<&str> = candidates
            .iter()
            .copied()
            .filter(|c| stem.chars().count() >= 5 && c.starts_with(stem))
            .collect();
        // Only when it points at one candidate.
        (starting.len() == 1).then(|| starting.remove(0))
    })
}

/// `; did you mean `X`?`, or nothing.
pub(crate) fn hint<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    suggest(name, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}
