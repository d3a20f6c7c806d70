//! The mock's effective configuration, and how it is built from its sources.
//!
//! Precedence: flag > environment (`SESSION_MOCK_*`, handled by clap) >
//! config file (TOML) > defaults. Everything is checked here, before a socket
//! is opened, so every mistake is reported at once with the key and value.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use session_schemas::{Contract, Outcome, Registry};

use crate::args::MockArgs;
use crate::settings::{
    AuthSecret, CredentialValue, Delay, FailRate, FileMount, FileUser, HIDDEN, Instant,
    JournalSize, Lifetime, Listen, LogFilter, MaxSessions, OriginPattern, Settings, SigningKey,
    Timeout,
};

// The flags' value enums live beside the flags (`args`); the configuration
// uses them as they are.
pub(crate) use crate::settings::{AuthJsVersion, AuthMode, ConfigError, DataMode, SessionStrategy};
pub(crate) use crate::users::{User, persona};

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

pub(crate) use crate::proxy::{DEFAULT_PROXY_TIMEOUT, ProxySettings};

pub(crate) const DEFAULT_MAX_SESSIONS: usize = 100_000;

pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:4010";
pub const DEFAULT_SIGNING_KEY: &str = "session-mock-development-key";
pub(crate) const DEFAULT_CORS_ORIGINS: [&str; 2] = ["http://localhost:*", "http://127.0.0.1:*"];
pub(crate) const DEFAULT_JOURNAL_SIZE: usize = 256;

fn invalid(key: &str, value: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        value: value.into(),
        message: message.into(),
    }
}

/// The config file's shape: the same settings as the flags (`settings`).
pub type FileConfig = Settings;

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

impl MockConfig {
    /// The defaults alone: both contracts at their documented paths, `valid`.
    pub fn defaults() -> Self {
        Self::from_sources(&MockArgs::default(), FileConfig::default())
            .expect("the defaults are valid")
    }

    /// The flags and environment (`args`) over the config file over the
    /// defaults, checked.
    pub fn from_sources(args: &MockArgs, mut file: FileConfig) -> Result<Self, ConfigError> {
        if file.listen.is_some() && file.port.is_some() {
            return Err(invalid(
                "port",
                file.port.map(|p| p.to_string()).unwrap_or_default(),
                "give `listen` or `port`, not both",
            ));
        }
        let flags = &args.settings;
        if flags.listen.is_some() || flags.port.is_some() {
            (file.listen, file.port) = (None, None);
        }
        let secrets = secrets(flags, args.app_secret.as_ref(), &file);
        if let Some((variable, value)) = &args.app_secret
            && secrets.1.as_deref() == Some(variable.as_str())
        {
            value
                .parse::<AuthSecret>()
                .map_err(|refused| invalid(variable, HIDDEN, refused.message))?;
        }
        let users_declared = !flags.user.is_empty() || !file.users.is_empty();
        let proxy_from_flags = flags.proxy.is_some();
        let settings = flags.clone().over(file)?;
        Self::checked(settings, secrets, users_declared, proxy_from_flags)
    }

    fn checked(
        s: Settings,
        (auth_secrets, secret_source): (Vec<String>, Option<String>),
        users_declared: bool,
        proxy_from_flags: bool,
    ) -> Result<Self, ConfigError> {
        let contract_files = s.contract.clone().unwrap_or_default();
        let contract_dirs = s.contracts_dir.clone().unwrap_or_default();
        let (registry, mut notes) = Registry::loaded(&contract_files, &contract_dirs)
            .map_err(|e| invalid("contract", "(loading)", e.to_string()))?;
        let (mounts, mount_notes) = mounts(registry, &s, proxy_from_flags)?;
        notes.extend(mount_notes);
        let proxy = proxy_settings(&s, &mounts)?;
        let implied = if !auth_secrets.is_empty() {
            "an Auth.js secret is given"
        } else {
            "users are declared"
        };
        let implies = users_declared || !auth_secrets.is_empty();
        let credentials = |values: &Option<Vec<CredentialValue>>| {
            values
                .iter()
                .flatten()
                .map(|v| v.0.clone())
                .collect::<Vec<_>>()
        };
        Ok(Self {
            listen: s.listen.as_ref().map_or_else(
                || {
                    s.port
                        .map_or(default_listen(), |p| ([127, 0, 0, 1], p).into())
                },
                |l| l.0,
            ),
            users: users(&s)?,
            clock: s.clock.as_ref().map(|c| c.0),
            state_file: s.state.clone(),
            max_sessions: s.max_sessions.map_or(DEFAULT_MAX_SESSIONS, |m| m.0),
            session_lifetime: s.session_lifetime.as_ref().map(|l| l.0),
            session_strategy: s.session_strategy.unwrap_or(SessionStrategy::Database),
            data: s.data.unwrap_or(DataMode::Fixture),
            seed: s.seed.unwrap_or(0),
            auth_implied: (s.auth.is_none() && implies).then_some(implied),
            // Declaring who may sign in means signing in matters: a request
            // without a session is signed out.
            auth: s.auth.unwrap_or(if implies {
                AuthMode::Known
            } else {
                AuthMode::Off
            }),
            auth_secrets,
            secret_source,
            authjs_version: s.authjs_version.unwrap_or(AuthJsVersion::V5),
            tokens: credentials(&s.tokens),
            cookies: credentials(&s.cookies),
            revoked: credentials(&s.revoked),
            signing_key: s
                .signing_key
                .as_ref()
                .map_or_else(|| DEFAULT_SIGNING_KEY.to_owned(), |k| k.0.clone()),
            latency: s.latency.as_ref().map_or(Duration::ZERO, |d| d.0),
            jitter: s.jitter.as_ref().map_or(Duration::ZERO, |d| d.0),
            fail_rate: s.fail_rate.map_or(0.0, |r| r.0),
            cors_origins: cors_origins(&s),
            journal_size: s.journal_size.map_or(DEFAULT_JOURNAL_SIZE, |j| j.0),
            admin: !s.no_admin && s.admin.unwrap_or(true),
            admin_open: s.admin_open,
            allow_invalid_override: s.allow_invalid_override,
            log: s
                .log
                .as_ref()
                .map_or_else(|| "info".to_owned(), |l| l.0.clone()),
            proxy,
            notes,
            contract_files,
            contract_dirs,
            mounts,
        })
    }

    /// The effective configuration as a config file (secrets hidden, and
    /// said so at the top: such a file loads only once they are put back).
    pub fn to_toml(&self) -> String {
        match toml::to_string(&self.as_settings()) {
            Ok(text) if text.contains(&format!("\"{HIDDEN}\"")) => format!(
                "# Secrets are written as \"{HIDDEN}\". Put the real values in before\n\
                 # loading this file with --config: the mock refuses \"{HIDDEN}\".\n{text}"
            ),
            Ok(text) => text,
            Err(e) => format!("# cannot render the configuration: {e}\n"),
        }
    }

    /// The effective configuration as the settings a file would hold.
    fn as_settings(&self) -> Settings {
        let hidden = |values: &[String]| {
            (!values.is_empty()).then(|| {
                values
                    .iter()
                    .map(|_| CredentialValue(HIDDEN.into()))
                    .collect()
            })
        };
        Settings {
            contract: (!self.contract_files.is_empty()).then(|| self.contract_files.clone()),
            contracts_dir: (!self.contract_dirs.is_empty()).then(|| self.contract_dirs.clone()),
            listen: Some(Listen(self.listen)),
            data: Some(self.data),
            seed: Some(self.seed),
            auth: Some(self.auth),
            tokens: hidden(&self.tokens),
            cookies: hidden(&self.cookies),
            revoked: hidden(&self.revoked),
            signing_key: (self.signing_key != DEFAULT_SIGNING_KEY)
                .then(|| SigningKey(HIDDEN.into())),
            auth_secret: (!self.auth_secrets.is_empty()).then(|| {
                self.auth_secrets
                    .iter()
                    .map(|_| AuthSecret(HIDDEN.into()))
                    .collect()
            }),
            authjs_version: Some(self.authjs_version),
            latency: Some(Delay(self.latency)),
            jitter: Some(Delay(self.jitter)),
            fail_rate: Some(FailRate(self.fail_rate)),
            cors_origins: Some(
                self.cors_origins
                    .iter()
                    .map(|o| OriginPattern(o.clone()))
                    .collect(),
            ),
            default_origins: Some(false),
            journal_size: Some(JournalSize(self.journal_size)),
            admin: Some(self.admin),
            admin_open: self.admin_open,
            allow_invalid_override: self.allow_invalid_override,
            log: Some(LogFilter(self.log.clone())),
            clock: self.clock.map(Instant),
            state: self.state_file.clone(),
            max_sessions: Some(MaxSessions(self.max_sessions)),
            session_lifetime: self.session_lifetime.map(Lifetime),
            session_strategy: Some(self.session_strategy),
            proxy_strict: self.proxy.strict,
            proxy_fallback: self.proxy.fallback,
            proxy_timeout: Some(Timeout(self.proxy.timeout)),
            // The built-in user is no one's secret and comes back by
            // itself when no user is configured: left out, the printed
            // file loads as it is.
            users: if self.users == [User::default_user()] {
                Vec::new()
            } else {
                self.users.iter().map(User::as_file_user).collect()
            },
            contracts: self
                .mounts
                .iter()
                .map(|m| (m.contract.name.clone(), m.as_file_mount()))
                .collect(),
            ..Settings::default()
        }
    }
}

impl User {
    /// This user as a `[[user]]` table, the password hidden.
    fn as_file_user(&self) -> FileUser {
        let mut fields: toml::Table = self
            .profile
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), toml::Value::try_from(v).ok()?)))
            .collect();
        if let Some(id) = &self.id {
            fields.insert("id".into(), toml::Value::String(id.clone()));
        }
        FileUser {
            username: self.username.clone(),
            password: HIDDEN.into(),
            fields,
        }
    }
}

impl Mount {
    /// This mount as a `[contracts.NAME]` table.
    fn as_file_mount(&self) -> FileMount {
        FileMount {
            enabled: Some(true),
            path: Some(self.path.clone()),
            scenario: Some(self.scenario.clone()),
            overrides: self
                .overrides
                .as_ref()
                .and_then(|o| toml::Value::try_from(o).ok()),
            proxy: self.upstream.as_ref().map(ToString::to_string),
        }
    }
}

/// A bare `--scenario NAME`: the contracts it applied to, and those that
/// have no such scenario and keep their default.
#[derive(Default)]
struct BareScenario {
    applied: Vec<String>,
    skipped: Vec<String>,
}

/// The contracts served, each at its path with its scenario, override and
/// upstream; and what the start should say about them.
fn mounts(
    registry: &'static Registry,
    s: &Settings,
    proxy_from_flags: bool,
) -> Result<(Vec<Mount>, Vec<String>), ConfigError> {
    for name in s.contracts.keys() {
        registry
            .get(name)
            .map_err(|e| invalid(&format!("contracts.{name}"), name, e.to_string()))?;
    }
    let mut mounts = Vec::new();
    // Whether each mount is a built-in at its own path, which gives way to
    // a loaded contract mounted there.
    let mut yielding = Vec::new();
    let mut bare = BareScenario::default();
    for contract in registry.contracts() {
        let table = s.contracts.get(&contract.name).cloned().unwrap_or_default();
        if !enabled(contract, s, &table) {
            continue;
        }
        let (path, yields) = mount_path(registry, contract, s, &table)?;
        let scenario = mount_scenario(registry, contract, s, &table, &mut bare)?;
        mounts.push(Mount {
            contract,
            path,
            scenario,
            overrides: mount_override(registry, contract, s, &table)?,
            upstream: mount_upstream(registry, contract, s, &table, proxy_from_flags)?,
        });
        yielding.push(yields);
    }
    for name in s.only.iter().chain(&s.without) {
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
    let mut notes = bare_scenario_notes(s, &mounts, &bare)?;
    let (mounts, given_way) = one_contract_a_path(mounts, &yielding)?;
    notes.extend(given_way);
    Ok((mounts, notes))
}

/// Whether a contract is served: its table's `enabled`, then `--only` and
/// `--without`.
fn enabled(contract: &Contract, s: &Settings, table: &FileMount) -> bool {
    let mut enabled = table.enabled.unwrap_or(true);
    if !s.only.is_empty() {
        enabled = s.only.iter().any(|n| n == &contract.name);
    }
    enabled && !s.without.iter().any(|n| n == &contract.name)
}

fn key(contract: &Contract, field: &str) -> String {
    format!("contracts.{}.{field}", contract.name)
}

/// Where a contract is mounted, and whether it is a built-in at its own
/// path (which gives way to a loaded contract there).
fn mount_path(
    registry: &Registry,
    contract: &Contract,
    s: &Settings,
    table: &FileMount,
) -> Result<(String, bool), ConfigError> {
    let chosen = per_contract(registry, &s.path, &contract.name, "path", false)?
        .map(|(path, _)| path)
        .or_else(|| table.path.clone());
    let yields = chosen.is_none() && registry.is_builtin(&contract.name);
    let path = chosen.unwrap_or_else(|| contract.path.clone());
    if !path.starts_with('/') || path.starts_with("/__mock") || path.contains(['?', '#', ' ']) {
        return Err(invalid(
            &key(contract, "path"),
            &path,
            "must start with `/`, not under /__mock, and hold no `?`, `#` or space",
        ));
    }
    Ok((path, yields))
}

/// A contract's default scenario: the manifest's authenticated outcome,
/// its table's, or `--scenario`'s. A bare `--scenario NAME` applies to the
/// contracts that have NAME; the others keep theirs (noted in `bare`).
fn mount_scenario(
    registry: &Registry,
    contract: &Contract,
    s: &Settings,
    table: &FileMount,
    bare: &mut BareScenario,
) -> Result<String, ConfigError> {
    let mut name = table
        .scenario
        .clone()
        .unwrap_or_else(|| contract.outcome(Outcome::Authenticated).name.clone());
    match per_contract(registry, &s.scenario, &contract.name, "scenario", true)? {
        Some((_, true)) if contract.scenario(&name_of_bare(s)).is_err() => {
            bare.skipped.push(contract.name.clone());
        }
        Some((chosen, was_bare)) => {
            if was_bare {
                bare.applied.push(contract.name.clone());
            }
            name = chosen;
        }
        None => {}
    }
    let scenario = contract
        .scenario(&name)
        .map_err(|e| invalid(&key(contract, "scenario"), &name, e.to_string()))?;
    Ok(scenario.name.clone())
}

/// The last bare `--scenario NAME`.
fn name_of_bare(s: &Settings) -> String {
    s.scenario
        .iter()
        .rev()
        .find(|v| !v.contains('='))
        .cloned()
        .unwrap_or_default()
}

/// The JSON merged into a contract's valid body: `--override` or its table's.
fn mount_override(
    registry: &Registry,
    contract: &Contract,
    s: &Settings,
    table: &FileMount,
) -> Result<Option<Value>, ConfigError> {
    let key = key(contract, "override");
    let overrides = match per_contract(registry, &s.overrides, &contract.name, "override", false)? {
        Some((text, _)) => Some(parse_override(&key, &text)?),
        None => table
            .overrides
            .clone()
            .map(toml_to_json)
            .transpose()
            .map_err(|m| invalid(&key, "(table)", m))?,
    };
    match overrides {
        Some(o) if !o.is_object() => Err(invalid(
            &key,
            o.to_string(),
            "must be a JSON object to merge into the body",
        )),
        overrides => Ok(overrides),
    }
}

/// A contract's upstream: a `--proxy` flag's, else its table's, else the
/// file's `proxy` for every contract.
fn mount_upstream(
    registry: &Registry,
    contract: &Contract,
    s: &Settings,
    table: &FileMount,
    from_flags: bool,
) -> Result<Option<crate::proxy::Upstream>, ConfigError> {
    let proxies = s.proxy.clone().unwrap_or_default();
    let flag = if from_flags {
        per_contract(registry, &proxies, &contract.name, "proxy", true)?
    } else {
        None
    };
    let chosen = match flag {
        Some((url, _)) => Some(("proxy".to_owned(), url)),
        None => table
            .proxy
            .clone()
            .map(|url| (key(contract, "proxy"), url))
            .or_else(|| {
                (!from_flags)
                    .then(|| proxies.first().cloned())
                    .flatten()
                    .map(|url| ("proxy".to_owned(), url))
            }),
    };
    chosen
        .map(|(key, url)| {
            crate::proxy::Upstream::parse(&url).map_err(|m| {
                // A URL with a password is not echoed.
                let shown = if url.contains('@') {
                    HIDDEN
                } else {
                    url.as_str()
                };
                invalid(&key, shown, m)
            })
        })
        .transpose()
}

/// What the start says of a bare `--scenario NAME` some contracts lack; an
/// error when no contract has it (a typo, most likely).
fn bare_scenario_notes(
    s: &Settings,
    mounts: &[Mount],
    bare: &BareScenario,
) -> Result<Vec<String>, ConfigError> {
    if bare.skipped.is_empty() {
        return Ok(Vec::new());
    }
    let name = name_of_bare(s);
    if bare.applied.is_empty() {
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
    Ok(vec![format!(
        "--scenario {name} applies to {}; {} has no `{name}` scenario and keeps its default",
        bare.applied.join(", "),
        bare.skipped.join(", ")
    )])
}

fn default_listen() -> SocketAddr {
    DEFAULT_LISTEN
        .parse()
        .unwrap_or_else(|_| ([127, 0, 0, 1], 4010).into())
}

/// The app's Auth.js secrets and where they came from: `--auth-secret` (or
/// its variable), else the app's own variable, else the config file.
fn secrets(
    flags: &Settings,
    app_secret: Option<&(String, String)>,
    file: &Settings,
) -> (Vec<String>, Option<String>) {
    let values = |secrets: &Vec<AuthSecret>| secrets.iter().map(|s| s.0.clone()).collect();
    if let Some(secrets) = &flags.auth_secret {
        (values(secrets), Some("--auth-secret".to_owned()))
    } else if let Some((variable, value)) = app_secret {
        (vec![value.clone()], Some(variable.clone()))
    } else if let Some(secrets) = &file.auth_secret {
        (
            values(secrets),
            Some("the config file's auth-secret".to_owned()),
        )
    } else {
        (Vec::new(), None)
    }
}

/// The CORS origins: the given ones added to the localhost defaults,
/// unless told otherwise.
fn cors_origins(s: &Settings) -> Vec<String> {
    let keep_defaults = !s.no_default_origins && s.default_origins.unwrap_or(true);
    let mut origins: Vec<String> = if keep_defaults {
        DEFAULT_CORS_ORIGINS.map(str::to_owned).to_vec()
    } else {
        Vec::new()
    };
    for origin in s.cors_origins.iter().flatten() {
        if !origins.contains(&origin.0) {
            origins.push(origin.0.clone());
        }
    }
    origins
}

/// Who may sign in: `--user` flags, else the file's `[[user]]` tables, else
/// the default user; no name twice.
fn users(s: &Settings) -> Result<Vec<User>, ConfigError> {
    let users: Vec<User> = if s.user.is_empty() {
        s.users
            .iter()
            .enumerate()
            .map(|(n, u)| {
                let key = format!("user[{n}]");
                let fields = toml_to_json(toml::Value::Table(u.fields.clone()))
                    .map_err(|m| invalid(&key, &u.username, m))?;
                let Value::Object(fields) = fields else {
                    return Err(invalid(&key, &u.username, "not a table"));
                };
                User::checked(&u.username, &u.password, fields)
                    .map_err(|m| invalid(&key, &u.username, m))
            })
            .collect::<Result<_, _>>()?
    } else {
        s.user.iter().map(|spec| spec.0.clone()).collect()
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
    Ok(if users.is_empty() {
        vec![User::default_user()]
    } else {
        users
    })
}

/// The proxy's settings; `--proxy-strict` or `--proxy-fallback` without an
/// upstream is a mistake.
fn proxy_settings(s: &Settings, mounts: &[Mount]) -> Result<ProxySettings, ConfigError> {
    let proxy = ProxySettings {
        strict: s.proxy_strict,
        fallback: s.proxy_fallback,
        timeout: s
            .proxy_timeout
            .as_ref()
            .map_or(DEFAULT_PROXY_TIMEOUT, |t| t.0),
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
    Ok(proxy)
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
