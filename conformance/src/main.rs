//! `session-conformance`: parse flags, run the command, map the result to an
//! exit code (0 conformant, 1 violations, 2 usage or I/O error).

use std::io::Write;
use std::process::ExitCode;

use session_conformance::cli::{Cli, Command};
use session_conformance::{CliError, commands};

fn main() -> ExitCode {
    let cli = parse();
    let stdout = std::io::stdout();
    let mut out = PipeSafe {
        inner: stdout.lock(),
        closed: false,
    };
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
            // Not eprintln!: it panics when stderr is a closed pipe.
            let _ = writeln!(std::io::stderr(), "error: {error}");
            ExitCode::from(CliError::EXIT_CODE)
        }
    }
}

/// The flags, with the `--contract` help naming the contracts this build
/// knows (from the registry, not a list written twice).
fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let names = session_schemas::Registry::builtin().names().join(", ");
    let help = format!(
        "The contract: one of {names} (see `contracts`), one loaded with --contracts, or a <name>.schema.json file to load"
    );
    let mut command = Cli::command();
    for sub in ["check", "snapshot", "validate"] {
        let help = help.clone();
        command = command.mut_subcommand(sub, |c| c.mut_arg("contract", |a| a.help(help)));
    }
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Standard output that survives its reader leaving (`| head`): the rest is
/// discarded, and the command still runs to its verdict and exit code.
struct PipeSafe<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> Write for PipeSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}
