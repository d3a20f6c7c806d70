//! Command-line flags of `session-mock`. Each can also come from an
//! environment variable (`SESSION_MOCK_*`); flags win over the environment,
//! which wins over the config file. Doc comments are the help text.

use std::path::PathBuf;

use clap::Parser;

use serde::{Deserialize, Serialize};

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
    /// Address to listen on. Loopback unless you mean to share the mock.
    /// [default: 127.0.0.1:4010]
    #[arg(long, env = "SESSION_MOCK_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Port on 127.0.0.1: `--port 8080` is `--listen 127.0.0.1:8080`.
    #[arg(
        long,
        env = "SESSION_MOCK_PORT",
        value_name = "PORT",
        conflicts_with = "listen"
    )]
    pub port: Option<u16>,
    /// Also serve the contract in FILE (`<name>.schema.json`, its fixtures
    /// in `fixtures/<name>/` beside it or beside its directory; repeatable).
    /// One with a built-in's name replaces it.
    #[arg(
        long,
        env = "SESSION_MOCK_CONTRACT",
        value_delimiter = ',',
        value_name = "FILE"
    )]
    pub contract: Vec<PathBuf>,
    /// Also serve every `<name>.schema.json` in DIR (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_CONTRACTS",
        value_delimiter = ',',
        value_name = "DIR"
    )]
    pub contracts: Vec<PathBuf>,
    /// Default scenario: NAME for every contract that has it, or
    /// CONTRACT=NAME (repeatable). [default: each contract's signed-in one]
    #[arg(
        long,
        env = "SESSION_MOCK_SCENARIO",
        value_delimiter = ',',
        value_name = "[CONTRACT=]NAME"
    )]
    pub scenario: Vec<String>,
    /// Mount a contract at another path, e.g. session-api=/api/v1/auth/session (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_PATH",
        value_delimiter = ',',
        value_name = "CONTRACT=PATH"
    )]
    pub path: Vec<String>,
    /// Serve only these contracts (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_ONLY",
        value_delimiter = ',',
        value_name = "CONTRACT"
    )]
    pub only: Vec<String>,
    /// Leave these contracts out (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_WITHOUT",
        value_delimiter = ',',
        value_name = "CONTRACT"
    )]
    pub without: Vec<String>,
    /// Where bodies come from. [default: fixture]
    #[arg(long, env = "SESSION_MOCK_DATA", value_enum)]
    pub data: Option<DataMode>,
    /// Seed for generated data and for --fail-rate. [default: 0]
    #[arg(long, env = "SESSION_MOCK_SEED")]
    pub seed: Option<u64>,
    /// Answer like a real server, by the request's credential. `--auth` alone
    /// means `known`: configured credentials and tokens the mock issues.
    /// [default: off]
    #[arg(long, env = "SESSION_MOCK_AUTH", value_enum, num_args = 0..=1, default_missing_value = "known")]
    pub auth: Option<AuthMode>,
    /// A bearer token the mock accepts (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_TOKEN",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Vec<String>,
    /// A session-cookie value the mock accepts (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_COOKIE",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "VALUE"
    )]
    pub cookie: Vec<String>,
    /// A credential answered as revoked: 404 / `{}` (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_REVOKED",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "CREDENTIAL"
    )]
    pub revoked: Vec<String>,
    /// Key that signs the tokens the mock issues (stable across restarts).
    /// [default: a fixed development key]
    #[arg(
        long,
        env = "SESSION_MOCK_SIGNING_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub signing_key: Option<String>,
    /// Your app's Auth.js secret. The mock then writes its authjs session
    /// cookie as Auth.js does (an encrypted token your app's own `auth()`
    /// and middleware read) and takes the cookies your app writes.
    /// Repeatable for rotation: the first encrypts, all decrypt. Without
    /// it, AUTH_SECRET (Auth.js 5) or else NEXTAUTH_SECRET (next-auth 4).
    #[arg(
        long,
        env = "SESSION_MOCK_AUTH_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub auth_secret: Vec<String>,
    /// Which Auth.js the cookies the mock writes are for: v5 (@auth/core,
    /// `authjs.session-token`) or v4 (next-auth 4,
    /// `next-auth.session-token`). A cookie sent is read by its name.
    /// [default: v5]
    #[arg(
        long,
        env = "SESSION_MOCK_AUTHJS_VERSION",
        value_enum,
        value_name = "VERSION"
    )]
    pub authjs_version: Option<AuthJsVersion>,
    /// The app's own secret variable (AUTH_SECRET, else NEXTAUTH_SECRET),
    /// read by the binary: `(variable, value)`.
    #[arg(skip)]
    pub app_secret: Option<(String, String)>,
    /// JSON merged into the valid body: CONTRACT=JSON or CONTRACT=@FILE (repeatable).
    #[arg(
        long = "override",
        env = "SESSION_MOCK_OVERRIDE",
        value_name = "CONTRACT=JSON"
    )]
    pub overrides: Vec<String>,
    /// Serve an override even if it breaks the schema.
    #[arg(long, env = "SESSION_MOCK_ALLOW_INVALID_OVERRIDE")]
    pub allow_invalid_override: bool,
    /// Delay before every answer, e.g. 200ms. [default: 0ms]
    #[arg(long, env = "SESSION_MOCK_LATENCY", value_name = "DURATION")]
    pub latency: Option<String>,
    /// Random extra delay, up to this much either way of --latency. [default: 0ms]
    #[arg(long, env = "SESSION_MOCK_JITTER", value_name = "DURATION")]
    pub jitter: Option<String>,
    /// Share of requests turned into 500s (0 to 1), deterministic for a --seed.
    /// [default: 0]
    #[arg(long, env = "SESSION_MOCK_FAIL_RATE", value_name = "RATE")]
    pub fail_rate: Option<f64>,
    /// Another origin allowed to call with credentials, added to the
    /// defaults http://localhost:* and http://127.0.0.1:*; `*` in the port
    /// matches any port (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_CORS_ORIGIN",
        value_delimiter = ',',
        value_name = "ORIGIN"
    )]
    pub cors_origin: Vec<String>,
    /// How many recent requests GET /__mock/requests keeps (0 turns it off).
    /// [default: 256]
    #[arg(long, env = "SESSION_MOCK_JOURNAL_SIZE", value_name = "N")]
    pub journal_size: Option<usize>,
    /// Allow only the --cors-origin origins, not the localhost defaults.
    #[arg(long, env = "SESSION_MOCK_NO_DEFAULT_ORIGINS")]
    pub no_default_origins: bool,
    /// Turn off the admin API (/__mock/scenarios, /__mock/requests, ...) and the control page (/__mock/).
    #[arg(long, env = "SESSION_MOCK_NO_ADMIN")]
    pub no_admin: bool,
    /// Serve the admin API to non-loopback peers too.
    #[arg(long, env = "SESSION_MOCK_ADMIN_OPEN")]
    pub admin_open: bool,
    /// Who may sign in, USERNAME:PASSWORD (repeatable). Without any, `dev:dev`.
    /// Profile fields come from `[[user]]` tables in the config file.
    #[arg(
        long,
        env = "SESSION_MOCK_USER",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "USER:PASSWORD"
    )]
    pub user: Vec<String>,
    /// Start the mock's clock frozen at this instant (RFC 3339, between
    /// 1970-01-01T00:00:00Z and 9000-01-01T00:00:00Z); move it with PUT
    /// /__mock/clock.
    #[arg(long, env = "SESSION_MOCK_CLOCK", value_name = "INSTANT")]
    pub clock: Option<String>,
    /// Keep sessions, their endings and activity in this file (a log:
    /// each change appended before it is answered, activity once a
    /// second), and restore them at start.
    #[arg(long, env = "SESSION_MOCK_STATE", value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Most live sessions held at once; ten times as many ended ones are
    /// remembered until their credentials expire. [default: 100000]
    #[arg(long, env = "SESSION_MOCK_MAX_SESSIONS", value_name = "N")]
    pub max_sessions: Option<usize>,
    /// Lifetime of a new session, e.g. 1h or 30d (default: each contract's
    /// fixture's, session-api 1h, authjs 30d).
    #[arg(long, env = "SESSION_MOCK_SESSION_LIFETIME", value_name = "DURATION")]
    pub session_lifetime: Option<String>,
    /// What Auth.js sign-out does: `database` ends the session; `jwt`, like
    /// Auth.js's JWT sessions, only clears the cookie, so a copy of it keeps
    /// working until it expires. [default: database]
    #[arg(
        long,
        env = "SESSION_MOCK_SESSION_STRATEGY",
        value_enum,
        value_name = "STRATEGY"
    )]
    pub session_strategy: Option<SessionStrategy>,
    /// Validating proxy: send the contract endpoints' requests (and their
    /// sign-in routes') to the real backend at URL and judge every answer
    /// against the contract; CONTRACT=URL for one contract (repeatable).
    /// A request that asks for a scenario is still answered by the mock.
    #[arg(
        long,
        env = "SESSION_MOCK_PROXY",
        value_delimiter = ',',
        value_name = "[CONTRACT=]URL"
    )]
    pub proxy: Vec<String>,
    /// Turn an upstream answer that breaks the contract into a 502 listing
    /// the violations.
    #[arg(long, env = "SESSION_MOCK_PROXY_STRICT")]
    pub proxy_strict: bool,
    /// Answer from the mock when the upstream is unreachable or too slow
    /// (marked `Mock-Source: fallback`).
    #[arg(long, env = "SESSION_MOCK_PROXY_FALLBACK")]
    pub proxy_fallback: bool,
    /// Time allowed for the upstream's whole answer. [default: 10s]
    #[arg(long, env = "SESSION_MOCK_PROXY_TIMEOUT", value_name = "DURATION")]
    pub proxy_timeout: Option<String>,
    /// Log level or filter (error, warn, info, debug, trace). [default: info]
    #[arg(long, env = "SESSION_MOCK_LOG", value_name = "LEVEL")]
    pub log: Option<String>,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What else the binary does besides serving.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the cookies that sign a browser in to an Auth.js app, with no
    /// mock running: for suites that run the real app with its real Auth.js
    /// and only need a signed-in browser. Reads the same configuration as
    /// the server (users, the app's secret from AUTH_SECRET or
    /// --auth-secret, --authjs-version).
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

/// Where a scenario's body comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DataMode {
    /// The golden fixtures, timestamps moved to the present.
    Fixture,
    /// The golden fixtures byte for byte, for snapshot tests.
    Frozen,
    /// Bodies generated from the schema, seeded, timestamps around now.
    Generated,
}

/// Whether (and how) the response follows the request's credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// The configured scenario, whatever the request carries.
    Off,
    /// Only configured credentials and tokens the mock issued are valid.
    Known,
    /// Any well-formed credential is valid.
    Any,
}

/// Which Auth.js writes (and reads) the session cookie's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum AuthJsVersion {
    /// Auth.js 5 / @auth/core: `authjs.session-token`, dir + A256CBC-HS512.
    V5,
    /// next-auth 4: `next-auth.session-token`, dir + A256GCM.
    V4,
}

/// What ending an Auth.js session does, as Auth.js's `session.strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SessionStrategy {
    /// Sessions live in the mock's store: sign-out ends them for real.
    Database,
    /// Like Auth.js's JWT sessions: sign-out only clears the cookie, and a
    /// copy of the old cookie keeps its session until it expires.
    Jwt,
}
