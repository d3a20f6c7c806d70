//! A target as its source gave it, before any check: the one shape that
//! flags and a targets file both become, and the one way from it to a
//! checked [`Target`]. What differs between the sources is only the words of
//! an error (`--base-url` or `base-url`, a flag or a variable to set).

use session_schemas::{Auth, Contract, Protocol, authjs};

use super::{AuthJsLogin, Carrier, SignIn, Target, authjs_base, values};
use crate::error::CliError;
use crate::secret::Secret;

/// Where a spec came from, for the words of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    Flags,
    File,
}

impl Source {
    /// The key a base URL is given under.
    fn base_url_key(self) -> &'static str {
        match self {
            Self::Flags => "--base-url",
            Self::File => "base-url",
        }
    }
}

/// A secret as given: its value, and the variable it came from (which
/// reproductions read it from).
#[derive(Debug, Clone)]
pub(super) struct Given {
    pub value: String,
    pub var: String,
}

impl Given {
    pub(super) fn new(value: impl Into<String>, var: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            var: var.into(),
        }
    }
}

/// How a sign-in was asked for, before it is checked against the contract.
#[derive(Debug)]
pub(super) enum SignInSpec {
    AuthJs {
        user: Option<Given>,
        password: Option<Given>,
        user_field: String,
    },
    Command {
        sign_in: String,
        sign_out: Option<String>,
    },
}

/// One target as given, unchecked.
#[derive(Debug)]
pub(super) struct TargetSpec {
    pub source: Source,
    /// A label for reports.
    pub name: String,
    pub contract: &'static Contract,
    pub base_url: String,
    /// The endpoint's path, if not the contract's.
    pub path: Option<String>,
    pub credential: Option<Given>,
    pub revoked: Option<Given>,
    pub expired: Option<Given>,
    pub cookie_name: Option<String>,
    pub sign_in: Option<SignInSpec>,
}

impl TargetSpec {
    /// The checked target (without a CA bundle: the caller resolves its path).
    pub(super) fn build(self) -> Result<Target, CliError> {
        let contract = self.contract;
        let base_url = values::base_url(&self.base_url, self.source.base_url_key())?;
        let path = values::path(self.path.as_deref().unwrap_or(&contract.path), "--path")?;
        let cookie_name = self.cookie_name.as_deref();
        let secret = |given: Option<Given>| -> Result<Option<(Carrier, Secret)>, CliError> {
            given
                .map(|given| credential(contract, &given, cookie_name))
                .transpose()
        };
        let sign_in = self
            .sign_in
            .map(|how| sign_in(contract, &path, how, self.source))
            .transpose()?;
        // The caller's credential is not used when the runner signs in.
        let credential = if sign_in.is_some() {
            None
        } else {
            secret(self.credential)?
        };
        let revoked = secret(self.revoked)?;
        let expired = secret(self.expired)?;
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
            name: self.name,
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
}

/// A credential in the contract's carrier, checked.
fn credential(
    contract: &Contract,
    given: &Given,
    cookie_name: Option<&str>,
) -> Result<(Carrier, Secret), CliError> {
    match contract.auth {
        Auth::Bearer => Ok((
            Carrier::Bearer,
            values::token(contract, &given.value, &given.var)?,
        )),
        Auth::Cookie { .. } => values::cookie(contract, &given.value, cookie_name, &given.var),
    }
}

/// A sign-in, checked: Auth.js only for a contract that speaks it, with a
/// user and a password, beside a session route it can find its base from.
fn sign_in(
    contract: &Contract,
    path: &str,
    given: SignInSpec,
    source: Source,
) -> Result<SignIn, CliError> {
    match given {
        SignInSpec::Command { sign_in, sign_out } => {
            if sign_in.trim().is_empty() || sign_out.as_ref().is_some_and(|c| c.trim().is_empty()) {
                return Err(CliError::Usage(
                    "--sign-in-cmd / --sign-out-cmd: the command is empty".to_owned(),
                ));
            }
            Ok(SignIn::Command { sign_in, sign_out })
        }
        SignInSpec::AuthJs {
            user,
            password,
            user_field,
        } => authjs_sign_in(contract, path, user, password, user_field, source),
    }
}

fn authjs_sign_in(
    contract: &Contract,
    path: &str,
    user: Option<Given>,
    password: Option<Given>,
    user_field: String,
    source: Source,
) -> Result<SignIn, CliError> {
    if contract.protocol != Some(Protocol::AuthJs) {
        return Err(CliError::Usage(format!(
            "--sign-in authjs: contract `{}` does not speak Auth.js's sign-in; \
             use --sign-in-cmd with a command that prints a credential",
            contract.name
        )));
    }
    let Some(base) = authjs_base(path) else {
        return Err(CliError::Usage(format!(
            "--sign-in authjs: the session route {path} does not end in /{}, so the \
             Auth.js routes beside it ({}, {}, {}) cannot be found",
            authjs::route::SESSION,
            authjs::route::CSRF,
            authjs::route::CALLBACK_CREDENTIALS,
            authjs::route::SIGN_OUT,
        )));
    };
    let missing = |var: &str, flag: &str| {
        CliError::Usage(match source {
            Source::Flags => format!("--sign-in authjs: {var} is not set (nor {flag})"),
            Source::File => format!("sign-in = \"authjs\": environment variable {var} is not set"),
        })
    };
    let user = user.ok_or_else(|| missing("SESSION_USER", "--user"))?;
    let password = password.ok_or_else(|| missing("SESSION_PASSWORD", "--password"))?;
    if user_field.is_empty() || user_field.contains(['&', '=']) {
        return Err(CliError::Usage(format!(
            "--user-field {user_field:?}: a form field name"
        )));
    }
    Ok(SignIn::AuthJs(AuthJsLogin {
        user: Secret::new(user.value, user.var),
        password: Secret::new(password.value, password.var).masked_only(),
        user_field,
        base: base.to_owned(),
    }))
}
