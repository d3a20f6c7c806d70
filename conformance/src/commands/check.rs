//! `session-conformance check`: flags (and an optional targets file) become
//! a checked plan before any network I/O; then each target is run, and the
//! reports are written.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use session_schemas::Mode;

use super::limits::{duration, size, timeout};
use crate::checks::CheckSet;
use crate::cli::{CheckArgs, Format, RunArgs};
use crate::error::{CliError, RunOutcome};
use crate::exec::Limits;
use crate::report::{Report, human, json, junit};
use crate::run::{Progress, Settings, run_target};
use crate::shell;
use crate::target::{self, Target};

/// A report file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportFile {
    Json(PathBuf),
    Junit(PathBuf),
}

/// Everything `check` will do, validated.
#[derive(Debug)]
pub struct Plan {
    pub targets: Vec<Target>,
    pub settings: Settings,
    pub reports: Vec<ReportFile>,
    pub rerun: String,
}

pub fn run(args: &CheckArgs, out: &mut dyn Write) -> Result<RunOutcome, CliError> {
    let plan = plan(args, &|name| std::env::var(name).ok())?;
    let report = execute(&plan, !args.run.quiet && std::io::stderr().is_terminal())?;
    write_reports(&report, &plan.reports)?;
    match args.run.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &json::to_value(&report))
                .map_err(|e| CliError::Write(e.into()))?;
            writeln!(out).map_err(CliError::Write)?;
        }
        Format::Human => {
            let palette = human::Palette::new(human::colour(args.run.color));
            human::write(&report, out, palette).map_err(CliError::Write)?;
        }
    }
    Ok(if report.conformant() {
        RunOutcome::Conformant
    } else {
        RunOutcome::Violations
    })
}

/// Runs every target of a plan.
pub fn execute(plan: &Plan, progress: bool) -> Result<Report, CliError> {
    let runtime = super::runtime()?;
    let started = Instant::now();
    let targets = runtime.block_on(async {
        let mut runs = Vec::new();
        for target in &plan.targets {
            let mut bar = if progress {
                Progress::on_stderr(&target.name)
            } else {
                Progress::hidden()
            };
            runs.push(run_target(target, &plan.settings, &mut bar, &plan.rerun).await?);
        }
        Ok::<_, CliError>(runs)
    })?;
    Ok(Report {
        seed: plan.settings.seed,
        strict: plan.settings.strict,
        targets,
        duration: started.elapsed(),
        rerun: plan.rerun.clone(),
    })
}

pub fn write_reports(report: &Report, files: &[ReportFile]) -> Result<(), CliError> {
    for file in files {
        let (path, text) = match file {
            ReportFile::Json(path) => (
                path,
                serde_json::to_string_pretty(&json::to_value(report))
                    .map_err(|e| CliError::Write(e.into()))?,
            ),
            ReportFile::Junit(path) => (
                path,
                junit::to_xml(report).map_err(|e| CliError::Write(std::io::Error::other(e)))?,
            ),
        };
        std::fs::write(path, text).map_err(|source| CliError::WriteFile {
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Turns flags, the targets file and the environment into a plan; every
/// usage error is found here, before anything is sent.
pub fn plan(args: &CheckArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Plan, CliError> {
    let settings = settings(&args.run)?;
    let reports = args
        .run
        .report
        .iter()
        .map(|r| report_file(r))
        .collect::<Result<Vec<_>, _>>()?;
    let (targets, mut rerun) = target::targets(&args.target, "check", env)?;
    if settings.checks.needs_oracle() && !args.run.no_credential {
        target::require_credentials(&targets)?;
    }
    rerun.push_str(&format!(
        " --cases {} --seed {}",
        settings.cases, settings.seed
    ));
    if args.run.checks != "all" {
        rerun.push_str(&format!(" --checks {}", shell::word(&args.run.checks)));
    }
    for (flag, on) in [
        ("--strict", settings.strict),
        ("--strict-schema", args.run.strict_schema),
        ("--no-credential", args.run.no_credential),
    ] {
        if on {
            rerun.push(' ');
            rerun.push_str(flag);
        }
    }
    Ok(Plan {
        targets,
        settings,
        reports,
        rerun,
    })
}

fn settings(run: &RunArgs) -> Result<Settings, CliError> {
    let timeout = timeout(&run.timeout)?;
    if let Some(rate) = run.rate_limit
        && !(rate.is_finite() && rate > 0.0 && rate <= 1_000_000.0)
    {
        return Err(CliError::Usage(format!(
            "--rate-limit {rate}: must be a number of requests per second above 0 (e.g. 50)"
        )));
    }
    let checks =
        CheckSet::parse(&run.checks).map_err(|e| CliError::Usage(format!("--checks: {e}")))?;
    Ok(Settings {
        cases: run.cases,
        seed: run.seed.unwrap_or_else(random_seed),
        limits: Limits {
            timeout,
            max_body: size(&run.max_body)?,
            concurrency: usize::from(run.concurrency),
            rate_limit: run.rate_limit,
        },
        max_response_time: duration("--max-response-time", &run.max_response_time)?,
        clock_skew: duration("--clock-skew", &run.clock_skew)?,
        schema_mode: if run.strict_schema {
            Mode::Strict
        } else {
            Mode::Lenient
        },
        strict: run.strict,
        checks,
        max_shrink: run.max_shrink,
        examples: 50,
    })
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000_000
}

fn report_file(text: &str) -> Result<ReportFile, CliError> {
    let bad = || {
        CliError::Usage(format!(
            "--report {text:?}: expected json=PATH or junit=PATH"
        ))
    };
    let (kind, path) = text.split_once('=').ok_or_else(bad)?;
    if path.is_empty() {
        return Err(bad());
    }
    let path = PathBuf::from(path);
    // Find an unwritable destination now, not after a long run.
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(CliError::Usage(format!(
            "--report {text:?}: directory {} does not exist",
            parent.display()
        )));
    }
    match kind {
        "json" => Ok(ReportFile::Json(path)),
        "junit" => Ok(ReportFile::Junit(path)),
        _ => Err(bad()),
    }
}
