//! `session-conformance check`: flags (and an optional targets file) become
//! a checked plan before any network I/O; then each target is run, and the
//! reports are written.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;
use session_schemas::Mode;

use crate::checks::CheckSet;
use crate::cli::{CheckArgs, Format, RunArgs, SignInProtocol, TargetArgs};
use crate::error::{CliError, Outcome};
use crate::exec::Limits;
use crate::lifecycle::{AuthJsLogin, SignIn};
use crate::report::{Report, human, json, junit};
use crate::run::{Progress, Settings, run_target};
use crate::secret::Secret;
use crate::target::{self, Carrier, Target};

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

pub fn run(args: &CheckArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
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
        Outcome::Conformant
    } else {
        Outcome::Violations
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
    let (targets, mut rerun) = targets(&args.target, "check", env)?;
    if settings.checks.needs_oracle() && !args.run.no_credential {
        require_credentials(&targets)?;
    }
    rerun.push_str(&format!(
        " --cases {} --seed {}",
        settings.cases, settings.seed
    ));
    if args.run.checks != "all" {
        rerun.push_str(&format!(" --checks {}", shell_word(&args.run.checks)));
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

/// Stops a run whose target has no valid credential, naming the variable:
/// an unset secret in CI must not look like a pass.
pub(crate) fn require_credentials(targets: &[Target]) -> Result<(), CliError> {
    let Some(target) = targets
        .iter()
        .find(|t| t.credential.is_none() && t.sign_in.is_none())
    else {
        return Ok(());
    };
    let var = target.carrier.var();
    let flag = match target.carrier {
        crate::target::Carrier::Bearer => "--token",
        crate::target::Carrier::Cookie { .. } => "--cookie",
    };
    Err(CliError::Usage(format!(
        "target {}: no valid credential: {var} is not set (nor {flag}). Without one only \
         unauthenticated cases run, and an unset secret in CI would look like a pass. \
         Set {var} (or let the runner sign in: --sign-in authjs, --sign-in-cmd), pass \
         --no-credential to run without one on purpose, or run only the checks that need \
         none with --checks response",
        target.name
    )))
}

/// The targets the flags or the targets file name, and the command line
/// that names them again (`session-conformance <command> ...`).
pub fn targets(
    args: &TargetArgs,
    command: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Target>, String), CliError> {
    let (mut targets, mut again) = named_targets(args, command, env)?;
    if let Some(path) = &args.ca_cert {
        let pem = ca_pem(path, "--ca-cert")?;
        for target in targets.iter_mut().filter(|t| t.ca_pem.is_none()) {
            target.ca_pem = Some(pem.clone());
        }
        again.push_str(&format!(
            " --ca-cert {}",
            shell_word(&path.display().to_string())
        ));
    }
    Ok((targets, again))
}

/// PEM certificates from `path`, checked now rather than at the first request.
fn ca_pem(path: &Path, key: &str) -> Result<Vec<u8>, CliError> {
    use std::io::Read as _;
    const MAX_PEM: u64 = 1024 * 1024;
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PEM + 1).read_to_end(&mut pem))
        .map_err(|source| CliError::Read {
            what: format!("{key} {}", path.display()),
            source,
        })?;
    if pem.len() as u64 > MAX_PEM {
        return Err(CliError::TooLarge {
            what: format!("{key} {}", path.display()),
            limit: MAX_PEM,
        });
    }
    #[cfg(feature = "https")]
    {
        let found = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            CliError::Usage(format!(
                "{key} {}: not PEM certificates: {e}",
                path.display()
            ))
        })?;
        if found.is_empty() {
            return Err(CliError::Usage(format!(
                "{key} {}: no certificate in it (expected -----BEGIN CERTIFICATE-----)",
                path.display()
            )));
        }
    }
    #[cfg(not(feature = "https"))]
    return Err(CliError::Usage(format!(
        "{key}: this build has no HTTPS support (built without the `https` feature)"
    )));
    #[cfg(feature = "https")]
    Ok(pem)
}

/// The targets the flags or the targets file name, without the TLS roots.
fn named_targets(
    args: &TargetArgs,
    command: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Target>, String), CliError> {
    Ok(match &args.config {
        Some(path) => (
            targets_from_file(path, &args.sources, env)?,
            format!(
                "session-conformance {command} --config {}",
                shell_word(&path.display().to_string())
            ),
        ),
        None => {
            let target = target_from_flags(args)?;
            let mut again = format!(
                "session-conformance {command} --contract {} --base-url {}",
                target.contract.name,
                shell_word(&target.base_url)
            );
            if target.path != target.contract.path {
                again.push_str(&format!(" --path {}", shell_word(&target.path)));
            }
            match &target.sign_in {
                Some(SignIn::AuthJs(login)) => {
                    again.push_str(" --sign-in authjs");
                    if login.user_field != "username" {
                        again.push_str(&format!(" --user-field {}", shell_word(&login.user_field)));
                    }
                }
                Some(SignIn::Command { sign_in, sign_out }) => {
                    again.push_str(&format!(" --sign-in-cmd {}", shell_word(sign_in)));
                    if let Some(sign_out) = sign_out {
                        again.push_str(&format!(" --sign-out-cmd {}", shell_word(sign_out)));
                    }
                }
                None => {}
            }
            (vec![target], again)
        }
    })
}

/// A duration flag's value, e.g. `250ms`, `5s`.
fn duration(flag: &str, text: &str) -> Result<std::time::Duration, CliError> {
    session_schemas::duration::parse(text).map_err(|e| CliError::Usage(format!("{flag}: {e}")))
}

/// `--timeout`: a duration above zero.
pub(crate) fn timeout(text: &str) -> Result<std::time::Duration, CliError> {
    let timeout = duration("--timeout", text)?;
    if timeout.is_zero() {
        return Err(CliError::Usage("--timeout: must be more than 0".to_owned()));
    }
    Ok(timeout)
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

/// `1048576`, `512KiB`, `1MiB`, `2MB`...
pub(crate) fn size(text: &str) -> Result<usize, CliError> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let multiplier: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "KB" => 1024,
        "MiB" | "M" | "MB" => 1024 * 1024,
        _ => 0,
    };
    let bytes = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .filter(|n| (1..=1024 * 1024 * 1024).contains(n));
    bytes.map(|n| n as usize).ok_or_else(|| {
        CliError::Usage(format!(
            "--max-body {text:?}: a size from 1 B to 1 GiB, such as 65536, 512KiB or 1MiB"
        ))
    })
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

fn target_from_flags(args: &TargetArgs) -> Result<Target, CliError> {
    let (Some(contract), Some(base)) = (&args.contract, &args.base_url) else {
        return Err(CliError::Usage(
            "give --contract and --base-url, or --config FILE".to_owned(),
        ));
    };
    let (_, contract, _) = super::contract(contract, &args.sources)?;
    let cookies = !matches!(contract.auth, session_schemas::Auth::Bearer);
    // The variable matching the contract's carrier wins; the other one is an
    // error only when it is all that was given (a likely mix-up).
    let (given, revoked_given, var, revoked_var) = if cookies {
        (
            &args.cookie,
            &args.revoked_cookie,
            "SESSION_COOKIE",
            "SESSION_REVOKED_COOKIE",
        )
    } else {
        (
            &args.token,
            &args.revoked_token,
            "SESSION_TOKEN",
            "SESSION_REVOKED_TOKEN",
        )
    };
    let (other, other_flag) = if cookies {
        (&args.token, "--token / SESSION_TOKEN")
    } else {
        (&args.cookie, "--cookie / SESSION_COOKIE")
    };
    if given.is_none() && other.is_some() {
        return Err(CliError::Usage(format!(
            "contract `{}` takes a {}; {other_flag} was given instead",
            contract.name,
            if cookies {
                "session cookie (--cookie / SESSION_COOKIE)"
            } else {
                "bearer token (--token / SESSION_TOKEN)"
            }
        )));
    }
    let expired_given = if cookies {
        (&args.expired_cookie, "SESSION_EXPIRED_COOKIE")
    } else {
        (&args.expired_token, "SESSION_EXPIRED_TOKEN")
    };
    let sign_in = match (args.sign_in, &args.sign_in_cmd) {
        (Some(SignInProtocol::Authjs), _) => Some(SignInGiven::AuthJs {
            user: args.user.as_deref().map(|v| (v, "SESSION_USER")),
            password: args.password.as_deref().map(|v| (v, "SESSION_PASSWORD")),
            user_field: &args.user_field,
            flags: true,
        }),
        (None, Some(command)) => Some(SignInGiven::Command {
            sign_in: command,
            sign_out: args.sign_out_cmd.as_deref(),
        }),
        (None, None) => None,
    };
    build_target(
        contract.name.clone(),
        contract,
        base,
        args.path.as_deref(),
        Given {
            credential: given.as_deref().map(|v| (v, var)),
            revoked: revoked_given.as_deref().map(|v| (v, revoked_var)),
            expired: expired_given.0.as_deref().map(|v| (v, expired_given.1)),
            cookie_name: args.cookie_name.as_deref(),
            sign_in,
        },
        "--base-url",
    )
}

/// How a sign-in was asked for, before it is checked against the contract.
#[derive(Debug)]
enum SignInGiven<'a> {
    AuthJs {
        user: Option<(&'a str, &'a str)>,
        password: Option<(&'a str, &'a str)>,
        user_field: &'a str,
        /// Given with flags (else in a targets file), for the error messages.
        flags: bool,
    },
    Command {
        sign_in: &'a str,
        sign_out: Option<&'a str>,
    },
}

/// The secrets and sign-in a target was given, each secret with the
/// variable it came from.
#[derive(Debug)]
struct Given<'a> {
    credential: Option<(&'a str, &'a str)>,
    revoked: Option<(&'a str, &'a str)>,
    expired: Option<(&'a str, &'a str)>,
    cookie_name: Option<&'a str>,
    sign_in: Option<SignInGiven<'a>>,
}

fn build_target(
    name: String,
    contract: &'static session_schemas::Contract,
    base: &str,
    path: Option<&str>,
    given: Given<'_>,
    where_: &str,
) -> Result<Target, CliError> {
    let base_url = target::base_url(base, where_)?;
    let path = target::path(path.unwrap_or(&contract.path), "--path")?;
    let cookie_name = given.cookie_name;
    let secret = |given: Option<(&str, &str)>| -> Result<Option<(Carrier, Secret)>, CliError> {
        let Some((value, var)) = given else {
            return Ok(None);
        };
        Ok(Some(match contract.auth {
            session_schemas::Auth::Bearer => {
                (Carrier::Bearer, target::token(contract, value, var)?)
            }
            session_schemas::Auth::Cookie { .. } => {
                target::cookie(contract, value, cookie_name, var)?
            }
        }))
    };
    let sign_in = given
        .sign_in
        .map(|how| sign_in(contract, &path, how))
        .transpose()?;
    // The caller's credential is not used when the runner signs in.
    let credential = if sign_in.is_some() {
        None
    } else {
        secret(given.credential)?
    };
    let revoked = secret(given.revoked)?;
    let expired = secret(given.expired)?;
    let default_carrier = Carrier::of(contract, cookie_name);
    let carrier = credential
        .as_ref()
        .or(revoked.as_ref())
        .map_or(default_carrier, |(c, _)| c.clone());
    if let (Some((a, _)), Some((b, _))) = (&credential, &revoked)
        && a != b
    {
        return Err(CliError::Usage(
            "the valid and the revoked cookie are given under different names".to_owned(),
        ));
    }
    Ok(Target {
        name,
        contract,
        base_url,
        path,
        carrier,
        credential: credential.map(|(_, s)| s),
        revoked: revoked.map(|(_, s)| s),
        expired: expired.map(|(_, s)| s),
        sign_in,
        ca_pem: None,
    })
}

/// A sign-in, checked: Auth.js only for a contract that speaks it, with a
/// user and a password, beside a session route it can find its base from.
fn sign_in(
    contract: &session_schemas::Contract,
    path: &str,
    given: SignInGiven<'_>,
) -> Result<SignIn, CliError> {
    match given {
        SignInGiven::Command { sign_in, sign_out } => {
            if sign_in.trim().is_empty() || sign_out.is_some_and(|c| c.trim().is_empty()) {
                return Err(CliError::Usage(
                    "--sign-in-cmd / --sign-out-cmd: the command is empty".to_owned(),
                ));
            }
            Ok(SignIn::Command {
                sign_in: sign_in.to_owned(),
                sign_out: sign_out.map(str::to_owned),
            })
        }
        SignInGiven::AuthJs {
            user,
            password,
            user_field,
            flags,
        } => {
            if contract.protocol != Some(session_schemas::Protocol::AuthJs) {
                return Err(CliError::Usage(format!(
                    "--sign-in authjs: contract `{}` does not speak Auth.js's sign-in; \
                     use --sign-in-cmd with a command that prints a credential",
                    contract.name
                )));
            }
            let Some(base) = crate::lifecycle::authjs_base(path) else {
                return Err(CliError::Usage(format!(
                    "--sign-in authjs: the session route {path} does not end in /session, so the \
                     Auth.js routes beside it (csrf, callback/credentials, signout) cannot be found"
                )));
            };
            let missing = |var: &str, flag: &str| {
                CliError::Usage(if flags {
                    format!("--sign-in authjs: {var} is not set (nor {flag})")
                } else {
                    format!("sign-in = \"authjs\": environment variable {var} is not set")
                })
            };
            let (user, user_var) = user.ok_or_else(|| missing("SESSION_USER", "--user"))?;
            let (password, password_var) =
                password.ok_or_else(|| missing("SESSION_PASSWORD", "--password"))?;
            if user_field.is_empty() || user_field.contains(['&', '=']) {
                return Err(CliError::Usage(format!(
                    "--user-field {user_field:?}: a form field name"
                )));
            }
            Ok(SignIn::AuthJs(AuthJsLogin {
                user: Secret::new(user, user_var),
                password: Secret::new(password, password_var).masked_only(),
                user_field: user_field.to_owned(),
                base: base.to_owned(),
            }))
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    #[serde(default)]
    target: Vec<TargetEntry>,
}

/// A `[[target]]` table. Secrets are named by environment variable only, so
/// that the file can be committed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TargetEntry {
    name: Option<String>,
    contract: String,
    base_url: String,
    path: Option<String>,
    token_env: Option<String>,
    cookie_env: Option<String>,
    cookie_name: Option<String>,
    revoked_token_env: Option<String>,
    revoked_cookie_env: Option<String>,
    expired_token_env: Option<String>,
    expired_cookie_env: Option<String>,
    sign_in: Option<String>,
    user_env: Option<String>,
    password_env: Option<String>,
    user_field: Option<String>,
    sign_in_cmd: Option<String>,
    sign_out_cmd: Option<String>,
    /// A private CA's PEM, relative to the file.
    ca_cert: Option<PathBuf>,
}

fn pair(given: &Option<(String, String)>) -> Option<(&str, &str)> {
    given.as_ref().map(|(v, k)| (v.as_str(), k.as_str()))
}

fn targets_from_file(
    path: &Path,
    sources: &crate::cli::ContractSources,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Target>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        what: format!("targets file {}", path.display()),
        source,
    })?;
    let file: TargetsFile = toml::from_str(&text)
        .map_err(|e| CliError::Usage(format!("targets file {}: {e}", path.display())))?;
    if file.target.is_empty() {
        return Err(CliError::Usage(format!(
            "targets file {}: no [[target]] table",
            path.display()
        )));
    }
    let mut targets = Vec::new();
    for (i, entry) in file.target.iter().enumerate() {
        let name = entry.name.clone().unwrap_or_else(|| entry.contract.clone());
        let context = |message: String| {
            CliError::Usage(format!(
                "targets file {}, target {} (`{name}`): {message}",
                path.display(),
                i + 1
            ))
        };
        // A contract file is named relative to the targets file.
        let named = if entry.contract.ends_with(".schema.json") {
            path.parent()
                .unwrap_or(Path::new("."))
                .join(&entry.contract)
                .display()
                .to_string()
        } else {
            entry.contract.clone()
        };
        let (_, contract, _) =
            super::contract(&named, sources).map_err(|e| context(e.to_string()))?;
        let read = |var: &Option<String>| -> Result<Option<(String, String)>, CliError> {
            match var {
                None => Ok(None),
                Some(var) => env(var)
                    .map(|value| Some((value, var.clone())))
                    .ok_or_else(|| context(format!("environment variable {var} is not set"))),
            }
        };
        let (credential, revoked, expired) = match contract.auth {
            session_schemas::Auth::Bearer => (
                read(&entry.token_env)?,
                read(&entry.revoked_token_env)?,
                read(&entry.expired_token_env)?,
            ),
            session_schemas::Auth::Cookie { .. } => (
                read(&entry.cookie_env)?,
                read(&entry.revoked_cookie_env)?,
                read(&entry.expired_cookie_env)?,
            ),
        };
        let user_var = entry.user_env.as_deref().unwrap_or("SESSION_USER");
        let password_var = entry.password_env.as_deref().unwrap_or("SESSION_PASSWORD");
        let (user, password) = (env(user_var), env(password_var));
        let sign_in = match (entry.sign_in.as_deref(), &entry.sign_in_cmd) {
            (Some(_), Some(_)) => {
                return Err(context("give sign-in or sign-in-cmd, not both".to_owned()));
            }
            (Some("authjs"), None) => Some(SignInGiven::AuthJs {
                user: user.as_deref().map(|v| (v, user_var)),
                password: password.as_deref().map(|v| (v, password_var)),
                user_field: entry.user_field.as_deref().unwrap_or("username"),
                flags: false,
            }),
            (Some(other), None) => {
                return Err(context(format!(
                    "sign-in = {other:?}: the runner speaks \"authjs\"; for another backend use sign-in-cmd"
                )));
            }
            (None, Some(command)) => Some(SignInGiven::Command {
                sign_in: command,
                sign_out: entry.sign_out_cmd.as_deref(),
            }),
            (None, None) => {
                if entry.sign_out_cmd.is_some() {
                    return Err(context("sign-out-cmd needs sign-in-cmd".to_owned()));
                }
                None
            }
        };
        let target = build_target(
            name.clone(),
            contract,
            &entry.base_url,
            entry.path.as_deref(),
            Given {
                credential: pair(&credential),
                revoked: pair(&revoked),
                expired: pair(&expired),
                cookie_name: entry.cookie_name.as_deref(),
                sign_in,
            },
            "base-url",
        )
        .map_err(|e| context(e.to_string()))?;
        let mut target = target;
        if let Some(ca) = &entry.ca_cert {
            let ca = path.parent().unwrap_or(Path::new(".")).join(ca);
            target.ca_pem = Some(ca_pem(&ca, "ca-cert").map_err(|e| context(e.to_string()))?);
        }
        targets.push(target);
    }
    Ok(targets)
}

pub(crate) fn shell_word(text: &str) -> String {
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@%+".contains(&b))
    {
        text.to_owned()
    } else {
        crate::wire::shell_quote(text.as_bytes())
    }
}
