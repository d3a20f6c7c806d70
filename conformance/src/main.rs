//! `session-conformance`: parse flags, run the command, map the result to an
//! exit code (0 conformant, 1 violations, 2 usage or I/O error).

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use session_conformance::cli::{Cli, Command};
use session_conformance::{CliError, commands};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match &cli.command {
        Command::Validate(args) => commands::validate::run(args, &mut out),
        Command::Contracts(args) => commands::contracts::run(args, &mut out),
        Command::Check(args) => commands::check::run(args, &mut out),
        Command::SelfTest(args) => commands::self_test::run(args, &mut out),
        Command::Snapshot(args) => commands::snapshot::run(args, &mut out),
    };
    let _ = out.flush();
    match result {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(CliError::EXIT_CODE)
        }
    }
}
