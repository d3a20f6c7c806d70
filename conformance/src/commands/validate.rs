//! `validate`: one saved response body against one contract and status.

use std::io::Write;

use serde::Serialize;
use session_schemas::{Clock, Mode, Violation};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{Format, ValidateArgs};
use crate::error::{CliError, RunOutcome};
use crate::input;

#[derive(Debug, Serialize)]
struct Report<'a> {
    file: String,
    contract: &'a str,
    status: u16,
    status_from: StatusFrom,
    mode: Mode,
    /// Whether the rules about the present were judged.
    live_rules: bool,
    valid: bool,
    violations: Vec<Violation>,
    /// Problems with the response's headers (status undocumented, a
    /// contract header missing, not JSON), when the input carried them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    response: Vec<String>,
}

/// Where the judged status came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum StatusFrom {
    /// The status line of `curl -si` output.
    Response,
    /// `--status`.
    Flag,
    /// 200, for a bare body without `--status`.
    Assumed,
}

pub fn run(args: &ValidateArgs, out: &mut dyn Write) -> Result<RunOutcome, CliError> {
    let (_, contract, notes) = super::contract(&args.contract, &args.sources)?;
    for note in notes {
        let _ = writeln!(std::io::stderr(), "note: {note}");
    }
    let clock = args
        .received_at
        .as_deref()
        .map(parse_received_at)
        .transpose()?;
    let saved = input::read_response(&args.file)?;
    let (status, status_from) = match (saved.status, args.status) {
        (Some(seen), Some(flag)) if seen != flag => {
            return Err(CliError::Usage(format!(
                "the saved response's status line says {seen} but --status says {flag}; drop --status to use the response's"
            )));
        }
        (Some(seen), _) => (seen, StatusFrom::Response),
        (None, Some(flag)) => (flag, StatusFrom::Flag),
        (None, None) => (200, StatusFrom::Assumed),
    };
    let mode = if args.strict {
        Mode::Strict
    } else {
        Mode::Lenient
    };
    let mut response = Vec::new();
    let mut violations = Vec::new();
    match contract.response(status) {
        // A status given by hand that the contract does not document is a
        // usage mistake; one the server answered with is a finding.
        Err(error) if status_from != StatusFrom::Response => return Err(error.into()),
        Err(_) => response.push(format!(
            "status {status} is not documented by {}; documented: {}",
            contract.name,
            contract
                .documented_statuses()
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Ok(spec) => {
            violations = spec.validate(&saved.body, mode);
            violations.extend(contract.check_invariants(status, &saved.body, clock.as_ref()));
            if saved.status.is_some() {
                response.extend(header_problems(contract, status, &saved));
            }
        }
    }

    let report = Report {
        file: args.file.display().to_string(),
        contract: &contract.name,
        status,
        status_from,
        mode,
        live_rules: clock.is_some(),
        valid: violations.is_empty() && response.is_empty(),
        violations,
        response,
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
        RunOutcome::Conformant
    } else {
        RunOutcome::Violations
    })
}

/// The contract's headers for `status`, and a JSON Content-Type.
fn header_problems(
    contract: &session_schemas::Contract,
    status: u16,
    saved: &input::Saved,
) -> Vec<String> {
    let mut problems: Vec<String> = contract
        .headers_for(status)
        .filter(|rule| saved.header(&rule.name).is_none())
        .map(|rule| {
            format!(
                "header {}: missing (the contract sends `{}`)",
                rule.name, rule.value
            )
        })
        .collect();
    match saved.header("content-type") {
        Some(kind) if kind.to_ascii_lowercase().contains("json") => {}
        Some(kind) => problems.push(format!("header Content-Type: `{kind}` is not JSON")),
        None => problems.push("header Content-Type: missing".to_owned()),
    }
    problems
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
    let status_note = match report.status_from {
        StatusFrom::Response => "; status and headers from the response",
        StatusFrom::Assumed => {
            "; status 200 assumed: pass --status, or save the response with curl -si"
        }
        StatusFrom::Flag => "",
    };
    if report.valid {
        return writeln!(
            out,
            "valid: {} conforms to {} {} ({mode} mode{status_note}{time_note})",
            report.file, report.contract, report.status
        );
    }
    let count = report.violations.len() + report.response.len();
    let noun = if count == 1 {
        "violation"
    } else {
        "violations"
    };
    writeln!(
        out,
        "invalid: {} breaks {} {} with {count} {noun} ({mode} mode{status_note}{time_note})",
        report.file, report.contract, report.status
    )?;
    for problem in &report.response {
        writeln!(out, "  {problem}")?;
    }
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
