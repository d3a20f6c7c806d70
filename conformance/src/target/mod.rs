//! What a run points at: an endpoint of one contract, the credentials the
//! runner may use on it and how it signs in by itself. Built and checked
//! before any network I/O, the same way from flags and from a targets file:
//! each source becomes a [`spec::TargetSpec`] (flags in `flags.rs`, the
//! file's `[[target]]` tables in `file.rs`), and `spec.rs` alone turns a
//! spec into a [`Target`], with the values checked in `values.rs`.

mod file;
mod flags;
mod spec;
mod values;

use session_schemas::{Auth, Contract, authjs};

use crate::cli::TargetArgs;
use crate::error::CliError;
use crate::secret::Secret;

pub use values::{base_url, cookie, path, token};

/// Where the credential goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carrier {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A session cookie under this name.
    Cookie { name: String },
}

impl Carrier {
    /// The environment variable a valid credential of this carrier comes
    /// from, and reproductions read.
    pub fn var(&self) -> &'static str {
        match self {
            Self::Bearer => "SESSION_TOKEN",
            Self::Cookie { .. } => "SESSION_COOKIE",
        }
    }

    /// The contract's carrier; for cookies, `name` or the contract's first name.
    pub fn of(contract: &Contract, name: Option<&str>) -> Self {
        match &contract.auth {
            Auth::Bearer => Self::Bearer,
            Auth::Cookie { names } => Self::Cookie {
                name: name.unwrap_or(&names[0]).to_owned(),
            },
        }
    }
}

/// One endpoint to check.
#[derive(Debug, Clone)]
pub struct Target {
    /// A label for reports: the config file's `name`, or the contract's.
    pub name: String,
    pub contract: &'static Contract,
    /// `scheme://host[:port]`, no trailing slash.
    pub base_url: String,
    /// Starts with `/`.
    pub path: String,
    pub carrier: Carrier,
    /// A credential the target accepts.
    pub credential: Option<Secret>,
    /// A credential the target knows but has revoked.
    pub revoked: Option<Secret>,
    /// A credential the target issued that has since expired.
    pub expired: Option<Secret>,
    /// How the runner signs in by itself, if it does.
    pub sign_in: Option<SignIn>,
    /// PEM certificates of a private CA, trusted beside the platform's roots.
    pub ca_pem: Option<Vec<u8>>,
}

impl Target {
    /// The endpoint's URL, without query.
    pub fn url(&self) -> String {
        format!("{}{}", self.base_url, self.path)
    }

    /// Cookie names under which a session cookie must be ignored: close to
    /// the real one, but none the contract lists.
    pub fn wrong_cookie_names(&self) -> Vec<String> {
        let Carrier::Cookie { name } = &self.carrier else {
            return Vec::new();
        };
        let listed = match &self.contract.auth {
            Auth::Cookie { names } => names.clone(),
            Auth::Bearer => Vec::new(),
        };
        [
            format!("{name}-old"),
            format!("x-{name}"),
            "session".to_owned(),
            "token".to_owned(),
        ]
        .into_iter()
        .filter(|n| !listed.contains(n) && n != name)
        .collect()
    }

    /// Every secret this target uses, for redaction.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.credential
            .iter()
            .chain(&self.revoked)
            .chain(&self.expired)
            .chain(self.sign_in.iter().flat_map(SignIn::secrets))
    }
}

/// How the runner gets a credential of its own.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// Auth.js's credentials provider under `base` (e.g. `/api/auth`).
    AuthJs(AuthJsLogin),
    /// A command that prints a credential; another that ends one.
    Command {
        sign_in: String,
        sign_out: Option<String>,
    },
}

/// What Auth.js's credentials flow needs.
#[derive(Debug, Clone)]
pub struct AuthJsLogin {
    /// The user name, with the variable it came from (not masked).
    pub user: Secret,
    pub password: Secret,
    /// The form field the user name goes in (`username`, or `email`).
    pub user_field: String,
    /// The Auth.js routes' base path: the session route without `/session`.
    pub base: String,
}

impl SignIn {
    /// Whether the runner can also end a session it made.
    pub fn can_sign_out(&self) -> bool {
        match self {
            Self::AuthJs(_) => true,
            Self::Command { sign_out, .. } => sign_out.is_some(),
        }
    }

    /// The secrets the sign-in itself uses, for redaction: the password
    /// (the user name is no secret, and a session body shows it).
    pub fn secrets(&self) -> Vec<&Secret> {
        match self {
            Self::AuthJs(login) => vec![&login.password],
            Self::Command { .. } => Vec::new(),
        }
    }
}

/// The Auth.js routes' base beside a session route: `/api/auth` for
/// `/api/auth/session`; `None` for a route not named `session`.
pub fn authjs_base(session_path: &str) -> Option<&str> {
    session_path
        .strip_suffix(authjs::route::SESSION)
        .and_then(|base| base.strip_suffix('/'))
        .filter(|base| !base.is_empty())
}

/// The targets `args` name (flags, or the targets file they point to), and
/// the command line that names them again (`session-conformance <command> ...`).
/// Every usage error in them is found here, before anything is sent.
pub fn targets(
    args: &TargetArgs,
    command: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Target>, String), CliError> {
    let (mut targets, mut again) = match &args.config {
        Some(path) => (
            file::targets(path, &args.sources, env)?,
            format!(
                "session-conformance {command} --config {}",
                crate::shell::word(&path.display().to_string())
            ),
        ),
        None => {
            let target = flags::spec(args)?.build()?;
            let again = flags::again(command, &target);
            (vec![target], again)
        }
    };
    if let Some(path) = &args.ca_cert {
        let pem = values::ca_pem(path, "--ca-cert")?;
        for target in targets.iter_mut().filter(|t| t.ca_pem.is_none()) {
            target.ca_pem = Some(pem.clone());
        }
        again.push_str(&format!(
            " --ca-cert {}",
            crate::shell::word(&path.display().to_string())
        ));
    }
    Ok((targets, again))
}

/// Stops a run whose target has no valid credential, naming the variable:
/// an unset secret in CI must not look like a pass.
pub fn require_credentials(targets: &[Target]) -> Result<(), CliError> {
    let Some(target) = targets
        .iter()
        .find(|t| t.credential.is_none() && t.sign_in.is_none())
    else {
        return Ok(());
    };
    let var = target.carrier.var();
    let flag = match target.carrier {
        Carrier::Bearer => "--token",
        Carrier::Cookie { .. } => "--cookie",
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn check_args(words: &[&str]) -> TargetArgs {
        let cli = Cli::try_parse_from(words).expect("flags parse");
        match cli.command {
            Command::Check(args) => args.target,
            _ => unreachable!("a check command"),
        }
    }

    /// Flags and a targets file are two sources of one spec: the same
    /// target comes out of both, with the secret under the variable it was
    /// read from.
    #[test]
    fn flags_and_file_build_the_same_target() {
        let dir = std::env::temp_dir().join(format!("conf-target-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("targets.toml");
        std::fs::write(
            &file,
            "[[target]]\ncontract = \"authjs\"\nbase-url = \"http://127.0.0.1:9/\"\n\
             path = \"/auth/session\"\ncookie-env = \"MY_COOKIE\"\n",
        )
        .unwrap();
        let env = |name: &str| (name == "MY_COOKIE").then(|| "abc.def".to_owned());
        let (from_file, again) = targets(
            &check_args(&["sc", "check", "--config", file.to_str().unwrap()]),
            "check",
            &env,
        )
        .unwrap();
        assert!(
            again.starts_with("session-conformance check --config "),
            "{again}"
        );
        let flags = check_args(&[
            "sc",
            "check",
            "-c",
            "authjs",
            "--base-url",
            "http://127.0.0.1:9/",
            "--path",
            "/auth/session",
            "--cookie",
            "abc.def",
        ]);
        let (from_flags, again) = targets(&flags, "check", &|_| None).unwrap();
        assert_eq!(
            again,
            "session-conformance check --contract authjs --base-url http://127.0.0.1:9 --path /auth/session"
        );
        let (a, b) = (&from_file[0], &from_flags[0]);
        assert_eq!(
            (&a.name, &a.base_url, &a.path),
            (&b.name, &b.base_url, &b.path)
        );
        assert_eq!(a.carrier, b.carrier);
        let (sa, sb) = (
            a.credential.as_ref().unwrap(),
            b.credential.as_ref().unwrap(),
        );
        assert_eq!(sa.expose(), sb.expose());
        assert_eq!((sa.var(), sb.var()), ("MY_COOKIE", "SESSION_COOKIE"));
        std::fs::remove_dir_all(&dir).ok();
    }

    /// The same mistake reads in the words of its source.
    #[test]
    fn errors_name_the_flag_or_the_key() {
        let dir = std::env::temp_dir().join(format!("conf-target-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("targets.toml");
        std::fs::write(
            &file,
            "[[target]]\ncontract = \"authjs\"\nbase-url = \"http://host/api\"\n",
        )
        .unwrap();
        let error = targets(
            &check_args(&["sc", "check", "--config", file.to_str().unwrap()]),
            "check",
            &|_| None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("target 1 (`authjs`): base-url \"http://host/api\""),
            "{error}"
        );
        let flags = check_args(&[
            "sc",
            "check",
            "-c",
            "authjs",
            "--base-url",
            "http://host/api",
        ]);
        let error = targets(&flags, "check", &|_| None).unwrap_err().to_string();
        assert!(
            error.starts_with("--base-url \"http://host/api\""),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_authjs_base_is_beside_the_session_route() {
        assert_eq!(authjs_base("/api/auth/session"), Some("/api/auth"));
        assert_eq!(authjs_base("/session"), None);
        assert_eq!(authjs_base("/api/authsession"), None);
        assert_eq!(authjs_base("/api/auth/me"), None);
    }
}
