//! Every setting of the mock, written once: [`Settings`] is the flags (each
//! with its `SESSION_MOCK_*` variable, through clap) and the config file's
//! keys (through serde) at the same time. A value that must be checked is a
//! newtype that parses the same from a flag and from the file, so a flag, a
//! variable and a file line are refused with the same words. The layers
//! meet in one function, [`Settings::over`]: flag > environment > file >
//! defaults; [`crate::config`] turns the result into the checked
//! [`MockConfig`](crate::config::MockConfig).
//!
//! The exceptions the README names: `--user` / `[[user]]` tables,
//! `--no-admin` / `admin = false`, `--no-default-origins` /
//! `default-origins = false`, and the per-contract flags (`--scenario`,
//! `--path`, `--override`, `--only`, `--without`) / `[contracts.NAME]`
//! tables.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use thiserror::Error;

use crate::users::User;

/// A value a setting refused; `hidden` when the value is a secret and must
/// not be echoed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub message: String,
    pub hidden: bool,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refused {}

impl From<String> for Refused {
    fn from(message: String) -> Self {
        Self {
            message,
            hidden: false,
        }
    }
}

/// What `--print-config` writes in place of a secret. Loading it back
/// as the value is refused: a file printed with secrets hidden needs its
/// secrets put back in, or a password would silently become this text.
pub(crate) const HIDDEN: &str = "(hidden)";

/// Refuses [`HIDDEN`] as a secret's value.
pub(crate) fn not_hidden_placeholder(text: &str) -> Result<(), Refused> {
    if text == HIDDEN {
        return Err(Refused {
            message: format!(
                "`{HIDDEN}` is what --print-config writes in place of a secret: put the real value here"
            ),
            hidden: false,
        });
    }
    Ok(())
}

/// A checked setting: parsed from its text (a flag, a variable, a file
/// string), written back as that text.
macro_rules! checked_text {
    ($(#[$doc:meta])* $name:ident($inner:ty), $parse:expr, $show:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(pub $inner);

        impl std::str::FromStr for $name {
            type Err = Refused;
            fn from_str(text: &str) -> Result<Self, Refused> {
                let parse: fn(&str) -> Result<$inner, Refused> = $parse;
                parse(text).map(Self)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Refused;
            fn try_from(text: String) -> Result<Self, Refused> {
                text.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                let show: fn(&$inner) -> String = $show;
                show(&value.0)
            }
        }
    };
}

checked_text!(
    /// An address to listen on.
    Listen(SocketAddr),
    |text| {
        text.parse()
            .map_err(|_| Refused::from("not an address such as 127.0.0.1:4010 or [::1]:4010".to_owned()))
    },
    ToString::to_string
);

checked_text!(
    /// A delay: `200ms`, `1s` (`--latency`, `--jitter`).
    Delay(Duration),
    |text| crate::duration::parse(text).map_err(Refused::from),
    |d| crate::duration::format(*d)
);

checked_text!(
    /// A time allowed, more than zero (`--proxy-timeout`).
    Timeout(Duration),
    |text| {
        let timeout = crate::duration::parse(text)?;
        if timeout.is_zero() {
            return Err(Refused::from("must be more than 0".to_owned()));
        }
        Ok(timeout)
    },
    |d| crate::duration::format(*d)
);

checked_text!(
    /// A session's lifetime: positive, at least a second, at most a year.
    Lifetime(Duration),
    |text| {
        let lifetime = crate::clock::parse_lifetime(text)?;
        if lifetime < Duration::from_secs(1) {
            return Err(Refused::from(format!("`{text}`: a lifetime is at least 1s")));
        }
        Ok(lifetime)
    },
    |d| crate::duration::format(*d)
);

checked_text!(
    /// An instant in the clock's range (`--clock`).
    Instant(time::OffsetDateTime),
    |text| crate::clock::parse_instant(text).map_err(Refused::from),
    |at| crate::clock::format(*at)
);

checked_text!(
    /// An allowed CORS origin pattern.
    OriginPattern(String),
    |text| {
        crate::cors::check_pattern(text)?;
        Ok(text.to_owned())
    },
    Clone::clone
);

checked_text!(
    /// A log level or filter.
    LogFilter(String),
    |text| {
        tracing_subscriber::EnvFilter::try_new(text).map_err(|_| {
            Refused::from("not a level (error, warn, info, debug, trace) or filter".to_owned())
        })?;
        Ok(text.to_owned())
    },
    Clone::clone
);

checked_text!(
    /// A credential the mock accepts or answers as revoked: never echoed.
    CredentialValue(String),
    |text| {
        not_hidden_placeholder(text)?;
        if text.is_empty()
            || text
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == ';')
        {
            return Err(Refused {
                message: "credentials must be non-empty, without spaces, control characters or `;`"
                    .to_owned(),
                hidden: true,
            });
        }
        Ok(text.to_owned())
    },
    Clone::clone
);

checked_text!(
    /// The key that signs what the mock issues: at least 8 characters.
    SigningKey(String),
    |text| {
        not_hidden_placeholder(text)?;
        if text.len() < 8 {
            return Err(Refused {
                message: "must be at least 8 characters".to_owned(),
                hidden: true,
            });
        }
        Ok(text.to_owned())
    },
    Clone::clone
);

checked_text!(
    /// An Auth.js secret: not empty, never echoed.
    AuthSecret(String),
    |text| {
        not_hidden_placeholder(text)?;
        if text.is_empty() {
            return Err(Refused {
                message: "an Auth.js secret is not empty (generate one: openssl rand -base64 33)"
                    .to_owned(),
                hidden: true,
            });
        }
        Ok(text.to_owned())
    },
    Clone::clone
);

checked_text!(
    /// `USERNAME:PASSWORD` (`--user`): never echoed.
    UserSpec(User),
    |text| {
        User::parse(text).map_err(|message| Refused {
            message,
            // Without a `:` there is no password to hide: the text is a
            // username, and the error shows it.
            hidden: text.contains(':'),
        })
    },
    |user| format!("{}:{}", user.username, user.password)
);

/// A number in a range, read from a flag's text or a file's number.
macro_rules! checked_number {
    ($(#[$doc:meta])* $name:ident($inner:ty), $check:expr, $number:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
        #[serde(try_from = "NumberOrText", into = "NumberOrText")]
        pub struct $name(pub $inner);

        impl std::str::FromStr for $name {
            type Err = Refused;
            fn from_str(text: &str) -> Result<Self, Refused> {
                let value: $inner = text
                    .trim()
                    .parse()
                    .map_err(|_| Refused::from(format!("`{text}` is not a number")))?;
                let check: fn($inner) -> Result<(), String> = $check;
                check(value).map_err(Refused::from)?;
                Ok(Self(value))
            }
        }

        impl TryFrom<NumberOrText> for $name {
            type Error = Refused;
            fn try_from(value: NumberOrText) -> Result<Self, Refused> {
                match value {
                    NumberOrText::Text(text) => text.parse(),
                    NumberOrText::Number(number) => number.to_string().parse(),
                }
            }
        }

        impl From<$name> for NumberOrText {
            fn from(value: $name) -> Self {
                let number: fn($inner) -> Option<serde_json::Number> = $number;
                number(value.0).map_or_else(|| NumberOrText::Text(value.0.to_string()), NumberOrText::Number)
            }
        }
    };
}

/// How a number setting is written: a number in the file, text in a flag.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NumberOrText {
    Number(serde_json::Number),
    Text(String),
}

checked_number!(
    /// The share of requests that fail with a 500 (`--fail-rate`).
    FailRate(f64),
    |rate| {
        if (0.0..=1.0).contains(&rate) {
            Ok(())
        } else {
            Err("must be between 0 and 1 (0.1 fails one request in ten)".to_owned())
        }
    },
    serde_json::Number::from_f64
);

checked_number!(
    /// How many requests the journal keeps (`--journal-size`).
    JournalSize(usize),
    |size| {
        if size > 100_000 {
            Err("at most 100000 entries are kept".to_owned())
        } else {
            Ok(())
        }
    },
    |n| Some(serde_json::Number::from(n as u64))
);

checked_number!(
    /// How many live sessions the mock holds (`--max-sessions`).
    MaxSessions(usize),
    |n| {
        if (1..=1_000_000).contains(&n) {
            Ok(())
        } else {
            Err("must be between 1 and 1000000".to_owned())
        }
    },
    |n| Some(serde_json::Number::from(n as u64))
);

/// Every setting, as flags and file keys at once.
#[derive(Debug, Default, Clone, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Address to listen on. Loopback unless you mean to share the mock.
    /// [default: 127.0.0.1:4010]
    #[arg(long, env = "SESSION_MOCK_LISTEN", value_name = "ADDR")]
    pub listen: Option<Listen>,
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
    pub contract: Option<Vec<PathBuf>>,
    /// Also serve every `<name>.schema.json` in DIR (repeatable).
    #[arg(
        long = "contracts",
        env = "SESSION_MOCK_CONTRACTS",
        value_delimiter = ',',
        value_name = "DIR"
    )]
    pub contracts_dir: Option<Vec<PathBuf>>,
    /// Default scenario: NAME for every contract that has it, or
    /// CONTRACT=NAME (repeatable). [default: each contract's signed-in one]
    #[arg(
        long,
        env = "SESSION_MOCK_SCENARIO",
        value_delimiter = ',',
        value_name = "[CONTRACT=]NAME"
    )]
    #[serde(skip)]
    pub scenario: Vec<String>,
    /// Mount a contract at another path, e.g. session-api=/api/v1/auth/session (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_PATH",
        value_delimiter = ',',
        value_name = "CONTRACT=PATH"
    )]
    #[serde(skip)]
    pub path: Vec<String>,
    /// Serve only these contracts (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_ONLY",
        value_delimiter = ',',
        value_name = "CONTRACT"
    )]
    #[serde(skip)]
    pub only: Vec<String>,
    /// Leave these contracts out (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_WITHOUT",
        value_delimiter = ',',
        value_name = "CONTRACT"
    )]
    #[serde(skip)]
    pub without: Vec<String>,
    /// Where bodies come from. [default: fixture]
    #[arg(long, env = "SESSION_MOCK_DATA", value_enum)]
    pub data: Option<DataMode>,
    /// Seed for generated data and for --fail-rate. [default: 0]
    #[arg(long, env = "SESSION_MOCK_SEED")]
    pub seed: Option<u64>,
    /// Answer like a real server, by the request's credential. `--auth` alone
    /// means `known`: configured credentials and tokens the mock issues.
    /// [default: known when users or a secret are given, else off]
    #[arg(long, env = "SESSION_MOCK_AUTH", value_enum, num_args = 0..=1, default_missing_value = "known")]
    pub auth: Option<AuthMode>,
    /// A bearer token the mock accepts (repeatable).
    #[arg(
        long = "token",
        env = "SESSION_MOCK_TOKEN",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    #[serde(alias = "token")]
    pub tokens: Option<Vec<CredentialValue>>,
    /// A session-cookie value the mock accepts (repeatable).
    #[arg(
        long = "cookie",
        env = "SESSION_MOCK_COOKIE",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "VALUE"
    )]
    #[serde(alias = "cookie")]
    pub cookies: Option<Vec<CredentialValue>>,
    /// A credential answered as revoked: 404 / `{}` (repeatable).
    #[arg(
        long,
        env = "SESSION_MOCK_REVOKED",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "CREDENTIAL"
    )]
    pub revoked: Option<Vec<CredentialValue>>,
    /// Key that signs the tokens the mock issues (stable across restarts).
    /// [default: a fixed development key]
    #[arg(
        long,
        env = "SESSION_MOCK_SIGNING_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub signing_key: Option<SigningKey>,
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
    #[serde(deserialize_with = "one_or_many")]
    pub auth_secret: Option<Vec<AuthSecret>>,
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
    /// JSON merged into the valid body: CONTRACT=JSON or CONTRACT=@FILE (repeatable).
    #[arg(
        long = "override",
        env = "SESSION_MOCK_OVERRIDE",
        value_name = "CONTRACT=JSON"
    )]
    #[serde(skip)]
    pub overrides: Vec<String>,
    /// Serve an override even if it breaks the schema.
    #[arg(long, env = "SESSION_MOCK_ALLOW_INVALID_OVERRIDE")]
    #[serde(skip_serializing_if = "is_false")]
    pub allow_invalid_override: bool,
    /// Fixed delay before each answer, e.g. 200ms. [default: 0ms]
    #[arg(long, env = "SESSION_MOCK_LATENCY", value_name = "DURATION")]
    pub latency: Option<Delay>,
    /// Random extra delay, up to this much either way, e.g. 50ms. [default: 0ms]
    #[arg(long, env = "SESSION_MOCK_JITTER", value_name = "DURATION")]
    pub jitter: Option<Delay>,
    /// Share of requests answered with the contract's 500, e.g. 0.1. [default: 0]
    #[arg(long, env = "SESSION_MOCK_FAIL_RATE", value_name = "RATE")]
    pub fail_rate: Option<FailRate>,
    /// An origin allowed to call with credentials (repeatable; `*` reflects any).
    /// Added to http://localhost:* and http://127.0.0.1:*.
    #[arg(
        long = "cors-origin",
        env = "SESSION_MOCK_CORS_ORIGIN",
        value_delimiter = ',',
        value_name = "ORIGIN"
    )]
    #[serde(alias = "cors-origin")]
    pub cors_origins: Option<Vec<OriginPattern>>,
    /// Drop the default localhost origins (only --cors-origin ones remain).
    #[arg(long, env = "SESSION_MOCK_NO_DEFAULT_ORIGINS")]
    #[serde(skip)]
    pub no_default_origins: bool,
    /// In the file, `default-origins = false` is `--no-default-origins`.
    #[arg(skip)]
    pub default_origins: Option<bool>,
    /// Requests kept in the journal (GET /__mock/requests); 0 turns it off.
    /// [default: 256]
    #[arg(long, env = "SESSION_MOCK_JOURNAL_SIZE", value_name = "N")]
    pub journal_size: Option<JournalSize>,
    /// Turn the admin API (/__mock/*) off.
    #[arg(long, env = "SESSION_MOCK_NO_ADMIN")]
    #[serde(skip)]
    pub no_admin: bool,
    /// In the file, `admin = false` is `--no-admin`.
    #[arg(skip)]
    pub admin: Option<bool>,
    /// Serve the admin API and journal to any peer, not just loopback.
    #[arg(long, env = "SESSION_MOCK_ADMIN_OPEN")]
    #[serde(skip_serializing_if = "is_false")]
    pub admin_open: bool,
    /// Users who may sign in, USERNAME:PASSWORD (repeatable; the config
    /// file's `[[user]]` tables take profile fields too). [default: dev:dev]
    #[arg(
        long,
        env = "SESSION_MOCK_USER",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "USER:PASSWORD"
    )]
    #[serde(skip)]
    pub user: Vec<UserSpec>,
    /// In the file, `[[user]]` tables: `username`, `password`, any profile fields.
    #[arg(skip)]
    #[serde(rename = "user", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<FileUser>,
    /// Start the mock's clock frozen at this instant (RFC 3339, between
    /// 1970-01-01T00:00:00Z and 9000-01-01T00:00:00Z); move it with PUT
    /// /__mock/clock.
    #[arg(long, env = "SESSION_MOCK_CLOCK", value_name = "INSTANT")]
    pub clock: Option<Instant>,
    /// Keep sessions, their endings and activity in this file (a log:
    /// each change appended before it is answered, activity once a
    /// second), and restore them at start.
    #[arg(long, env = "SESSION_MOCK_STATE", value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Most live sessions held at once; ten times as many ended ones are
    /// remembered until their credentials expire. [default: 100000]
    #[arg(long, env = "SESSION_MOCK_MAX_SESSIONS", value_name = "N")]
    pub max_sessions: Option<MaxSessions>,
    /// Lifetime of a new session, e.g. 1h or 30d (default: each contract's
    /// fixture's, session-api 1h, authjs 30d).
    #[arg(long, env = "SESSION_MOCK_SESSION_LIFETIME", value_name = "DURATION")]
    pub session_lifetime: Option<Lifetime>,
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
    #[serde(deserialize_with = "one_or_many")]
    pub proxy: Option<Vec<String>>,
    /// Turn an upstream answer that breaks the contract into a 502 listing
    /// the violations.
    #[arg(long, env = "SESSION_MOCK_PROXY_STRICT")]
    #[serde(skip_serializing_if = "is_false")]
    pub proxy_strict: bool,
    /// Answer from the mock when the upstream is unreachable or too slow
    /// (marked `Mock-Source: fallback`).
    #[arg(long, env = "SESSION_MOCK_PROXY_FALLBACK")]
    #[serde(skip_serializing_if = "is_false")]
    pub proxy_fallback: bool,
    /// Time allowed for the upstream's whole answer. [default: 10s]
    #[arg(long, env = "SESSION_MOCK_PROXY_TIMEOUT", value_name = "DURATION")]
    pub proxy_timeout: Option<Timeout>,
    /// Log level or filter (error, warn, info, debug, trace). [default: info]
    #[arg(long, env = "SESSION_MOCK_LOG", value_name = "LEVEL")]
    pub log: Option<LogFilter>,
    /// In the file, `[contracts.NAME]` tables: each contract's settings.
    #[arg(skip)]
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub contracts: BTreeMap<String, FileMount>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// A key that takes one value or a list of them. The values are read as
/// text first and checked after, so a refused value is refused in its own
/// words (an untagged enum would only say that nothing matched).
fn one_or_many<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<String>,
    T::Error: std::fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let texts = match OneOrMany::deserialize(deserializer)
        .map_err(|_| serde::de::Error::custom("expected a string or a list of strings"))?
    {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    };
    texts
        .into_iter()
        .map(|text| T::try_from(text).map_err(serde::de::Error::custom))
        .collect::<Result<Vec<T>, D::Error>>()
        .map(Some)
}

/// `[[user]]` in the config file: `username`, `password`, any profile fields.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FileUser {
    pub username: String,
    pub password: String,
    #[serde(flatten)]
    pub fields: toml::Table,
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

impl Settings {
    /// A config file's settings.
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

    /// These settings (the flags, and the environment where no flag was
    /// given: clap's layers) over `file`'s: every key they set wins, the
    /// rest come from the file; the defaults fill what neither set, later.
    /// Contract files and directories add up (a flag's to the file's). The
    /// one place the layers meet.
    pub fn over(self, file: Self) -> Result<Self, ConfigError> {
        let keys = |settings: &Self| match serde_json::to_value(settings) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        let mut merged = keys(&self);
        for (key, value) in keys(&file) {
            if merged.get(&key).is_none_or(Value::is_null) {
                merged.insert(key, value);
            }
        }
        // Unset keys, and the file's tables (taken as they are below).
        merged.retain(|key, value| !value.is_null() && key != "user" && key != "contracts");
        // Both sides were checked values of this very type: they read back.
        let mut layered: Self =
            serde_json::from_value(Value::Object(merged)).map_err(|e| ConfigError::Invalid {
                key: "(settings)".into(),
                value: String::new(),
                message: format!("the layered settings do not read back: {e}"),
            })?;
        layered.contract = concat(self.contract.clone(), file.contract.clone());
        layered.contracts_dir = concat(self.contracts_dir.clone(), file.contracts_dir.clone());
        layered.scenario = self.scenario;
        layered.path = self.path;
        layered.only = self.only;
        layered.without = self.without;
        layered.overrides = self.overrides;
        layered.no_default_origins = self.no_default_origins;
        layered.no_admin = self.no_admin;
        layered.user = self.user;
        layered.users = file.users;
        layered.contracts = file.contracts;
        layered.default_origins = file.default_origins;
        layered.admin = file.admin;
        Ok(layered)
    }
}

fn concat<T>(a: Option<Vec<T>>, b: Option<Vec<T>>) -> Option<Vec<T>> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(
            a.into_iter()
                .flatten()
                .chain(b.into_iter().flatten())
                .collect(),
        ),
    }
}

/// A flag's or variable's refused value, written as a file's would be:
/// `key = "value": why` (the value hidden when it is a secret). `None` for
/// clap's own errors (unknown flags, values of a closed set), shown as
/// clap shows them.
pub fn refused_flag(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::ValueValidation {
        return None;
    }
    let arg = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.clone(),
        _ => return None,
    };
    let value = match error.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) => value.clone(),
        _ => String::new(),
    };
    let source = std::error::Error::source(error)?;
    let refused = source.downcast_ref::<Refused>()?;
    let key = arg
        .trim_start_matches("--")
        .split([' ', '='])
        .next()
        .unwrap_or_default()
        .to_owned();
    let shown = if refused.hidden {
        HIDDEN
    } else {
        value.as_str()
    };
    Some(format!("{key} = {shown:?}: {}", refused.message))
}

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
