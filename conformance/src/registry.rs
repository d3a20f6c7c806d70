//! The contracts the flags name: the built-ins, with contract files and
//! `--contracts` directories loaded beside them. Every command that takes
//! `--contract` (and the targets file's `contract = ...`) resolves it here.

use std::path::{Path, PathBuf};

use session_schemas::{Contract, Registry};

use crate::cli::ContractSources;
use crate::error::CliError;

/// The built-in contracts, with those in `files` and `sources`' directories
/// loaded beside them (for the rest of the process), and what replaced what.
pub(crate) fn registry(
    files: &[PathBuf],
    sources: &ContractSources,
) -> Result<(&'static Registry, Vec<String>), CliError> {
    Ok(Registry::loaded(files, &sources.dirs)?)
}

/// `--contract NAME|FILE`: a file (`*.schema.json`) is loaded beside the
/// built-ins and any `--contracts` directory; a name is looked up there.
pub(crate) fn contract(
    value: &str,
    sources: &ContractSources,
) -> Result<(&'static Registry, &'static Contract, Vec<String>), CliError> {
    let file = value
        .ends_with(".schema.json")
        .then(|| PathBuf::from(value));
    let (registry, notes) = registry(file.as_slice(), sources)?;
    let name = match &file {
        Some(path) => Path::new(path)
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.trim_end_matches(".schema.json"))
            .unwrap_or(value),
        None => value,
    };
    Ok((registry, registry.get(name)?, notes))
}
