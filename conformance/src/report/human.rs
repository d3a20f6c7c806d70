//! The summary for people: per target, a table of checks with their counts,
//! then the first failures in detail, each with its minimal case and a
//! `curl` command that reproduces it. Colour only when asked (a terminal).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::Report;
use crate::checks::Severity;
use crate::run::{Failed, TargetRun};

/// Failures shown in detail per check.
const SHOWN_PER_CHECK: usize = 2;

#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub(crate) pass: Style,
    pub(crate) fail: Style,
    pub(crate) warn: Style,
    pub(crate) dim: Style,
    pub(crate) bold: Style,
}

impl Palette {
    pub fn new(colour: bool) -> Self {
        if !colour {
            let plain = Style::new();
            return Self {
                pass: plain,
                fail: plain,
                warn: plain,
                dim: plain,
                bold: plain,
            };
        }
        Self {
            pass: AnsiColor::Green.on_default(),
            fail: AnsiColor::Red.on_default().bold(),
            warn: AnsiColor::Yellow.on_default(),
            dim: Style::new().dimmed(),
            bold: Style::new().bold(),
        }
    }
}

/// Whether to colour standard output.
pub fn colour(choice: crate::cli::ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        crate::cli::ColorChoice::Always => true,
        crate::cli::ColorChoice::Never => false,
        crate::cli::ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

pub(crate) fn paint(style: Style, text: &str) -> String {
    format!("{}{text}{}", style.render(), style.render_reset())
}

pub fn write(report: &Report, out: &mut dyn Write, palette: Palette) -> io::Result<()> {
    for run in &report.targets {
        write_target(run, out, palette)?;
    }
    let errors: Vec<String> = report
        .targets
        .iter()
        .flat_map(|r| r.errors().map(move |t| format!("{}/{}", r.name, t.check)))
        .collect();
    let warnings: Vec<String> = report
        .targets
        .iter()
        .flat_map(|r| {
            r.tallies
                .iter()
                .filter(|t| t.failed > 0 && t.severity == Severity::Warning)
                .map(move |t| format!("{}/{}", r.name, t.check))
        })
        .collect();
    let verdict = if errors.is_empty() {
        paint(palette.pass, "CONFORMANT")
    } else {
        paint(palette.fail, "NOT CONFORMANT")
    };
    write!(out, "result: {verdict}")?;
    if !errors.is_empty() {
        write!(out, "; failed: {}", errors.join(", "))?;
    }
    if !warnings.is_empty() {
        write!(out, "; warnings: {}", warnings.join(", "))?;
    }
    writeln!(out)?;
    writeln!(out, "re-run: {}", report.rerun)
}

fn write_target(run: &TargetRun, out: &mut dyn Write, p: Palette) -> io::Result<()> {
    writeln!(
        out,
        "{} {} at {}",
        paint(p.bold, &run.name),
        paint(p.dim, &format!("({})", run.contract)),
        run.url
    )?;
    writeln!(
        out,
        "  {} cases in {:.2} s ({:.0} cases/s), {} requests, seed {}",
        run.cases,
        run.duration.as_secs_f64(),
        run.cases_per_second(),
        run.requests,
        run.seed
    )?;
    for note in &run.notes {
        writeln!(out, "  note: {note}")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "    {:<20} {:<8} {:>7} {:>7} {:>7}",
        "check", "severity", "passed", "failed", "n/a"
    )?;
    for tally in &run.tallies {
        let (mark, style) = match (tally.failed, tally.severity) {
            (0, _) => ("ok", p.pass),
            (_, Severity::Error) => ("FAIL", p.fail),
            (_, Severity::Warning) => ("warn", p.warn),
        };
        let severity = match tally.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(
            out,
            "  {} {:<20} {:<8} {:>7} {:>7} {:>7}{}",
            paint(style, &format!("{mark:<4}")),
            tally.check.name(),
            severity,
            tally.passed,
            tally.failed,
            tally.skipped,
            if tally.check.security() {
                "  security"
            } else {
                ""
            }
        )?;
    }
    for tally in run.tallies.iter().filter(|t| t.failed > 0) {
        writeln!(out)?;
        let style = match tally.severity {
            Severity::Error => p.fail,
            Severity::Warning => p.warn,
        };
        writeln!(
            out,
            "  {} {} ({} of {} cases): {}",
            paint(style, "x"),
            paint(p.bold, tally.check.name()),
            tally.failed,
            tally.passed + tally.failed,
            tally.check.description()
        )?;
        for failed in run
            .failures
            .iter()
            .filter(|f| f.check == tally.check)
            .take(SHOWN_PER_CHECK)
        {
            write_failure(failed, out, p)?;
        }
    }
    writeln!(out)
}

fn write_failure(failed: &Failed, out: &mut dyn Write, p: Palette) -> io::Result<()> {
    writeln!(out, "    case #{}: {}", failed.index, failed.case)?;
    writeln!(out, "      {}", failed.finding.message)?;
    for detail in failed.finding.details.iter().take(8) {
        writeln!(out, "        - {detail}")?;
    }
    if failed.finding.details.len() > 8 {
        writeln!(
            out,
            "        - ... {} more",
            failed.finding.details.len() - 8
        )?;
    }
    if let Some(body) = &failed.body
        && failed.finding.details.is_empty()
    {
        writeln!(out, "      {} {body}", paint(p.dim, "body:"))?;
    }
    match &failed.shrunk {
        Some(shrunk) => {
            writeln!(
                out,
                "      minimal case ({} simplifications, {} requests): {}",
                shrunk.steps, shrunk.requests, shrunk.case
            )?;
            if shrunk.finding.message != failed.finding.message {
                writeln!(out, "        {}", shrunk.finding.message)?;
            }
            writeln!(out, "      reproduce: {}", shrunk.curl)
        }
        None => writeln!(out, "      reproduce: {}", failed.curl),
    }
}
