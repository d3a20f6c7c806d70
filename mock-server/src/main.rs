//! `session-mock`: parse the configuration, print how to use the mock, serve
//! until Ctrl-C or SIGTERM. Exit 2 on any configuration or bind error.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use session_mock::MockArgs;
use session_mock::{AuthMode, MockServer};
use session_mock::{FileConfig, MockConfig};
use session_schemas::authjs::cookie;
use session_schemas::{Auth, Protocol};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = match MockArgs::try_parse() {
        Ok(args) => args,
        Err(error) => {
            // A value a setting refused reads as a file's would:
            // `key = "value": why`; clap's own errors as clap writes them.
            if let Some(message) = session_mock::refused_flag(&error) {
                let _ = writeln!(std::io::stderr(), "error: {message}");
                return ExitCode::from(2);
            }
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    match app_secret() {
        Ok(secret) => args.app_secret = secret,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            return ExitCode::from(2);
        }
    }
    let config = match load(&args) {
        Ok(config) => config,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            return ExitCode::from(2);
        }
    };
    if let Some(session_mock::Command::Mint(mint)) = &args.command {
        return match session_mock::mint(&config, mint) {
            Ok((text, warning)) => {
                if let Some(warning) = warning {
                    let _ = writeln!(std::io::stderr(), "warning: {warning}");
                }
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
                ExitCode::SUCCESS
            }
            Err(message) => {
                let _ = writeln!(std::io::stderr(), "error: {message}");
                ExitCode::from(2)
            }
        };
    }
    if args.print_config {
        let _ = std::io::stdout()
            .lock()
            .write_all(config.to_toml().as_bytes());
        return ExitCode::SUCCESS;
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();

    let server = match MockServer::start(config.clone()).await {
        Ok(server) => server,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error}");
            return ExitCode::from(2);
        }
    };
    print_banner(&config, &server);
    shutdown_signal().await;
    tracing::info!("shutting down");
    if let Some(lines) = server.proxy_summary() {
        for line in lines {
            tracing::info!("proxy: {line}");
        }
    }
    server.stop().await;
    ExitCode::SUCCESS
}

/// The app's own Auth.js secret, as the app reads it: `AUTH_SECRET`
/// (Auth.js 5), else `NEXTAUTH_SECRET` (next-auth 4).
fn app_secret() -> Result<Option<(String, String)>, String> {
    for variable in ["AUTH_SECRET", "NEXTAUTH_SECRET"] {
        match std::env::var(variable) {
            Ok(value) => return Ok(Some((variable.to_owned(), value))),
            Err(std::env::VarError::NotPresent) => {}
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(format!(
                    "{variable} is not UTF-8; an Auth.js secret is text"
                ));
            }
        }
    }
    Ok(None)
}

fn load(args: &MockArgs) -> Result<MockConfig, String> {
    let file = match &args.config {
        Some(path) => FileConfig::load(path).map_err(|e| e.to_string())?,
        None => FileConfig::default(),
    };
    MockConfig::from_sources(args, file).map_err(|e| e.to_string())
}

/// A line of the banner (writing to a String cannot fail).
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

fn print_banner(config: &MockConfig, server: &MockServer) {
    let mut out = String::new();
    banner(&mut out, config, server);
    // Not println!: it panics when stdout is a closed pipe (`| head`).
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
}

/// A setting's value as its flag takes it (`Fixture` is `fixture`).
fn flag_value(value: &dyn std::fmt::Debug) -> String {
    format!("{value:?}").to_lowercase()
}

fn banner(out: &mut String, config: &MockConfig, server: &MockServer) {
    let base = server.url("");
    say!(
        out,
        "session-mock listening on {base}  (data: {}, auth: {})",
        flag_value(&config.data),
        flag_value(&config.auth)
    );
    print_endpoints(out, config, &base);
    print_authjs_cookies(out, config);
    if config.admin {
        say!(
            out,
            "Control page: {base}{}   (scenarios, requests, sessions and the clock, in the browser)",
            session_mock::CONTROL_PAGE
        );
    }
    print_switches(out, config, &base);
    print_sessions(out, config, &base);
    print_credentials(out, config);
}

/// Each contract's endpoint and scenario, its upstream when proxied, and
/// the configuration's notes.
fn print_endpoints(out: &mut String, config: &MockConfig, base: &str) {
    for mount in &config.mounts {
        // A scenario outside this contract's document (`--scenario 401`
        // given to every contract) says so here, by contract.
        let off_contract = mount
            .contract
            .scenario(&mount.scenario)
            .ok()
            .and_then(|s| s.off_contract.as_deref())
            .map(|why| format!("  OFF-CONTRACT: {why}"))
            .unwrap_or_default();
        say!(
            out,
            "  {:<12} GET {base}{:<22} scenario {}{off_contract}",
            mount.contract.name,
            mount.path,
            mount.scenario
        );
    }
    for (mount, upstream) in config
        .mounts
        .iter()
        .filter_map(|m| Some((m, m.upstream.as_ref()?)))
    {
        say!(
            out,
            "  {:<12} proxied to {upstream}{}/* (answers judged{}{})",
            mount.contract.name,
            mount.base(),
            if config.proxy.strict {
                ", violations become 502"
            } else {
                ""
            },
            if config.proxy.fallback {
                ", the mock answers when it is down"
            } else {
                ""
            },
        );
    }
    for note in &config.notes {
        say!(out, "  note: {note}");
    }
    if let Some(why) = config.auth_implied {
        say!(
            out,
            "  auth: known, since {why}: a request without a session is signed out (--auth off serves the default scenario to everyone)"
        );
    }
}

/// How to switch scenarios: per request, at runtime, and where the journal is.
fn print_switches(out: &mut String, config: &MockConfig, base: &str) {
    let first = &config.mounts[0];
    say!(out, "Switch scenarios:");
    say!(
        out,
        "  per request  curl -H 'Mock-Scenario: 401' {base}{}   (or ?__scenario=401, or Prefer: code=401)",
        first.path
    );
    if config.admin {
        say!(
            out,
            "  at runtime   curl -X PUT {base}/__mock/scenarios -d '{{\"{}\": \"500\"}}'",
            first.contract.name
        );
        say!(out, "  journal      curl {base}/__mock/requests");
        if config.mounts.iter().any(|m| m.upstream.is_some()) {
            say!(out, "  violations   curl {base}/__mock/violations");
        }
    }
}

/// In auth-aware mode, a credential the mock accepts, per contract.
fn print_credentials(out: &mut String, config: &MockConfig) {
    if config.auth != AuthMode::Off {
        let keyring =
            session_mock::Keyring::new(&config.signing_key, config.auth, vec![], vec![], vec![]);
        let token = keyring.issue("dev");
        say!(
            out,
            "Auth-aware ({}): a credential the mock accepts:",
            flag_value(&config.auth)
        );
        for mount in &config.mounts {
            match &mount.contract.auth {
                Auth::Bearer => say!(
                    out,
                    "  {:<12} Authorization: Bearer {token}",
                    mount.contract.name
                ),
                Auth::Cookie { names } => {
                    say!(
                        out,
                        "  {:<12} Cookie: {}={token}",
                        mount.contract.name,
                        names[0]
                    )
                }
            }
        }
    }
}

/// What the Auth.js contracts' session cookie is, and whether the app's own
/// server will read it.
fn print_authjs_cookies(out: &mut String, config: &MockConfig) {
    if !config
        .mounts
        .iter()
        .any(|m| m.contract.protocol == Some(Protocol::AuthJs))
    {
        return;
    }
    let (library, cookie, enc) = match config.authjs_version {
        session_mock::AuthJsVersion::V5 => ("Auth.js 5", cookie::SESSION_TOKEN, "A256CBC-HS512"),
        session_mock::AuthJsVersion::V4 => ("next-auth 4", cookie::V4_SESSION_TOKEN, "A256GCM"),
    };
    match &config.secret_source {
        Some(source) => say!(
            out,
            "  Auth.js cookies: {library} tokens ({cookie}, dir + {enc}) under the secret from {source}{}: your app's own auth() and middleware read them, and the mock reads the app's",
            if config.auth_secrets.len() > 1 {
                format!(
                    " (and {} older ones for rotation)",
                    config.auth_secrets.len() - 1
                )
            } else {
                String::new()
            }
        ),
        None => say!(
            out,
            "  Auth.js cookies: the mock's own tokens ({cookie}=sms1...): your app's server-side auth() and middleware cannot read them and will clear them; give the app's secret (AUTH_SECRET=... session-mock, or --auth-secret)"
        ),
    }
}

/// How to start a session: sign in where a contract has a protocol, the
/// admin API elsewhere; the users; the clock.
fn print_sessions(out: &mut String, config: &MockConfig, base: &str) {
    let users: Vec<String> = config
        .users
        .iter()
        .map(|u| {
            if u.username == session_mock::DEFAULT_USER
                && u.password == session_mock::DEFAULT_PASSWORD
            {
                format!("{} / {} (default)", u.username, u.password)
            } else {
                u.username.clone()
            }
        })
        .collect();
    let clock = match config.clock {
        Some(at) => format!("frozen at {}", session_mock::format_instant(at)),
        None => "real time".to_owned(),
    };
    let kept = match &config.state_file {
        Some(path) => format!("saved to {}", path.display()),
        None => "in memory".to_owned(),
    };
    say!(
        out,
        "Sessions ({kept}; clock: {clock}; users: {}):",
        users.join(", ")
    );
    for mount in &config.mounts {
        let contract = mount.contract;
        match contract.protocol {
            Some(Protocol::AuthJs) => {
                let auth_base = mount.base();
                say!(
                    out,
                    "  {:<12} sign in at {base}{auth_base}/signin (Auth.js: csrf, providers, callback/credentials, signout)",
                    contract.name
                );
            }
            None if config.admin => say!(
                out,
                "  {:<12} curl -X POST {base}/__mock/sessions -d '{{\"contract\": \"{}\"}}'   (prints a token)",
                contract.name,
                contract.name
            ),
            None => {}
        }
    }
    if config.admin {
        say!(
            out,
            "  clock        curl -X PUT {base}/__mock/clock -d '{{\"advance\": \"2h\"}}'"
        );
    }
    if config.auth == AuthMode::Off {
        say!(
            out,
            "  (requests without a session still get the default scenario; start with --auth so they are signed out)"
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
