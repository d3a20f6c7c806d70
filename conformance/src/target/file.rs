//! Targets from a TOML file of `[[target]]` tables, each as a
//! [`TargetSpec`]. Secrets are named by environment variable only, so that
//! the file can be committed; a contract file and a CA bundle are named
//! relative to the targets file.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use session_schemas::{Auth, authjs};

use super::Target;
use super::spec::{Given, SignInSpec, Source, TargetSpec};
use super::values::ca_pem;
use crate::cli::ContractSources;
use crate::error::CliError;

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

/// Every target of the file at `path`, checked.
pub(super) fn targets(
    path: &Path,
    sources: &ContractSources,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Target>, CliError> {
    let file = read(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut targets = Vec::new();
    for (i, entry) in file.target.into_iter().enumerate() {
        let name = entry.name.clone().unwrap_or_else(|| entry.contract.clone());
        let context = |message: String| {
            CliError::Usage(format!(
                "targets file {}, target {} (`{name}`): {message}",
                path.display(),
                i + 1
            ))
        };
        let ca_cert = entry.ca_cert.clone();
        let spec = spec(entry, name.clone(), dir, sources, env).map_err(&context)?;
        let mut target = spec.build().map_err(|e| context(e.to_string()))?;
        if let Some(ca) = ca_cert {
            target.ca_pem =
                Some(ca_pem(&dir.join(ca), "ca-cert").map_err(|e| context(e.to_string()))?);
        }
        targets.push(target);
    }
    Ok(targets)
}

/// The file, parsed; a file without a target is an error.
fn read(path: &Path) -> Result<TargetsFile, CliError> {
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
    Ok(file)
}

/// One table as a spec, its secrets read from the variables it names. An
/// error is the message, which the caller puts in the table's context.
fn spec(
    entry: TargetEntry,
    name: String,
    dir: &Path,
    sources: &ContractSources,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<TargetSpec, String> {
    // A contract file is named relative to the targets file.
    let named = if entry.contract.ends_with(".schema.json") {
        dir.join(&entry.contract).display().to_string()
    } else {
        entry.contract.clone()
    };
    let (_, contract, _) = crate::registry::contract(&named, sources).map_err(|e| e.to_string())?;
    let read = |var: &Option<String>| -> Result<Option<Given>, String> {
        match var {
            None => Ok(None),
            Some(var) => env(var)
                .map(|value| Some(Given::new(value, var.clone())))
                .ok_or_else(|| format!("environment variable {var} is not set")),
        }
    };
    let (credential, revoked, expired) = match contract.auth {
        Auth::Bearer => (
            read(&entry.token_env)?,
            read(&entry.revoked_token_env)?,
            read(&entry.expired_token_env)?,
        ),
        Auth::Cookie { .. } => (
            read(&entry.cookie_env)?,
            read(&entry.revoked_cookie_env)?,
            read(&entry.expired_cookie_env)?,
        ),
    };
    let sign_in = sign_in(&entry, env)?;
    Ok(TargetSpec {
        source: Source::File,
        name,
        contract,
        base_url: entry.base_url,
        path: entry.path,
        credential,
        revoked,
        expired,
        cookie_name: entry.cookie_name,
        sign_in,
    })
}

/// The table's sign-in: `sign-in = "authjs"` (user and password from the
/// variables it names, or the default ones) or `sign-in-cmd`, not both.
fn sign_in(
    entry: &TargetEntry,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SignInSpec>, String> {
    match (entry.sign_in.as_deref(), &entry.sign_in_cmd) {
        (Some(_), Some(_)) => Err("give sign-in or sign-in-cmd, not both".to_owned()),
        (Some("authjs"), None) => {
            let user_var = entry.user_env.as_deref().unwrap_or("SESSION_USER");
            let password_var = entry.password_env.as_deref().unwrap_or("SESSION_PASSWORD");
            let given = |var: &str| env(var).map(|value| Given::new(value, var));
            Ok(Some(SignInSpec::AuthJs {
                user: given(user_var),
                password: given(password_var),
                user_field: entry
                    .user_field
                    .clone()
                    .unwrap_or_else(|| authjs::field::USERNAME.to_owned()),
            }))
        }
        (Some(other), None) => Err(format!(
            "sign-in = {other:?}: the runner speaks \"authjs\"; for another backend use sign-in-cmd"
        )),
        (None, Some(command)) => Ok(Some(SignInSpec::Command {
            sign_in: command.clone(),
            sign_out: entry.sign_out_cmd.clone(),
        })),
        (None, None) if entry.sign_out_cmd.is_some() => {
            Err("sign-out-cmd needs sign-in-cmd".to_owned())
        }
        (None, None) => Ok(None),
    }
}
