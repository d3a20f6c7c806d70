//! Command-line flags of `session-mock`. Each can also come from an
//! environment variable (`SESSION_MOCK_*`); flags win over the environment,
//! which wins over the config file. Doc comments are the help text.

use std::path::PathBuf;

use clap::Parser;

use crate::settings::Settings;

/// A mock of the session endpoints for frontend development.
///
/// Serves every contract (session-api at /auth/session, authjs at
/// /api/auth/session) with valid, empty, 401, 404 and 500 responses. Choose
/// per run (--scenario), per request (`Prefer: code=401`, `Mock-Scenario:
/// empty`, `?__scenario=500`) or at runtime (PUT /__mock/scenarios).
#[derive(Debug, Default, Parser)]
#[command(
    name = "session-mock",
    version,
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = false
)]
pub struct MockArgs {
    /// A TOML config file; its keys are the long flag names.
    #[arg(long, env = "SESSION_MOCK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Every setting: a flag, its variable and its config-file key.
    #[command(flatten)]
    pub settings: Settings,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The app's own secret variable (AUTH_SECRET, else NEXTAUTH_SECRET),
    /// read by the binary: `(variable, value)`.
    #[arg(skip)]
    pub app_secret: Option<(String, String)>,
}

/// What else the binary does besides serving.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the cookies that sign a browser in to an Auth.js app, with no
    /// mock running: for suites that run the real app with its real Auth.js
    /// and only need a signed-in browser. Reads the same configuration as
    /// the server (users, the app's secret from AUTH_SECRET or
    /// --auth-secret, --authjs-version), given before `mint`.
    Mint(MintArgs),
}

/// `session-mock mint`.
#[derive(Debug, Clone, clap::Args)]
pub struct MintArgs {
    /// Who is signed in: a configured user (`--user`, `[[user]]`) or any
    /// login, whose name and email are derived from it. [default: the
    /// first configured user]
    #[arg(long = "as", value_name = "USER")]
    pub user: Option<String>,
    /// What to print: Playwright's `storageState` document, the cookies as
    /// a JSON array (Cypress: `cy.setCookie` each), a `Cookie:` header, or
    /// `Set-Cookie` values. [default: storage-state]
    #[arg(long, value_enum)]
    pub format: Option<MintFormat>,
    /// The app's origin (scheme, host, port): the cookies' domain, and over
    /// https the `__Secure-` name. [default: http://localhost:3000]
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// How long the session lasts, e.g. 1h or 30d. [default: the
    /// contract's, 30d for authjs]
    #[arg(long, value_name = "DURATION")]
    pub lifetime: Option<String>,
}

/// What `mint` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MintFormat {
    StorageState,
    Cookies,
    Header,
    SetCookie,
}

const AFTER_HELP: &str = "\
Scenarios: valid, empty, 401 (unauthorized), 404 (not-found), 500 (server-error).
Per-request choice wins over the runtime choice, which wins over --auth, which
wins over the configured default:
  ?__scenario=NAME  >  Mock-Scenario: NAME  >  Prefer: code=N / example=NAME
Exit codes: 0 clean shutdown, 2 configuration error or address in use.";
