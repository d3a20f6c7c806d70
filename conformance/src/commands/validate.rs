//! `validate`: one saved response body against one contract and status.

use std::io::Write;

use serde::Serialize;
use session_schemas::{Clock, Mode, Registry, Violation};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{Format, ValidateArgs};
use crate::error::{CliError, Outcome};
use crate::input;

#[derive(Debug, Serialize)]
struct Report<'a> {
    file: String,
    contract: &'a str,
    status: u16,
    mode: Mode,
    /// Whether the rules about the present were judged.
    live_rules: bool,
    valid: bool,
    violations: Vec<Violation>,
}

pub fn run(args: &ValidateArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let contract = Registry::builtin().get(&args.contract)?;
    let spec = contract.response(args.status)?;
    let clock = args
        .received_at
        .as_deref()
        .map(parse_received_at)
        .transpose()?;
    let body = input::read_json(&args.file)?;
    let mode = if args.strict {
        Mode::Strict
    } else {
        Mode::Lenient
    };
    let mut violations = spec.validate(&body, mode);
    violations.extend(contract.check_invariants(args.status, &body, clock.as_ref()));

    let report = Report {
        file: args.file.display().to_string(),
        contract: &contract.name,
        status: args.status,
        mode,
        live_rules: clock.is_some(),
        valid: violations.is_empty(),
        violations,
    };
    match args.output.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)
                .map_err(|e| CliError::Write(e.into()))?;
            writeln!(out).map_err(CliError::Write)?;
        }
        Format::Human => write_human(&report, out).map_err(CliError::Write)?,
    }
    Ok(if report.valid {
        Outcome::Conformant
    } else {
        Outcome::Violations
    })
}

fn write_human(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let mode = match report.mode {
        Mode::Lenient => "lenient",
        Mode::Strict => "strict",
    };
    let time_note = if report.live_rules {
        ""
    } else {
        "; rules about the present not judged, see --received-at"
    };
    if report.valid {
        return writeln!(
            out,
            "valid: {} conforms to {} {} ({mode} mode{time_note})",
            report.file, report.contract, report.status
        );
    }
    let count = report.violations.len();
    let noun = if count == 1 {
        "violation"
    } else {
        "violations"
    };
    writeln!(
        out,
        "invalid: {} breaks {} {} with {count} {noun} ({mode} mode{time_note})",
        report.file, report.contract, report.status
    )?;
    for violation in &report.violations {
        writeln!(out, "  {violation}")?;
    }
    Ok(())
}

fn parse_received_at(text: &str) -> Result<Clock, CliError> {
    if text == "now" {
        return Ok(Clock::now());
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|at| Clock::new(at, time::Duration::ZERO))
        .map_err(|e| CliError::Usage(format!("--received-at `{text}` is not an RFC 3339 time such as 2026-11-21T12:00:00Z, nor `now`: {e}")))
}
