//! `session-mock mint`: the cookies a sign-in would set, made without a
//! running mock, for suites that run the real app with its real Auth.js and
//! only need a signed-in browser. With the app's secret they are the tokens
//! Auth.js writes (the app's `auth()` reads them; a mock with the same
//! secret does too); without it, the mock's own tokens (a mock with the same
//! signing key reads them, the app does not, and stderr says so).

use serde_json::json;
use session_schemas::Protocol;

use crate::args::{MintArgs, MintFormat};
use crate::authjs::{Minter, ReadyCookie};
use crate::config::{MockConfig, User};
use crate::credentials::Keyring;
use crate::lifecycle::Sessions;
use crate::tokens::Tokens;

/// What `mint` prints on standard output, and what it warns of on standard
/// error; or why it cannot.
pub fn mint(config: &MockConfig, args: &MintArgs) -> Result<(String, Option<String>), String> {
    let mount = config
        .mounts
        .iter()
        .find(|m| m.contract.protocol == Some(Protocol::AuthJs))
        .ok_or(
            "no contract served speaks the Auth.js protocol; mint makes Auth.js session cookies",
        )?;
    let contract = mount.contract;
    let origin = checked_origin(args)?;
    let origin = origin.as_str();
    let user = minted_user(config, args)?;
    let lifetime = lifetime(config, args)?;
    let keyring = Keyring::new(
        &config.signing_key,
        config.auth,
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let now = config
        .clock
        .unwrap_or_else(time::OffsetDateTime::now_utc)
        .unix_timestamp();
    let sessions = Sessions::new(keyring, 1, None).map_err(|e| e.to_string())?;
    let session = sessions.start(contract, &user, lifetime, now);
    let tokens =
        (!config.auth_secrets.is_empty()).then(|| Tokens::new(config.auth_secrets.clone()));
    let minter = Minter {
        tokens: tokens.as_ref(),
        sessions: &sessions,
        version: config.authjs_version,
    };
    let cookies = minter.cookies(contract, &session, origin, now);
    let text = render(&cookies, args.format.unwrap_or(MintFormat::StorageState));
    let warning = tokens.is_none().then(|| {
        "no Auth.js secret: these are the mock's own tokens, read by a mock with the same signing key but not by your app's auth(); give the app's secret (AUTH_SECRET=... or --auth-secret)".to_owned()
    });
    Ok((text + "\n", warning))
}

/// `--origin`, or the default app's, as a scheme and host.
fn checked_origin(args: &MintArgs) -> Result<String, String> {
    let origin = args
        .origin
        .as_deref()
        .unwrap_or("http://localhost:3000")
        .trim_end_matches('/');
    let well_formed = origin.split_once("://").is_some_and(|(scheme, rest)| {
        matches!(scheme, "http" | "https")
            && !rest.is_empty()
            && !rest.contains(['/', '?', '#', '@', ' '])
    });
    if well_formed {
        Ok(origin.to_owned())
    } else {
        Err(format!(
            "--origin {origin}: the app's origin is a scheme and host, such as http://localhost:3000"
        ))
    }
}

/// `--as`, or the first configured user, with a profile a session can show.
fn minted_user(config: &MockConfig, args: &MintArgs) -> Result<User, String> {
    let user = match &args.user {
        None => config.users[0].clone(),
        Some(name) => User::by_login(&config.users, name),
    };
    if user.username.is_empty() || user.username.chars().any(char::is_control) {
        return Err("--as: a login is not empty and has no control characters".to_owned());
    }
    crate::lifecycle::check_profile(&user.profile)?;
    Ok(user)
}

/// `--lifetime` in seconds, or the configured session lifetime (30 days).
fn lifetime(config: &MockConfig, args: &MintArgs) -> Result<i64, String> {
    Ok(match &args.lifetime {
        Some(text) => crate::clock::parse_lifetime(text)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .map_err(|m| format!("--lifetime {text}: {m}"))?,
        None => config.session_lifetime.map_or(30 * 86_400, |d| {
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
        }),
    })
}

/// The cookies in the asked format.
fn render(cookies: &[ReadyCookie], format: MintFormat) -> String {
    match format {
        MintFormat::StorageState => {
            serde_json::to_string_pretty(&json!({"cookies": cookies, "origins": []}))
                .unwrap_or_default()
        }
        MintFormat::Cookies => serde_json::to_string_pretty(&cookies).unwrap_or_default(),
        MintFormat::Header => format!(
            "Cookie: {}",
            cookies
                .iter()
                .map(|c| format!("{}={}", c.name, c.value))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        MintFormat::SetCookie => cookies
            .iter()
            .map(|c| {
                let expires = time::OffsetDateTime::from_unix_timestamp(c.expires)
                    .ok()
                    .and_then(crate::authjs::http_date)
                    .unwrap_or_default();
                format!(
                    "{}={}; Path=/; Expires={expires}; HttpOnly{}; SameSite=Lax",
                    c.name,
                    c.value,
                    if c.secure { "; Secure" } else { "" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}
