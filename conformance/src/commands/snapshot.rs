//! `session-conformance snapshot`: records the shape of each outcome class's
//! answers as insta `.snap` files, and on later runs reports how the shape
//! drifted, field by field, with a diff.

use std::io::Write;
use std::path::{Path, PathBuf};

use session_snapshot::{Kit, Response, Shape, drift, file};

use crate::case::{CredentialCase, Malformed, RequestCase};
use crate::cli::SnapshotArgs;
use crate::error::{CliError, RunOutcome};
use crate::exec::{Executor, Limits};
use crate::report::human::{self, Palette, paint};
use crate::secret::Redactor;
use crate::target::Target;
use crate::wire::Wire;

/// A credential no implementation issues: the malformed class's token.
const GARBAGE: &str = "snapshot-not-a-session-token";

/// One outcome class: the request that provokes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Valid,
    Unauthenticated,
    Malformed,
    Revoked,
}

impl Class {
    pub const ALL: [Class; 4] = [
        Class::Valid,
        Class::Unauthenticated,
        Class::Malformed,
        Class::Revoked,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Valid => "valid",
            Class::Unauthenticated => "unauthenticated",
            Class::Malformed => "malformed",
            Class::Revoked => "revoked",
        }
    }

    fn credential(self) -> CredentialCase {
        match self {
            Class::Valid => CredentialCase::Valid,
            Class::Unauthenticated => CredentialCase::Absent,
            Class::Malformed => CredentialCase::Malformed(Malformed::Random(GARBAGE.to_owned())),
            Class::Revoked => CredentialCase::Revoked,
        }
    }

    fn described(self) -> &'static str {
        match self {
            Class::Valid => "with a valid credential",
            Class::Unauthenticated => "without a credential",
            Class::Malformed => "with a credential no server issued",
            Class::Revoked => "with a revoked credential",
        }
    }
}

/// What happened to one class's snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotStatus {
    Unchanged,
    Recorded,
    Updated,
    /// The recorded shape differs: the changes, and a line diff.
    Drifted {
        changes: Vec<String>,
        diff: String,
    },
    /// `--locked` and no snapshot on disk.
    Missing,
    /// The class cannot be provoked (no credential for it).
    Skipped(String),
}

/// One class of one target.
#[derive(Debug, Clone)]
pub struct ClassResult {
    pub class: Class,
    pub file: PathBuf,
    pub status: SnapshotStatus,
    /// Answers that break the contract (the shape is recorded all the same).
    pub nonconforming: usize,
}

pub fn run(args: &SnapshotArgs, out: &mut dyn Write) -> Result<RunOutcome, CliError> {
    let (targets, again) =
        crate::target::targets(&args.target, "snapshot", &|name| std::env::var(name).ok())?;
    if !args.no_credential {
        crate::target::require_credentials(&targets)?;
    }
    let limits = Limits {
        timeout: super::limits::timeout(&args.timeout)?,
        max_body: super::limits::size(&args.max_body)?,
        concurrency: 1,
        rate_limit: None,
    };
    prepare_dir(&args.dir)?;
    let palette = Palette::new(human::colour(args.color));
    let runtime = super::runtime()?;
    let mut drifted = 0;
    for target in &targets {
        let results = runtime.block_on(snapshot_target(target, args, limits))?;
        write_target(out, target, args.samples, &results, palette).map_err(CliError::Write)?;
        drifted += results
            .iter()
            .filter(|r| {
                matches!(
                    r.status,
                    SnapshotStatus::Drifted { .. } | SnapshotStatus::Missing
                )
            })
            .count();
    }
    if drifted == 0 {
        return Ok(RunOutcome::Conformant);
    }
    writeln!(
        out,
        "\n{} snapshot{} drifted or missing. If the change is intended, rewrite them:\n  {again} --dir {} --update",
        drifted,
        if drifted == 1 { "" } else { "s" },
        crate::shell::word(&args.dir.display().to_string()),
    )
    .map_err(CliError::Write)?;
    Ok(RunOutcome::Violations)
}

fn prepare_dir(dir: &Path) -> Result<(), CliError> {
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "--dir {}: exists and is not a directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|source| CliError::WriteFile {
        path: dir.to_owned(),
        source,
    })
}

/// Sends each class's samples, merges their shapes, compares with the files.
pub async fn snapshot_target(
    target: &Target,
    args: &SnapshotArgs,
    limits: Limits,
) -> Result<Vec<ClassResult>, CliError> {
    let executor = Executor::new(limits, target.ca_pem.as_deref())?;
    // Signed in by itself: the valid class uses a fresh credential.
    let signed_in = match &target.sign_in {
        Some(how) => {
            let redactor = Redactor::new(target.secrets().cloned());
            let session = crate::signin::Browser {
                target,
                executor: &executor,
                redactor: &redactor,
                timeout: limits.timeout,
            };
            Some(session.establish(how).await?.0)
        }
        None => None,
    };
    let target = signed_in.as_ref().unwrap_or(target);
    let mut kit = Kit::for_contract(target.contract);
    for secret in target.secrets() {
        kit = kit.secret(secret.expose());
    }
    let redactor = Redactor::new(target.secrets().cloned());
    let mut results = Vec::new();
    for class in Class::ALL {
        let file = args.dir.join(format!(
            "{}__{}.snap",
            file_stem(&target.name),
            class.name()
        ));
        let missing = match class {
            Class::Valid if target.credential.is_none() => Some("no valid credential given"),
            Class::Revoked if target.revoked.is_none() => Some("no revoked credential given"),
            _ => None,
        };
        if let Some(why) = missing {
            results.push(ClassResult {
                class,
                file,
                status: SnapshotStatus::Skipped(why.to_owned()),
                nonconforming: 0,
            });
            continue;
        }
        let (shape, nonconforming) =
            sample(class, target, args, &executor, &kit, &redactor).await?;
        let current = shape.to_value();
        let expression = format!("GET {} {}", target.path, class.described());
        let status = compare(&file, &current, &expression, args)?;
        results.push(ClassResult {
            class,
            file,
            status,
            nonconforming,
        });
    }
    Ok(results)
}

/// Sends `args.samples` requests of one class; their merged shape, and how
/// many answers broke the contract.
async fn sample(
    class: Class,
    target: &Target,
    args: &SnapshotArgs,
    executor: &Executor,
    kit: &Kit,
    redactor: &Redactor,
) -> Result<(Shape, usize), CliError> {
    let wire = Wire::build(&RequestCase::plain(class.credential()), target);
    let mut shape = Shape::default();
    let mut nonconforming = 0;
    for _ in 0..args.samples {
        let observation = executor.send(&wire, target).await;
        let reply = observation.result.map_err(|failure| {
            CliError::Target(redactor.redact(&format!(
                "{} ({}): the {} request failed: {failure}",
                target.name,
                target.url(),
                class.name()
            )))
        })?;
        if reply.truncated {
            return Err(CliError::Target(format!(
                "{} ({}): the {} answer is larger than --max-body {}",
                target.name,
                target.url(),
                class.name(),
                args.max_body
            )));
        }
        let response = Response::new(reply.status, &reply.headers, &reply.body);
        if !kit.violations(&response).is_empty() {
            nonconforming += 1;
        }
        shape.add(kit, &response);
    }
    Ok((shape, nonconforming))
}

fn compare(
    file: &Path,
    current: &serde_json::Value,
    expression: &str,
    args: &SnapshotArgs,
) -> Result<SnapshotStatus, CliError> {
    let text = file::to_snap("session-conformance snapshot", expression, current);
    let write = |status: SnapshotStatus| {
        std::fs::write(file, &text)
            .map(|()| status)
            .map_err(|source| CliError::WriteFile {
                path: file.to_owned(),
                source,
            })
    };
    let recorded_text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return if args.locked {
                Ok(SnapshotStatus::Missing)
            } else {
                write(SnapshotStatus::Recorded)
            };
        }
        Err(source) => {
            return Err(CliError::Read {
                what: format!("snapshot {}", file.display()),
                source,
            });
        }
    };
    let recorded = match file::from_snap(&recorded_text) {
        Ok(recorded) => recorded,
        Err(_) if args.update => return write(SnapshotStatus::Updated),
        Err(message) => {
            return Err(CliError::Usage(format!(
                "snapshot {} {message}; fix it, delete it, or pass --update",
                file.display()
            )));
        }
    };
    let changes = drift(&recorded, current);
    if changes.is_empty() {
        return Ok(SnapshotStatus::Unchanged);
    }
    if args.update {
        return write(SnapshotStatus::Updated);
    }
    let old = serde_json::to_string_pretty(&recorded).unwrap_or_default() + "\n";
    let new = serde_json::to_string_pretty(current).unwrap_or_default() + "\n";
    let diff = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(2)
        .header("recorded", "now")
        .to_string();
    Ok(SnapshotStatus::Drifted {
        changes: changes.iter().map(ToString::to_string).collect(),
        diff,
    })
}

/// A target name as a file name: anything outside `[A-Za-z0-9._-]` becomes `-`.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    stem.trim_start_matches('.').to_owned()
}

fn write_target(
    out: &mut dyn Write,
    target: &Target,
    samples: u32,
    results: &[ClassResult],
    p: Palette,
) -> std::io::Result<()> {
    let name = if target.name == target.contract.name {
        target.name.clone()
    } else {
        format!("{} ({})", target.name, target.contract.name)
    };
    writeln!(
        out,
        "{} at {} ({samples} request{} per class)",
        paint(p.bold, &name),
        target.url(),
        if samples == 1 { "" } else { "s" }
    )?;
    for result in results {
        let (word, style) = match &result.status {
            SnapshotStatus::Unchanged => ("unchanged", p.pass),
            SnapshotStatus::Recorded => ("recorded", p.pass),
            SnapshotStatus::Updated => ("updated", p.warn),
            SnapshotStatus::Drifted { .. } => ("DRIFTED", p.fail),
            SnapshotStatus::Missing => ("MISSING", p.fail),
            SnapshotStatus::Skipped(_) => ("skipped", p.dim),
        };
        let detail = match &result.status {
            SnapshotStatus::Skipped(why) => why.clone(),
            _ => result.file.display().to_string(),
        };
        writeln!(
            out,
            "  {:<16} {} {detail}",
            result.class.name(),
            paint(style, &format!("{word:<9}"))
        )?;
        if result.nonconforming > 0 {
            writeln!(
                out,
                "  {:<16} {} of {samples} answers break the contract; `session-conformance check` says how",
                "",
                paint(p.warn, &result.nonconforming.to_string())
            )?;
        }
        if let SnapshotStatus::Drifted { changes, diff } = &result.status {
            for change in changes {
                writeln!(out, "      {}", paint(p.fail, change))?;
            }
            for line in diff.lines() {
                let style = match line.as_bytes().first() {
                    Some(b'+') => p.pass,
                    Some(b'-') => p.fail,
                    _ => p.dim,
                };
                writeln!(out, "      {}", paint(style, line))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("api"), "api");
        assert_eq!(file_stem("../etc/x y"), "-etc-x-y");
        assert_eq!(file_stem("staging.eu-1"), "staging.eu-1");
    }
}
