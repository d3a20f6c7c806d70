//! A target from flags (`--contract`, `--base-url`, `--token`...; clap fills
//! the secrets from their variables), as a [`TargetSpec`], and the command
//! line that names the same target again.

use session_schemas::{Auth, authjs};

use super::spec::{Given, SignInSpec, Source, TargetSpec};
use super::{SignIn, Target};
use crate::cli::{SignInProtocol, TargetArgs};
use crate::error::CliError;
use crate::shell;

/// The flags' target, unchecked.
pub(super) fn spec(args: &TargetArgs) -> Result<TargetSpec, CliError> {
    let (Some(contract), Some(base)) = (&args.contract, &args.base_url) else {
        return Err(CliError::Usage(
            "give --contract and --base-url, or --config FILE".to_owned(),
        ));
    };
    let (_, contract, _) = crate::registry::contract(contract, &args.sources)?;
    let cookies = !matches!(contract.auth, Auth::Bearer);
    // The variable matching the contract's carrier wins; the other one is an
    // error only when it is all that was given (a likely mix-up).
    let (given, revoked, expired, var, revoked_var, expired_var) = if cookies {
        (
            &args.cookie,
            &args.revoked_cookie,
            &args.expired_cookie,
            "SESSION_COOKIE",
            "SESSION_REVOKED_COOKIE",
            "SESSION_EXPIRED_COOKIE",
        )
    } else {
        (
            &args.token,
            &args.revoked_token,
            &args.expired_token,
            "SESSION_TOKEN",
            "SESSION_REVOKED_TOKEN",
            "SESSION_EXPIRED_TOKEN",
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
    let from = |value: &Option<String>, var: &str| value.as_deref().map(|v| Given::new(v, var));
    Ok(TargetSpec {
        source: Source::Flags,
        name: contract.name.clone(),
        contract,
        base_url: base.clone(),
        path: args.path.clone(),
        credential: from(given, var),
        revoked: from(revoked, revoked_var),
        expired: from(expired, expired_var),
        cookie_name: args.cookie_name.clone(),
        sign_in: sign_in(args),
    })
}

fn sign_in(args: &TargetArgs) -> Option<SignInSpec> {
    match (args.sign_in, &args.sign_in_cmd) {
        (Some(SignInProtocol::Authjs), _) => Some(SignInSpec::AuthJs {
            user: args.user.as_deref().map(|v| Given::new(v, "SESSION_USER")),
            password: args
                .password
                .as_deref()
                .map(|v| Given::new(v, "SESSION_PASSWORD")),
            user_field: args.user_field.clone(),
        }),
        (None, Some(command)) => Some(SignInSpec::Command {
            sign_in: command.clone(),
            sign_out: args.sign_out_cmd.clone(),
        }),
        (None, None) => None,
    }
}

/// The command line that names `target` again, secrets left to their variables.
pub(super) fn again(command: &str, target: &Target) -> String {
    let mut again = format!(
        "session-conformance {command} --contract {} --base-url {}",
        target.contract.name,
        shell::word(&target.base_url)
    );
    if target.path != target.contract.path {
        again.push_str(&format!(" --path {}", shell::word(&target.path)));
    }
    match &target.sign_in {
        Some(SignIn::AuthJs(login)) => {
            again.push_str(" --sign-in authjs");
            if login.user_field != authjs::field::USERNAME {
                again.push_str(&format!(" --user-field {}", shell::word(&login.user_field)));
            }
        }
        Some(SignIn::Command { sign_in, sign_out }) => {
            again.push_str(&format!(" --sign-in-cmd {}", shell::word(sign_in)));
            if let Some(sign_out) = sign_out {
                again.push_str(&format!(" --sign-out-cmd {}", shell::word(sign_out)));
            }
        }
        None => {}
    }
    again
}
