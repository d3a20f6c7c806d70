//! Command-line flags, as clap derive structs. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Check session endpoints against their contracts.
#[derive(Debug, Parser)]
#[command(name = "session-conformance", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

pub const EXIT_CODES: &str =
    "Exit codes: 0 conformant, 1 contract violations found, 2 usage, configuration or I/O error.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a saved response body against a contract.
    Validate(ValidateArgs),
    /// List the contracts: paths, credentials, statuses, scenarios and rules.
    Contracts(ContractsArgs),
    /// Send property-generated requests to a live endpoint and check every
    /// answer against its contract.
    Check(Box<CheckArgs>),
    /// Record the shape of a live endpoint's answers per outcome class as
    /// insta snapshots, and report drift from the recorded ones.
    Snapshot(Box<SnapshotArgs>),
    /// Prove the runner and the mock agree: run the runner against the mock,
    /// in process, in the configurations whose verdicts are known.
    SelfTest(SelfTestArgs),
}

#[derive(Debug, Args)]
#[command(after_help = CHECK_HELP)]
pub struct CheckArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Which endpoints, and the credentials to reach them with.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Targets from a TOML file (`[[target]]` tables) instead of
    /// --contract and --base-url.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["contract", "base_url", "path"])]
    pub config: Option<PathBuf>,
    /// The contract the endpoint implements: a built-in's name (see
    /// `session-conformance contracts`), a loaded one's, or a
    /// `<name>.schema.json` file to load.
    #[arg(
        long,
        short = 'c',
        required_unless_present = "config",
        value_name = "NAME|FILE"
    )]
    pub contract: Option<String>,
    #[command(flatten)]
    pub sources: ContractSources,
    /// Scheme, host and port of the server, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL", required_unless_present = "config")]
    pub base_url: Option<String>,
    /// The endpoint's path, if not the contract's (e.g. /api/v1/auth/session).
    #[arg(long)]
    pub path: Option<String>,
    /// A bearer token the endpoint accepts (session-api). Prefer the
    /// environment variable: flags show in process lists.
    #[arg(
        long,
        env = "SESSION_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// A session cookie the endpoint accepts (authjs), as VALUE or NAME=VALUE.
    #[arg(
        long,
        env = "SESSION_COOKIE",
        hide_env_values = true,
        value_name = "COOKIE"
    )]
    pub cookie: Option<String>,
    /// The session cookie's name, if not the contract's first.
    #[arg(long, value_name = "NAME")]
    pub cookie_name: Option<String>,
    /// A bearer token the endpoint knows but has revoked (expects the revoked outcome).
    #[arg(
        long,
        env = "SESSION_REVOKED_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub revoked_token: Option<String>,
    /// A session cookie the endpoint knows but has revoked.
    #[arg(
        long,
        env = "SESSION_REVOKED_COOKIE",
        hide_env_values = true,
        value_name = "COOKIE"
    )]
    pub revoked_cookie: Option<String>,
    /// A bearer token the endpoint issued that has since expired (the
    /// expired-credential check).
    #[arg(
        long,
        env = "SESSION_EXPIRED_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub expired_token: Option<String>,
    /// A session cookie the endpoint issued that has since expired.
    #[arg(
        long,
        env = "SESSION_EXPIRED_COOKIE",
        hide_env_values = true,
        value_name = "COOKIE"
    )]
    pub expired_cookie: Option<String>,
    /// Sign in by itself and use the fresh credential: `authjs` speaks
    /// Auth.js's credentials flow beside the session route (CSRF token,
    /// callback/credentials, chunked cookies joined). Enables the
    /// lifecycle checks.
    #[arg(
        long,
        value_enum,
        value_name = "PROTOCOL",
        conflicts_with = "sign_in_cmd"
    )]
    pub sign_in: Option<SignInProtocol>,
    /// The user `--sign-in` signs in as. Prefer the environment variable.
    #[arg(
        long,
        env = "SESSION_USER",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub user: Option<String>,
    /// The password `--sign-in` uses. Prefer the environment variable:
    /// flags show in process lists.
    #[arg(
        long,
        env = "SESSION_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub password: Option<String>,
    /// The sign-in form's field for the user (`email` for an email login).
    #[arg(long, default_value = "username", value_name = "FIELD")]
    pub user_field: String,
    /// For any other backend: a command (run with `sh -c`) that signs in
    /// and prints one credential on standard output.
    #[arg(long, value_name = "CMD")]
    pub sign_in_cmd: Option<String>,
    /// A command that ends the session whose credential it finds in
    /// $SESSION_CREDENTIAL (never on its command line).
    #[arg(long, value_name = "CMD", requires = "sign_in_cmd")]
    pub sign_out_cmd: Option<String>,
    /// PEM certificate(s) of a private CA to trust for https targets,
    /// beside the platform's roots.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

/// Sign-in protocols the runner speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignInProtocol {
    /// Auth.js / NextAuth credentials provider.
    Authjs,
}

#[derive(Debug, Args)]
#[command(after_help = SNAPSHOT_HELP)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Directory of the `.snap` files (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Rewrite the snapshots with what the endpoint answers now.
    #[arg(long)]
    pub update: bool,
    /// Fail when a snapshot is missing instead of recording it (for CI).
    #[arg(long, conflicts_with = "update")]
    pub locked: bool,
    /// Record without a valid credential on purpose (the valid class is
    /// skipped). Otherwise a missing credential stops the run (exit 2).
    #[arg(long)]
    pub no_credential: bool,
    /// Requests per outcome class; their shapes are merged, so a field
    /// present in only some answers is recorded as optional (`name?`).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub samples: u32,
    /// Time allowed for one request, body included.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub timeout: String,
    /// Bodies are read up to this size (B, KiB, MiB).
    #[arg(long, default_value = "1MiB", value_name = "SIZE")]
    pub max_body: String,
    /// Colour in the diff.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

pub const SNAPSHOT_HELP: &str = "\
Records the shape of each outcome class (valid, unauthenticated, malformed, and
revoked when a revoked credential is given) as insta .snap files named
<target>__<class>.snap; a later run compares against them. A shape keeps
structure, not data: every value becomes its kind ([uuid], [datetime],
[string], ...), a field missing from some answers is written `name?`.

Exit codes: 0 no drift (missing snapshots recorded, or rewritten with --update),
1 drift: a field appeared, disappeared or changed kind, 2 usage or connection error.";

/// How the cases run and what is reported; the same for every target.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Cases per target (at most a million: they are generated up front).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub cases: u32,
    /// Seed of the case generator: the same seed sends the same cases.
    /// Random (and printed) when not given.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// At most this many requests per second, for shared environments.
    #[arg(long, value_name = "PER_SECOND")]
    pub rate_limit: Option<f64>,
    /// Time allowed for one request, body included.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub timeout: String,
    /// Bodies are read up to this size (B, KiB, MiB); a longer one is a violation.
    #[arg(long, default_value = "1MiB", value_name = "SIZE")]
    pub max_body: String,
    /// A slower answer is a warning.
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    pub max_response_time: String,
    /// Clock difference forgiven when judging timestamps against the time
    /// an answer was received.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub clock_skew: String,
    /// Checks to apply: names or groups (response, oracle, hygiene, all),
    /// comma-separated; `-name` removes one.
    #[arg(long, default_value = "all", value_name = "LIST")]
    pub checks: String,
    /// Warnings count as errors.
    #[arg(long)]
    pub strict: bool,
    /// Run without a valid credential on purpose: only cases without one
    /// are sent. Otherwise a missing credential stops the run (exit 2), so
    /// an unset secret in CI never passes; `--checks response` needs none.
    #[arg(long)]
    pub no_credential: bool,
    /// Reject properties the contract does not declare.
    #[arg(long)]
    pub strict_schema: bool,
    /// Requests spent shrinking one failure to a minimal case, at most.
    #[arg(long, default_value_t = 128, value_name = "N")]
    pub max_shrink: u32,
    /// Also write a report: `json=PATH` or `junit=PATH` (repeatable).
    #[arg(long, value_name = "KIND=PATH")]
    pub report: Vec<String>,
    /// The summary on standard output: for people, or the JSON report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Colour in the summary.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// No progress bar (it shows on a terminal, for runs over a second).
    #[arg(long, alias = "no-progress")]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When standard output is a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct SelfTestArgs {
    /// Cases per run.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub cases: u32,
    /// Seed of the case generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also prove the claims for the contract in FILE (`<name>.schema.json`;
    /// repeatable).
    #[arg(long, value_name = "FILE")]
    pub contract: Vec<PathBuf>,
    #[command(flatten)]
    pub sources: ContractSources,
}

pub const CHECK_HELP: &str = "\
Credentials come from SESSION_TOKEN / SESSION_COOKIE (and SESSION_REVOKED_TOKEN /
SESSION_REVOKED_COOKIE, SESSION_EXPIRED_TOKEN / SESSION_EXPIRED_COOKIE) or the
flags; reports and reproductions never contain them. Or the runner signs in by
itself: `--sign-in authjs` with SESSION_USER / SESSION_PASSWORD, or
`--sign-in-cmd CMD` (and `--sign-out-cmd CMD`); then the lifecycle checks run
too (sign-out-ends-session, csrf-protected, fresh-credential).

A config file lists targets; run-wide flags still apply:
  [[target]]
  name = \"api\"                       # optional label
  contract = \"session-api\"
  base-url = \"http://127.0.0.1:8080\"
  path = \"/api/v1/auth/session\"      # optional
  token-env = \"API_TOKEN\"            # variables that hold the secrets
  revoked-token-env = \"API_REVOKED_TOKEN\"
  expired-token-env = \"API_EXPIRED_TOKEN\"
  # sign-in = \"authjs\"               # or sign-in-cmd / sign-out-cmd
  # user-env = \"SESSION_USER\"        # the defaults
  # password-env = \"SESSION_PASSWORD\"

Exit codes: 0 conformant, 1 contract violations found, 2 usage, configuration or
connection error (unreachable target, rejected credential).";

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct ValidateArgs {
    /// The contract the response claims to follow: a built-in's name, a
    /// loaded one's, or a `<name>.schema.json` file to load.
    #[arg(long, short = 'c', value_name = "NAME|FILE")]
    pub contract: String,
    #[command(flatten)]
    pub sources: ContractSources,
    /// The HTTP status the response was served with. Read from the input
    /// when it is `curl -si` output; otherwise 200 is assumed (and said).
    #[arg(long, short = 's')]
    pub status: Option<u16>,
    /// Reject properties the contract does not declare.
    #[arg(long)]
    pub strict: bool,
    /// Also judge the rules about the present (an active session not
    /// expired, last activity not in the future) as of this RFC 3339 time,
    /// or `now`. Without it, a saved file is judged only on rules that hold
    /// at any time.
    #[arg(long, value_name = "TIME")]
    pub received_at: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// The response: a JSON body, or what `curl -si` printed (status line
    /// and headers, then the body; the headers are judged too). A file, or
    /// `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ContractsArgs {
    #[command(subcommand)]
    pub action: Option<ContractsAction>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also load the contract in FILE (`<name>.schema.json`; repeatable).
    #[arg(long, value_name = "FILE")]
    pub contract: Vec<PathBuf>,
    #[command(flatten)]
    pub sources: ContractSources,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output for people, or JSON for programs.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// Contracts loaded at run time, beside the built-ins.
#[derive(Debug, Clone, Default, Args)]
pub struct ContractSources {
    /// Also load every `<name>.schema.json` in DIR (their fixtures in
    /// `fixtures/<name>/` beside them or beside DIR; repeatable). One with a
    /// built-in's name replaces it.
    #[arg(long = "contracts", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
}

/// What `contracts` does besides listing.
#[derive(Debug, Subcommand)]
pub enum ContractsAction {
    /// Write the contracts as an OpenAPI 3.1 document (JSON, which is YAML
    /// too): schemas, security schemes, headers and named examples. Prism
    /// mocks it, Schemathesis tests a server with it.
    Export(ExportArgs),
    /// Make a contract from one operation of an OpenAPI 3 document (JSON or YAML):
    /// `<out>/<name>.schema.json` and `<out>/fixtures/<name>/`. What it
    /// cannot infer is filled with defaults it prints; it checks the result
    /// loads before writing anything.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The OpenAPI document (JSON, or YAML for a `.yaml` / `.yml` file).
    #[arg(value_name = "OPENAPI")]
    pub document: PathBuf,
    /// The operation, as METHOD /path.
    #[arg(long, value_name = "'GET /path'")]
    pub operation: String,
    /// The contract's name (default: the operation's, or its operationId).
    #[arg(long)]
    pub name: Option<String>,
    /// Where to write the contract and its fixtures.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The document's kind.
    #[arg(long, value_enum, default_value_t = ExportFormat::Openapi)]
    pub format: ExportFormat,
    /// Write it here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The contracts to export, by name (all loaded ones when none).
    #[arg(value_name = "CONTRACT")]
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// OpenAPI 3.1.
    Openapi,
}
