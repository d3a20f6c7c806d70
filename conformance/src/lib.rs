//! The conformance runner: judges session endpoints against their contracts.
//!
//! `session-conformance validate` checks a saved response; `contracts` lists
//! what the runner knows. The binary in `main.rs` only parses flags and maps
//! outcomes to exit codes; the commands live here so tests can drive them.

pub mod cli;
pub mod commands;
pub mod error;
pub mod input;

pub use error::{CliError, Outcome};
