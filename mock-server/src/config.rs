//! The mock's effective configuration, and how it is built from its sources.
//!
//! Precedence: flag > environment (`SESSION_MOCK_*`, handled by clap) >
//! config file (TOML) > defaults. Everything is checked here, before a socket
//! is opened, so every mistake is reported at once with the key and value.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use session_schemas::{Contract, Outcome, Registry};
use thiserror::Error;

use crate::args::MockArgs;
use crate::duration;

// The flags' value enums live beside the flags (`args`); the configuration
// uses them as they are.
pub use crate::args::{AuthJsVersion, AuthMode, DataMode, SessionStrategy};

/// One contract served at one path.
#[derive(Debug, Clone)]
pub struct Mount {
    pub contract: &'static Contract,
    pub path: String,
    /// Canonical name of the default scenario.
    pub scenario: String,
    /// JSON merged into the authenticated body.
    pub overrides: Option<Value>,
    /// The real backend its requests go to (`--proxy`), judged on the way back.
    pub upstream: Option<crate::proxy::Upstream>,
}

impl Mount {
    /// The path the session route sits under (`/api/auth` for
    /// `/api/auth/session`), where a sign-in protocol's routes go.
    pub fn base(&self) -> &str {
        self.path.rsplit_once('/').map_or("", |(base, _)| base)
    }
}

/// Someone who may sign in, and the profile fields their sessions show.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: String,
    pub password: String,
    /// The user's id; derived from the username when not given.
    pub id: Option<String>,
    /// Fields merged into the contract's user object (e.g. `user_type`).
    pub profile: serde_json::Map<String, Value>,
}

impl User {
    /// `USERNAME:PASSWORD`, as `--user` takes it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (username, password) = text
            .split_once(':')
            .ok_or_else(|| "expected USERNAME:PASSWORD, e.g. alice:secret".to_owned())?;
        Self::checked(username, password, serde_json::Map::new())
    }

    fn checked(
        username: &str,
        password: &str,
        mut profile: serde_json::Map<String, Value>,
    ) -> Result<Self, String> {
        if username.is_empty() || username.chars().any(|c| c.is_control() || c == ':') {
            return Err("a username is non-empty, without `:` or control characters".to_owned());
        }
        if password.is_empty() {
            return Err(format!("user `{username}`: the password is empty"));
        }
        let id = match profile.remove("id") {
            None => None,
            Some(Value::String(id)) if !id.is_empty() => Some(id),
            Some(other) => {
                return Err(format!(
                    "user `{username}`: id must be a non-empty string, not {other}"
                ));
            }
        };
        profile.remove("username");
        Ok(Self {
            username: username.to_owned(),
            password: password.to_owned(),
            id,
            profile,
        })
    }

    /// The configured user `login`, or one who goes by that login alone
    /// (no password, a profile derived from it).
    pub fn by_login(users: &[Self], login: &str) -> Self {
        users
            .iter()
            .find(|u| u.username == login)
            .cloned()
            .unwrap_or_else(|| Self {
                username: login.to_owned(),
                password: String::new(),
                id: None,
                profile: serde_json::Map::new(),
            })
    }

    /// The user who may sign in when none is configured.
    pub fn default_user() -> Self {
        Self {
            username: DEFAULT_USER.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
            id: None,
            profile: serde_json::Map::new(),
        }
    }
}

/// The display name and email a user goes by: the profile's `name` and
/// `email` when they are strings, else derived from the login, so that
/// `--user alice:secret` is "Alice", `alice@example.com`.
pub fn persona(login: &str, profile: &serde_json::Map<String, Value>) -> (String, String) {
    let field = |key: &str| profile.get(key).and_then(Value::as_str).map(str::to_owned);
    (
        field("name").unwrap_or_else(|| name_from_login(login)),
        field("email").unwrap_or_else(|| email_from_login(login)),
    )
}

/// `alice.liddell` (or `alice.liddell@example.com`) is "Alice Liddell":
/// the part before any `@`, its words capitalized.
pub fn name_from_login(login: &str) -> String {
    let local = login.split('@').next().unwrap_or(login);
    let words: Vec<String> = local
        .split(['.', '_', '-', ' ', '+'])
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect();
    if words.is_empty() {
        login.to_owned()
    } else {
        words.join(" ")
    }
}

/// The login when it is an email address, else `<login>@example.com`
/// (a domain reserved for examples, RFC 2606), its local part kept to the
/// characters an address allows.
pub fn email_from_login(login: &str) -> String {
    if let Some((local, domain)) = login.split_once('@')
        && !local.is_empty()
        && domain.contains('.')
        && !login.contains(char::is_whitespace)
    {
        return login.to_owned();
    }
    let local: String = login
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                c
            } else {
                '.'
            }
        })
        .collect();
    let local = local.trim_matches('.');
    let local = if local.is_empty() { "user" } else { local };
    format!("{local}@example.com")
}

/// `[[user]]` in the config file: `username`, `password`, any profile fields.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FileUser {
    pub username: String,
    pub password: String,
    #[serde(flatten)]
    pub fields: toml::Table,
}

/// Everything the server needs, checked.
#[derive(Debug, Clone)]
pub struct MockConfig {
    pub listen: SocketAddr,
    pub mounts: Vec<Mount>,
    pub data: DataMode,
    pub seed: u64,
    pub auth: AuthMode,
    /// Why `auth` is what it is when no one said (users or a secret given).
    pub auth_implied: Option<&'static str>,
    /// The app's Auth.js secrets (first encrypts); none: `sms1` cookies.
    pub auth_secrets: Vec<String>,
    /// Where the secrets came from, for the banner (never their values).
    pub secret_source: Option<String>,
    pub authjs_version: AuthJsVersion,
    pub tokens: Vec<String>,
    pub cookies: Vec<String>,
    pub revoked: Vec<String>,
    pub signing_key: String,
    pub latency: Duration,
    pub jitter: Duration,
    pub fail_rate: f64,
    pub cors_origins: Vec<String>,
    /// 0 turns the journal off.
    pub journal_size: usize,
    pub admin: bool,
    /// Serve the admin API and journal to non-loopback peers too.
    pub admin_open: bool,
    pub allow_invalid_override: bool,
    pub log: String,
    /// Who may sign in (the default user when none is configured).
    pub users: Vec<User>,
    /// Start the clock frozen at this instant.
    pub clock: Option<time::OffsetDateTime>,
    /// Where sessions and revocations are saved across restarts.
    pub state_file: Option<PathBuf>,
    /// Most live sessions held at once.
    pub max_sessions: usize,
    /// A new session's lifetime; by default each contract's fixture says.
    pub session_lifetime: Option<Duration>,
    /// Whether sign-out ends a session or only clears its cookie.
    pub session_strategy: SessionStrategy,
    /// What the start should tell the user about how flags were applied.
    pub notes: Vec<String>,
    /// Contract files and directories loaded beside the built-ins.
    pub contract_files: Vec<PathBuf>,
    pub contract_dirs: Vec<PathBuf>,
    /// How the validating proxy treats the upstreams of mounts that have one.
    pub proxy: ProxySettings,
}

/// The validating proxy's settings (the upstreams are per mount).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxySettings {
    /// A violating answer becomes a 502 listing the violations.
    pub strict: bool,
    /// An unreachable or silent upstream is answered by the mock.
    pub fallback: bool,
    /// Time allowed for the upstream's whole answer.
    pub timeout: Duration,
}

pub const DEFAULT_PROXY_TIMEOUT: Duration = Duration::from_secs(10);

pub const DEFAULT_USER: &str = "dev";
pub const DEFAULT_PASSWORD: &str = "dev";
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:4010";
pub const DEFAULT_SIGNING_KEY: &str = "session-mock-development-key";
pub const DEFAULT_CORS_ORIGINS: [&str; 2] = ["http://localhost:*", "http://127.0.0.1:*"];
pub const DEFAULT_JOURNAL_SIZE: usize = 256;

/// A configuration that cannot be used; the message names key and value.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    ParseFile { path: PathBuf, message: String },
    #[error("{key} = {value:?}: {message}")]
    Invalid {
        key: String,
        value: String,
        message: String,
    },
}

fn invalid(key: &str, value: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        value: value.into(),
        message: message.into(),
    }
}

/// The config file's shape. Every key is optional; unknown keys are errors.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    /// Contract files served beside the built-ins (`--contract`).
    pub contract: Option<Vec<PathBuf>>,
    /// Directories of contract files (`--contracts`).
    pub contracts_dir: Option<Vec<PathBuf>>,
    pub listen: Option<String>,
    pub port: Option<u16>,
    pub data: Option<DataMode>,
    pub seed: Option<u64>,
    pub auth: Option<AuthMode>,
    #[serde(alias = "token")]
    pub tokens: Option<Vec<String>>,
    #[serde(alias = "cookie")]
    pub cookies: Option<Vec<String>>,
    pub revoked: Option<Vec<String>>,
    pub signing_key: Option<String>,
    /// One secret, or several for rotation (`--auth-secret`).
    pub auth_secret: Option<OneOrMany>,
    pub authjs_version: Option<AuthJsVersion>,
    pub latency: Option<String>,
    pub jitter: Option<String>,
    pub fail_rate: Option<f64>,
    #[serde(alias = "cors-origin")]
    pub cors_origins: Option<Vec<String>>,
    /// `false`: only `cors-origins`, not the localhost defaults.
    pub default_origins: Option<bool>,
    pub journal_size: Option<usize>,
    pub admin: Option<bool>,
    pub admin_open: Option<bool>,
    pub allow_invalid_override: Option<bool>,
    pub log: Option<String>,
    pub clock: Option<String>,
    pub state: Option<PathBuf>,
    pub max_sessions: Option<usize>,
    pub session_lifetime: Option<String>,
    pub session_strategy: Option<SessionStrategy>,
    /// The upstream of every contract (`--proxy URL`); `[contracts.X] proxy` for one.
    pub proxy: Option<String>,
    pub proxy_strict: Option<bool>,
    pub proxy_fallback: Option<bool>,
    pub proxy_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub contracts: BTreeMap<String, FileMount>,
    /// `[[user]]` tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user: Vec<FileUser>,
}

/// At most one contract at each path. A built-in at its default path gives
/// way to a contract loaded from a file at the same path (with a note);
/// any other pair is an error naming both and what to do.
fn one_contract_a_path(
    mounts: Vec<Mount>,
    yielding: &[bool],
) -> Result<(Vec<Mount>, Vec<String>), ConfigError> {
    let mut notes = Vec::new();
    let mut dropped = vec![false; mounts.len()];
    for (i, a) in mounts.iter().enumerate() {
        for (j, b) in mounts.iter().enumerate().skip(i + 1) {
            if a.path != b.path || dropped[i] || dropped[j] {
                continue;
            }
            let (gives, takes) = match (yielding[i], yielding[j]) {
                (true, false) => (i, j),
                (false, true) => (j, i),
                _ => {
                    return Err(invalid(
                        "path",
                        &a.path,
                        format!(
                            "contracts `{}` and `{}` are both mounted here; move one (--path {}=/another/path) or leave one out (--without {})",
                            a.contract.name, b.contract.name, b.contract.name, b.contract.name
                        ),
                    ));
                }
            };
            dropped[gives] = true;
            notes.push(format!(
                "{} is served at {} in place of the built-in {} (give the built-in another --path to serve both)",
                mounts[takes].contract.name, mounts[takes].path, mounts[gives].contract.name
            ));
        }
    }
    let kept = mounts
        .into_iter()
        .zip(dropped)
        .filter_map(|(mount, dropped)| (!dropped).then_some(mount))
        .collect();
    Ok((kept, notes))
}

/// A key that takes one string or a list of them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(one) => vec![one],
            Self::Many(many) => many,
        }
    }
}

/// `[contracts.<name>]` in the config file.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileMount {
    pub enabled: Option<bool>,
    pub path: Option<String>,
    pub scenario: Option<String>,
    #[serde(rename = "override")]
    pub overrides: Option<toml::Value>,
    pub proxy: Option<String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::ParseFile {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })
    }
}

impl MockConfig {
    /// The defaults alone: both contracts at their documented paths, `valid`.
    pub fn defaults() -> Self {
        Self::from_sources(&MockArgs::default(), FileConfig::default())
            .expect("the defaults are valid")
    }

    /// Merges flags/environment over the file over the defaults, and checks the result.
    pub fn from_sources(args: &MockArgs, file: FileConfig) -> Result<Self, ConfigError> {
        let contract_files: Vec<PathBuf> = args
            .contract
            .iter()
            .chain(file.contract.iter().flatten())
            .cloned()
            .collect();
        let contract_dirs: Vec<PathBuf> = args
            .contracts
            .iter()
            .chain(file.contracts_dir.iter().flatten())
            .cloned()
            .collect();
        let (registry, mut notes) = Registry::loaded(&contract_files, &contract_dirs)
            .map_err(|e| invalid("contract", "(loading)", e.to_string()))?;
        if file.listen.is_some() && file.port.is_some() {
            return Err(invalid(
                "port",
                file.port.map(|p| p.to_string()).unwrap_or_default(),
                "give `listen` or `port`, not both",
            ));
        }
        let listen_text = args
            .listen
            .clone()
            .or_else(|| args.port.map(|p| format!("127.0.0.1:{p}")))
            .or(file.listen)
            .or_else(|| file.port.map(|p| format!("127.0.0.1:{p}")))
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            invalid(
                "listen",
                &listen_text,
                "not an address such as 127.0.0.1:4010 or [::1]:4010",
            )
        })?;
        let latency = parse_duration("latency", args.latency.clone().or(file.latency))?;
        let jitter = parse_duration("jitter", args.jitter.clone().or(file.jitter))?;
        let fail_rate = args.fail_rate.or(file.fail_rate).unwrap_or(0.0);
        if !(0.0..=1.0).contains(&fail_rate) {
            return Err(invalid(
                "fail-rate",
                fail_rate.to_string(),
                "must be between 0 and 1 (0.1 fails one request in ten)",
            ));
        }
        // Given origins add to the localhost defaults unless told otherwise.
        let keep_defaults = !args.no_default_origins && file.default_origins.unwrap_or(true);
        let mut cors_origins: Vec<String> = if keep_defaults {
            DEFAULT_CORS_ORIGINS.map(str::to_owned).to_vec()
        } else {
            Vec::new()
        };
        for origin in non_empty(args.cors_origin.clone())
            .or(file.cors_origins)
            .unwrap_or_default()
        {
            if !cors_origins.contains(&origin) {
                cors_origins.push(origin);
            }
        }
        for origin in &cors_origins {
            crate::cors::check_pattern(origin)
                .map_err(|message| invalid("cors-origin", origin, message))?;
        }

        // Per-contract settings: file tables first, then flags on top.
        for name in file.contracts.keys() {
            registry
                .get(name)
                .map_err(|e| invalid(&format!("contracts.{name}"), name, e.to_string()))?;
        }
        let mut mounts = Vec::new();
        // Whether each mount is a built-in that gives way (as `yields`).
        let mut yielding: Vec<bool> = Vec::new();
        let (mut bare_applied, mut bare_skipped): (Vec<String>, Vec<String>) =
            (Vec::new(), Vec::new());
        for contract in registry.contracts() {
            let from_file = file
                .contracts
                .get(&contract.name)
                .cloned()
                .unwrap_or_default();
            let key = |field: &str| format!("contracts.{}.{field}", contract.name);
            let mut enabled = from_file.enabled.unwrap_or(true);
            if !args.only.is_empty() {
                enabled = args.only.iter().any(|n| n == &contract.name);
            }
            if args.without.iter().any(|n| n == &contract.name) {
                enabled = false;
            }
            if !enabled {
                continue;
            }
            let chosen_path = per_contract(registry, &args.path, &contract.name, "path", false)?
                .map(|(path, _)| path)
                .or(from_file.path);
            // A built-in at its own path gives way to a loaded contract
            // mounted there (below).
            let yields = chosen_path.is_none() && registry.is_builtin(&contract.name);
            let path = chosen_path.unwrap_or_else(|| contract.path.clone());
            if !path.starts_with('/')
                || path.starts_with("/__mock")
                || path.contains(['?', '#', ' '])
            {
                return Err(invalid(
                    &key("path"),
                    &path,
                    "must start with `/`, not under /__mock, and hold no `?`, `#` or space",
                ));
            }
            // The default is the manifest's authenticated outcome, whatever
            // its name. A bare `--scenario NAME` applies to the contracts
            // that have NAME; the others keep theirs, and the start says so.
            let configured = from_file
                .scenario
                .clone()
                .unwrap_or_else(|| contract.outcome(Outcome::Authenticated).name.clone());
            let mut scenario_name = configured.clone();
            match per_contract(registry, &args.scenario, &contract.name, "scenario", true)? {
                Some((name, true)) if contract.scenario(&name).is_err() => {
                    bare_skipped.push(contract.name.clone());
                }
                Some((name, bare)) => {
                    if bare {
                        bare_applied.push(contract.name.clone());
                    }
                    scenario_name = name;
                }
                None => {}
            }
            let scenario = contract
                .scenario(&scenario_name)
                .map_err(|e| invalid(&key("scenario"), &scenario_name, e.to_string()))?;
            let overrides =
                match per_contract(registry, &args.overrides, &contract.name, "override", false)?
                    .map(|(text, _)| text)
                {
                    Some(text) => Some(parse_override(&key("override"), &text)?),
                    None => from_file
                        .overrides
                        .map(toml_to_json)
                        .transpose()
                        .map_err(|m| invalid(&key("override"), "(table)", m))?,
                };
            if let Some(o) = &overrides
                && !o.is_object()
            {
                return Err(invalid(
                    &key("override"),
                    o.to_string(),
                    "must be a JSON object to merge into the body",
                ));
            }
            let upstream =
                match per_contract(registry, &args.proxy, &contract.name, "proxy", true)? {
                    Some((url, _)) => Some(("proxy".to_owned(), url)),
                    None => from_file
                        .proxy
                        .map(|url| (key("proxy"), url))
                        .or_else(|| file.proxy.clone().map(|url| ("proxy".to_owned(), url))),
                }
                .map(|(key, url)| {
                    crate::proxy::Upstream::parse(&url).map_err(|m| {
                        // A URL with a password is not echoed.
                        let shown = if url.contains('@') {
                            "(hidden)"
                        } else {
                            url.as_str()
                        };
                        invalid(&key, shown, m)
                    })
                })
                .transpose()?;
            yielding.push(yields);
            mounts.push(Mount {
                contract,
                path,
                scenario: scenario.name.clone(),
                overrides,
                upstream,
            });
        }
        for name in args.only.iter().chain(&args.without) {
            registry
                .get(name)
                .map_err(|e| invalid("only/without", name, e.to_string()))?;
        }
        if mounts.is_empty() {
            return Err(invalid(
                "contracts",
                "(none)",
                "every contract is left out; nothing to serve",
            ));
        }
        if !bare_skipped.is_empty() {
            let name = args
                .scenario
                .iter()
                .rev()
                .find(|v| !v.contains('='))
                .cloned()
                .unwrap_or_default();
            if bare_applied.is_empty() {
                // No contract has it: a typo, most likely.
                let known: Vec<String> = mounts
                    .iter()
                    .flat_map(|m| m.contract.scenarios.iter())
                    .flat_map(|s| std::iter::once(&s.name).chain(&s.aliases).cloned())
                    .collect();
                let hint = session_schemas::suggest(&name, known.iter().map(String::as_str))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                let mut labels: Vec<String> = Vec::new();
                for label in mounts.iter().flat_map(|m| m.contract.scenario_names()) {
                    if !labels.contains(&label) {
                        labels.push(label);
                    }
                }
                return Err(invalid(
                    "scenario",
                    &name,
                    format!(
                        "no contract served has this scenario{hint}; scenarios: {}",
                        labels.join(", ")
                    ),
                ));
            }
            notes.push(format!(
                "--scenario {name} applies to {}; {} has no `{name}` scenario and keeps its default",
                bare_applied.join(", "),
                bare_skipped.join(", ")
            ));
        }
        let (mounts, given_way) = one_contract_a_path(mounts, &yielding)?;
        notes.extend(given_way);

        let journal_size = args
            .journal_size
            .or(file.journal_size)
            .unwrap_or(DEFAULT_JOURNAL_SIZE);
        if journal_size > 100_000 {
            return Err(invalid(
                "journal-size",
                journal_size.to_string(),
                "at most 100000 entries are kept",
            ));
        }
        let signing_key = args
            .signing_key
            .clone()
            .or(file.signing_key)
            .unwrap_or_else(|| DEFAULT_SIGNING_KEY.to_owned());
        if signing_key.len() < 8 {
            return Err(invalid(
                "signing-key",
                "(hidden)",
                "must be at least 8 characters",
            ));
        }
        let credentials = |flag: &Vec<String>,
                           from_file: Option<Vec<String>>,
                           key: &str|
         -> Result<Vec<String>, ConfigError> {
            let values = non_empty(flag.clone()).or(from_file).unwrap_or_default();
            if values.iter().any(|v| {
                v.is_empty()
                    || v.chars()
                        .any(|c| c.is_whitespace() || c.is_control() || c == ';')
            }) {
                return Err(invalid(
                    key,
                    "(hidden)",
                    "credentials must be non-empty, without spaces, control characters or `;`",
                ));
            }
            Ok(values)
        };
        let (auth_secrets, secret_source) = if !args.auth_secret.is_empty() {
            (args.auth_secret.clone(), Some("--auth-secret".to_owned()))
        } else if let Some((variable, value)) = &args.app_secret {
            (vec![value.clone()], Some(variable.clone()))
        } else if let Some(secrets) = file.auth_secret.clone() {
            (
                secrets.into_vec(),
                Some("the config file's auth-secret".to_owned()),
            )
        } else {
            (Vec::new(), None)
        };
        if auth_secrets.iter().any(String::is_empty) {
            return Err(invalid(
                secret_source.as_deref().unwrap_or("auth-secret"),
                "(hidden)",
                "an Auth.js secret is not empty (generate one: openssl rand -base64 33)",
            ));
        }
        let users_declared = !args.user.is_empty() || !file.user.is_empty();
        let users = if args.user.is_empty() {
            file.user
                .into_iter()
                .enumerate()
                .map(|(n, u)| {
                    let fields = toml_to_json(toml::Value::Table(u.fields))
                        .map_err(|m| invalid(&format!("user[{n}]"), &u.username, m))?;
                    let Value::Object(fields) = fields else {
                        return Err(invalid(&format!("user[{n}]"), &u.username, "not a table"));
                    };
                    User::checked(&u.username, &u.password, fields)
                        .map_err(|m| invalid(&format!("user[{n}]"), &u.username, m))
                })
                .collect::<Result<Vec<_>, _>>()?
        } else {
            args.user
                .iter()
                .map(|text| User::parse(text).map_err(|m| invalid("user", "(hidden)", m)))
                .collect::<Result<Vec<_>, _>>()?
        };
        for (n, user) in users.iter().enumerate() {
            if users[..n].iter().any(|u| u.username == user.username) {
                return Err(invalid(
                    "user",
                    &user.username,
                    "the same username is configured twice",
                ));
            }
        }
        let users = if users.is_empty() {
            vec![User::default_user()]
        } else {
            users
        };
        let clock = args
            .clock
            .clone()
            .or(file.clock)
            .map(|text| crate::clock::parse_instant(&text).map_err(|m| invalid("clock", &text, m)))
            .transpose()?;
        let max_sessions = args
            .max_sessions
            .or(file.max_sessions)
            .unwrap_or(DEFAULT_MAX_SESSIONS);
        if !(1..=1_000_000).contains(&max_sessions) {
            return Err(invalid(
                "max-sessions",
                max_sessions.to_string(),
                "must be between 1 and 1000000",
            ));
        }
        let session_lifetime = args
            .session_lifetime
            .clone()
            .or(file.session_lifetime)
            .map(|text| {
                crate::clock::parse_lifetime(&text)
                    .and_then(|d| {
                        if d < Duration::from_secs(1) {
                            Err(format!("`{text}`: a lifetime is at least 1s"))
                        } else {
                            Ok(d)
                        }
                    })
                    .map_err(|m| invalid("session-lifetime", &text, m))
            })
            .transpose()?;
        let proxy = ProxySettings {
            strict: args.proxy_strict || file.proxy_strict.unwrap_or(false),
            fallback: args.proxy_fallback || file.proxy_fallback.unwrap_or(false),
            timeout: match args.proxy_timeout.clone().or(file.proxy_timeout) {
                Some(text) => {
                    let timeout =
                        duration::parse(&text).map_err(|m| invalid("proxy-timeout", &text, m))?;
                    if timeout.is_zero() {
                        return Err(invalid("proxy-timeout", &text, "must be more than 0"));
                    }
                    timeout
                }
                None => DEFAULT_PROXY_TIMEOUT,
            },
        };
        if (proxy.strict || proxy.fallback) && mounts.iter().all(|m| m.upstream.is_none()) {
            return Err(invalid(
                if proxy.strict {
                    "proxy-strict"
                } else {
                    "proxy-fallback"
                },
                "true",
                "there is no upstream to proxy to; give --proxy URL",
            ));
        }
        Ok(Self {
            proxy,
            users,
            clock,
            state_file: args.state.clone().or(file.state),
            max_sessions,
            session_lifetime,
            notes,
            contract_files,
            contract_dirs,
            session_strategy: args
                .session_strategy
                .or(file.session_strategy)
                .unwrap_or(SessionStrategy::Database),
            listen,
            mounts,
            data: args.data.or(file.data).unwrap_or(DataMode::Fixture),
            seed: args.seed.or(file.seed).unwrap_or(0),
            auth_implied: (args.auth.is_none() && file.auth.is_none())
                .then_some(if !auth_secrets.is_empty() {
                    "an Auth.js secret is given"
                } else {
                    "users are declared"
                })
                .filter(|_| users_declared || !auth_secrets.is_empty()),
            auth: args.auth.or(file.auth).unwrap_or(
                if users_declared || !auth_secrets.is_empty() {
                    // Declaring who may sign in means signing in matters:
                    // a request without a session is signed out.
                    AuthMode::Known
                } else {
                    AuthMode::Off
                },
            ),
            auth_secrets,
            secret_source,
            authjs_version: args
                .authjs_version
                .or(file.authjs_version)
                .unwrap_or(AuthJsVersion::V5),
            tokens: credentials(&args.token, file.tokens, "tokens")?,
            cookies: credentials(&args.cookie, file.cookies, "cookies")?,
            revoked: credentials(&args.revoked, file.revoked, "revoked")?,
            signing_key,
            latency,
            jitter,
            fail_rate,
            cors_origins,
            journal_size,
            admin: !args.no_admin && file.admin.unwrap_or(true),
            admin_open: args.admin_open || file.admin_open.unwrap_or(false),
            allow_invalid_override: args.allow_invalid_override
                || file.allow_invalid_override.unwrap_or(false),
            log: args
                .log
                .clone()
                .or(file.log)
                .unwrap_or_else(|| "info".to_owned()),
        })
    }

    /// The effective configuration as a config file (secrets hidden).
    pub fn to_toml(&self) -> String {
        let hidden = |values: &[String]| {
            (!values.is_empty()).then(|| values.iter().map(|_| "(hidden)".to_owned()).collect())
        };
        let file = FileConfig {
            contract: (!self.contract_files.is_empty()).then(|| self.contract_files.clone()),
            contracts_dir: (!self.contract_dirs.is_empty()).then(|| self.contract_dirs.clone()),
            listen: Some(self.listen.to_string()),
            port: None,
            data: Some(self.data),
            seed: Some(self.seed),
            auth: Some(self.auth),
            tokens: hidden(&self.tokens),
            cookies: hidden(&self.cookies),
            revoked: hidden(&self.revoked),
            signing_key: (self.signing_key != DEFAULT_SIGNING_KEY).then(|| "(hidden)".to_owned()),
            auth_secret: hidden(&self.auth_secrets).map(OneOrMany::Many),
            authjs_version: Some(self.authjs_version),
            latency: Some(duration::format(self.latency)),
            jitter: Some(duration::format(self.jitter)),
            fail_rate: Some(self.fail_rate),
            cors_origins: Some(self.cors_origins.clone()),
            default_origins: Some(false),
            journal_size: Some(self.journal_size),
            admin: Some(self.admin),
            admin_open: Some(self.admin_open),
            allow_invalid_override: Some(self.allow_invalid_override),
            log: Some(self.log.clone()),
            clock: self.clock.map(crate::clock::format),
            state: self.state_file.clone(),
            max_sessions: Some(self.max_sessions),
            session_lifetime: self.session_lifetime.map(duration::format),
            session_strategy: Some(self.session_strategy),
            proxy: None,
            proxy_strict: Some(self.proxy.strict),
            proxy_fallback: Some(self.proxy.fallback),
            proxy_timeout: Some(duration::format(self.proxy.timeout)),
            user: self
                .users
                .iter()
                .map(|u| {
                    let mut fields: toml::Table = u
                        .profile
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), toml::Value::try_from(v).ok()?)))
                        .collect();
                    if let Some(id) = &u.id {
                        fields.insert("id".into(), toml::Value::String(id.clone()));
                    }
                    FileUser {
                        username: u.username.clone(),
                        password: "(hidden)".into(),
                        fields,
                    }
                })
                .collect(),
            contracts: self
                .mounts
                .iter()
                .map(|m| {
                    let overrides = m
                        .overrides
                        .as_ref()
                        .and_then(|o| toml::Value::try_from(o).ok());
                    (
                        m.contract.name.clone(),
                        FileMount {
                            enabled: Some(true),
                            path: Some(m.path.clone()),
                            scenario: Some(m.scenario.clone()),
                            overrides,
                            proxy: m.upstream.as_ref().map(ToString::to_string),
                        },
                    )
                })
                .collect(),
        };
        toml::to_string(&file)
            .unwrap_or_else(|e| format!("# cannot render the configuration: {e}\n"))
    }
}

fn non_empty(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then_some(values)
}

fn parse_duration(key: &str, text: Option<String>) -> Result<Duration, ConfigError> {
    text.map_or(Ok(Duration::ZERO), |t| {
        duration::parse(&t).map_err(|m| invalid(key, &t, m))
    })
}

/// The value for `contract` among repeated `CONTRACT=VALUE` flags. Where
/// `bare` is allowed, a value without `CONTRACT=` applies to every contract,
/// and a contract-specific one wins over it whatever the order.
/// The value of a per-contract flag for `contract`: `CONTRACT=VALUE` for it,
/// else a bare `VALUE` when `bare` allows one; `true` when it was bare.
fn per_contract(
    registry: &Registry,
    values: &[String],
    contract: &str,
    flag: &str,
    bare: bool,
) -> Result<Option<(String, bool)>, ConfigError> {
    let (mut specific, mut general) = (None, None);
    for value in values {
        let prefix = value.split_once('=').filter(|(name, _)| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        });
        match prefix {
            Some((name, rest)) => {
                registry
                    .get(name)
                    .map_err(|e| invalid(flag, value, e.to_string()))?;
                if name == contract {
                    specific = Some(rest.to_owned());
                }
            }
            None if bare => general = Some(value.clone()),
            None => {
                return Err(invalid(
                    flag,
                    value,
                    format!(
                        "expected CONTRACT=VALUE; known contracts: {}",
                        registry.names().join(", ")
                    ),
                ));
            }
        }
    }
    Ok(specific.map(|s| (s, false)).or(general.map(|g| (g, true))))
}

/// `--override` takes inline JSON or `@file.json`.
fn parse_override(key: &str, text: &str) -> Result<Value, ConfigError> {
    let (source, json) = match text.strip_prefix('@') {
        Some(path) => (
            path.to_owned(),
            std::fs::read_to_string(path)
                .map_err(|e| invalid(key, text, format!("cannot read {path}: {e}")))?,
        ),
        None => ("inline JSON".to_owned(), text.to_owned()),
    };
    serde_json::from_str(&json)
        .map_err(|e| invalid(key, text, format!("{source} is not valid JSON: {e}")))
}

fn toml_to_json(value: toml::Value) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{email_from_login, name_from_login, persona};

    #[test]
    fn a_login_alone_gives_a_sensible_name_and_email() {
        assert_eq!(name_from_login("alice"), "Alice");
        assert_eq!(name_from_login("alice.liddell"), "Alice Liddell");
        assert_eq!(name_from_login("bob_smith@corp.example"), "Bob Smith");
        assert_eq!(name_from_login("ünal"), "Ünal");
        assert_eq!(email_from_login("alice"), "alice@example.com");
        assert_eq!(email_from_login("Bob Smith"), "bob.smith@example.com");
        assert_eq!(email_from_login("carol@corp.example"), "carol@corp.example");
        assert_eq!(email_from_login("@@"), "user@example.com");
        let mut profile = serde_json::Map::new();
        profile.insert("name".into(), "Alice Liddell".into());
        assert_eq!(
            persona("alice", &profile),
            ("Alice Liddell".to_owned(), "alice@example.com".to_owned())
        );
    }
}
