//! Command-line flags, as clap derive structs. Doc comments are the help text.

use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use session_schemas::Registry;

/// Check session endpoints against their contracts.
#[derive(Debug, Parser)]
#[command(name = "session-conformance", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

pub const EXIT_CODES: &str =
    "Exit codes: 0 conformant, 1 contract violations found, 2 usage, configuration or I/O error.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a saved response body against a contract.
    Validate(ValidateArgs),
    /// List the contracts: paths, credentials, statuses, scenarios and rules.
    Contracts(ContractsArgs),
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct ValidateArgs {
    /// The contract the response claims to follow.
    #[arg(long, short = 'c', value_parser = contract_names())]
    pub contract: String,
    /// The HTTP status the response was served with.
    #[arg(long, short = 's', default_value_t = 200)]
    pub status: u16,
    /// Reject properties the contract does not declare.
    #[arg(long)]
    pub strict: bool,
    /// Also judge the rules about the present (an active session not
    /// expired, last activity not in the future) as of this RFC 3339 time,
    /// or `now`. Without it, a saved file is judged only on rules that hold
    /// at any time.
    #[arg(long, value_name = "TIME")]
    pub received_at: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// The response body: a JSON file, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ContractsArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output for people, or JSON for programs.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

fn contract_names() -> PossibleValuesParser {
    PossibleValuesParser::new(Registry::builtin().names())
}
