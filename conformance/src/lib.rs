//! The conformance runner: judges session endpoints against their contracts.
//!
//! `session-conformance validate` checks a saved response; `contracts` lists
//! what the runner knows; `check` sends property-generated requests to a live
//! endpoint; `self-test` runs the runner against the mock in process.
//!
//! Flow of `check`: flags -> `commands::check::plan` (every usage error
//! before any I/O) -> per target, `run::run_target`: preflight -> `case`
//! strategies -> `wire` (request and curl from one rendering) -> `exec`
//! (concurrent, bounded) -> `checks` -> shrink -> `report` (human, JSON, JUnit). The binary in `main.rs` only parses flags and maps
//! outcomes to exit codes; the commands live here so tests can drive them.

pub mod case;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod error;
pub mod exec;
pub mod input;
pub mod journey;
pub mod openapi;
mod registry;
pub mod report;
pub mod run;
pub use session_schemas::secret;
pub mod selftest;
mod shell;
pub mod signin;
pub mod target;
pub mod wire;

pub use error::{CliError, RunOutcome};
