//! The summary for people: per target, a table of checks with their counts,
//! then every distinct failure once (what broke, how many cases broke it
//! that way, the first of them, its minimal case and a command that
//! reproduces it). Colour only when asked (a terminal).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::Report;
use crate::checks::Severity;
use crate::run::{Failed, Tally, TargetRun};

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
    let count = |severity: Severity| -> (usize, Vec<String>) {
        let mut total = 0;
        let mut named = Vec::new();
        for run in &report.targets {
            for tally in run
                .tallies
                .iter()
                .filter(|t| t.failed > 0 && t.severity == severity)
            {
                let n = run
                    .failures
                    .iter()
                    .filter(|f| f.check == tally.check)
                    .count();
                total += n;
                named.push(format!("{}/{} ({n})", run.name, tally.check));
            }
        }
        (total, named)
    };
    let (errors, failed) = count(Severity::Error);
    let (warnings, warned) = count(Severity::Warning);
    let verdict = if errors == 0 {
        paint(palette.pass, "CONFORMANT")
    } else {
        paint(palette.fail, "NOT CONFORMANT")
    };
    write!(out, "result: {verdict}")?;
    if errors > 0 {
        write!(
            out,
            "; {}: {}",
            plural(errors, "distinct failure"),
            failed.join(", ")
        )?;
    }
    if warnings > 0 {
        write!(
            out,
            "; {}: {}",
            plural(warnings, "distinct warning"),
            warned.join(", ")
        )?;
    }
    writeln!(out)?;
    writeln!(out, "re-run: {}", report.rerun)
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
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
    write_tallies(run, out, p)?;
    for tally in run.tallies.iter().filter(|t| t.failed > 0) {
        write_failed_check(run, tally, out, p)?;
    }
    writeln!(out)
}

/// The table of checks: mark, name, severity and counts.
fn write_tallies(run: &TargetRun, out: &mut dyn Write, p: Palette) -> io::Result<()> {
    writeln!(
        out,
        "    {:<22} {:<8} {:>7} {:>7} {:>7}",
        "check", "severity", "passed", "failed", "n/a"
    )?;
    for tally in &run.tallies {
        let (mark, style) = match (tally.failed, tally.severity) {
            (0, _) if tally.passed == 0 => ("-", p.dim),
            (0, _) => ("ok", p.pass),
            (_, Severity::Error) => ("FAIL", p.fail),
            (_, Severity::Warning) => ("warn", p.warn),
        };
        writeln!(
            out,
            "  {} {:<22} {:<8} {:>7} {:>7} {:>7}{}",
            paint(style, &format!("{mark:<4}")),
            tally.check.name(),
            severity_word(tally.severity),
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
    Ok(())
}

/// One failed check: what it is, why it matters, its distinct failures.
fn write_failed_check(
    run: &TargetRun,
    tally: &Tally,
    out: &mut dyn Write,
    p: Palette,
) -> io::Result<()> {
    writeln!(out)?;
    let style = match tally.severity {
        Severity::Error => p.fail,
        Severity::Warning => p.warn,
    };
    let distinct: Vec<&Failed> = run
        .failures
        .iter()
        .filter(|f| f.check == tally.check)
        .collect();
    let spec = tally.check.spec();
    writeln!(
        out,
        "  {} {} ({} of {}, {}): {}",
        paint(style, "x"),
        paint(p.bold, spec.name),
        tally.failed,
        plural(
            (tally.passed + tally.failed) as usize,
            if spec.group == crate::checks::Group::Lifecycle {
                "run"
            } else {
                "case"
            }
        ),
        plural(distinct.len(), "distinct failure"),
        spec.description
    )?;
    if let Some(why) = spec.why {
        writeln!(out, "    why it matters: {why}")?;
    }
    for (n, failed) in distinct.iter().enumerate() {
        write_failure(n + 1, failed, out, p)?;
    }
    Ok(())
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn write_failure(n: usize, failed: &Failed, out: &mut dyn Write, p: Palette) -> io::Result<()> {
    let count = if failed.case.is_some() {
        format!("{}: ", plural(failed.count as usize, "case"))
    } else {
        String::new()
    };
    writeln!(out, "    {n}. {count}{}", failed.finding.message)?;
    for detail in failed.finding.details.iter().take(8) {
        writeln!(out, "         - {detail}")?;
    }
    if failed.finding.details.len() > 8 {
        writeln!(
            out,
            "         - ... {} more",
            failed.finding.details.len() - 8
        )?;
    }
    if failed.case.is_some() {
        writeln!(out, "       first: {}", failed.subject())?;
    }
    if let Some(body) = &failed.body
        && failed.finding.details.is_empty()
    {
        writeln!(out, "       {} {body}", paint(p.dim, "body:"))?;
    }
    if let Some(shrunk) = &failed.shrunk {
        writeln!(
            out,
            "       minimal case ({} simplifications, {} requests): {}",
            shrunk.steps, shrunk.requests, shrunk.case
        )?;
        if shrunk.finding.message != failed.finding.message {
            writeln!(out, "         {}", shrunk.finding.message)?;
        }
    }
    writeln!(out, "       reproduce: {}", failed.reproduce())
}
