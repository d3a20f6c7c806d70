//! The `x-contract` manifest as written in a schema file: the serde types
//! are the format. `contract.rs` reads a file through them and checks what
//! a type cannot say (that names resolve, fixtures exist and fit); the
//! OpenAPI import writes a manifest through them. `manifest.schema.json`
//! says the same thing for the shape check that runs first (so a mistake is
//! reported with its JSON path), and a test holds the two to the same enum
//! lists, required keys and property sets.
//!
//! Every closed set of names (methods, carriers, expiries, protocols,
//! invariant rules) is an enum here; maps keep the file's order.

pub use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The whole `x-contract` object of a contract file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The contract's name; the file is `<name>.schema.json`.
    pub name: String,
    /// The document the schema was derived from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// How the endpoint is called.
    pub method: Method,
    /// The default path of the endpoint.
    pub path: String,
    /// How the endpoint receives its credential.
    pub auth: Auth,
    /// The documented statuses, in the file's order.
    pub responses: IndexMap<u16, ResponseManifest>,
    /// The named answers a mock serves, in the file's order.
    pub scenarios: IndexMap<String, ScenarioManifest>,
    /// Extra named bodies beyond the scenarios' fixtures.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub examples: IndexMap<String, ExampleManifest>,
    /// Which scenario answers each class of credential.
    pub outcomes: OutcomesManifest,
    /// Headers the endpoint sends, by status (or every status), then name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<HeaderScope, IndexMap<String, String>>,
    /// Rules a schema cannot express.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invariants: Vec<InvariantManifest>,
    /// What stays the same for one credential, and where a held session's
    /// values go.
    #[serde(default, skip_serializing_if = "SessionManifest::is_empty")]
    pub session: SessionManifest,
    /// A sign-in protocol a mock speaks beside the session route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
}

/// The HTTP methods a contract's endpoint may be called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
}

impl std::str::FromStr for Method {
    type Err = String;

    /// A method by its name on the wire, in any case (`get` is `GET`).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|method| method.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.map(Self::as_str).to_vec();
                format!("`{name}` is not one of {}", known.join(", "))
            })
    }
}

impl Method {
    /// Every method, in the order the manifest schema lists them.
    pub const ALL: [Self; 7] = [
        Self::Get,
        Self::Post,
        Self::Put,
        Self::Patch,
        Self::Delete,
        Self::Head,
        Self::Options,
    ];

    /// The method as written on the wire (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
        }
    }
}

/// How the endpoint receives its credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Carrier", into = "Carrier")]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A session cookie, under any of these names (preferred name first;
    /// the manifest schema requires at least one).
    Cookie { names: Vec<String> },
}

/// [`Auth`] as written: `{"carrier": "bearer"}` or `{"carrier": "cookie",
/// "cookies": [...]}`. A struct variant for bearer, so that a stray key is
/// refused there too.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "carrier", rename_all = "lowercase", deny_unknown_fields)]
enum Carrier {
    Bearer {},
    Cookie { cookies: Vec<String> },
}

impl From<Carrier> for Auth {
    fn from(carrier: Carrier) -> Self {
        match carrier {
            Carrier::Bearer {} => Self::Bearer,
            Carrier::Cookie { cookies } => Self::Cookie { names: cookies },
        }
    }
}

impl From<Auth> for Carrier {
    fn from(auth: Auth) -> Self {
        match auth {
            Auth::Bearer => Self::Bearer {},
            Auth::Cookie { names } => Self::Cookie { cookies: names },
        }
    }
}

/// How a session's expiry moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expiry {
    /// Set when the session is created (an access token's lifetime).
    #[default]
    Fixed,
    /// Every authenticated read extends it by the session's lifetime (Auth.js).
    Sliding,
}

impl Expiry {
    /// Every expiry, in the order the manifest schema lists them.
    pub const ALL: [Self; 2] = [Self::Fixed, Self::Sliding];
}

/// A sign-in protocol a mock speaks beside the session route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// Auth.js / NextAuth: csrf, providers, callback/credentials, signout, session POST.
    #[serde(rename = "authjs")]
    AuthJs,
}

impl Protocol {
    /// Every protocol, in the order the manifest schema lists them.
    pub const ALL: [Self; 1] = [Self::AuthJs];
}

/// One documented status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseManifest {
    /// `#/$defs/...`: the body's schema within the document.
    pub schema: String,
    /// What the status means.
    #[serde(default)]
    pub description: String,
}

/// One named answer a mock serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioManifest {
    /// The status served.
    pub status: u16,
    /// The body, relative to `fixtures/<contract>/`.
    pub fixture: String,
    /// Other names for the scenario.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Narrows the status's schema for generation (e.g. one branch of an anyOf).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The moment the fixture depicts (RFC 3339), so a mock can move its
    /// timestamps to the present while keeping their intervals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<String>,
}

/// An extra named body: a status and its fixture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleManifest {
    /// Its status.
    pub status: u16,
    /// The body, relative to `fixtures/<contract>/`.
    pub fixture: String,
}

/// Which scenario a correct server answers for each class of credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomesManifest {
    /// A valid credential.
    pub authenticated: String,
    /// No credential, or a malformed or tampered one.
    pub unauthenticated: String,
    /// A credential the server knows but has revoked.
    pub revoked: String,
    /// A scenario or example for an expired credential; the unauthenticated
    /// outcome when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<String>,
}

/// The outcome classes a credential can fall into; each maps to a scenario
/// through the manifest's `outcomes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Authenticated,
    Unauthenticated,
    Revoked,
}

impl Outcome {
    /// Every class, in the order of the manifest's `outcomes`.
    pub const ALL: [Self; 3] = [Self::Authenticated, Self::Unauthenticated, Self::Revoked];

    /// Its key in the manifest's `outcomes` (a field of [`OutcomesManifest`]).
    pub fn key(self) -> &'static str {
        match self {
            Self::Authenticated => "authenticated",
            Self::Unauthenticated => "unauthenticated",
            Self::Revoked => "revoked",
        }
    }
}

impl OutcomesManifest {
    /// The scenario named for `outcome`.
    pub fn scenario(&self, outcome: Outcome) -> &str {
        match outcome {
            Outcome::Authenticated => &self.authenticated,
            Outcome::Unauthenticated => &self.unauthenticated,
            Outcome::Revoked => &self.revoked,
        }
    }
}

/// Which statuses a header is sent with: `*` (every one) or one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum HeaderScope {
    /// `*`.
    Every,
    /// A status code.
    Status(u16),
}

impl TryFrom<String> for HeaderScope {
    type Error = String;

    fn try_from(key: String) -> Result<Self, Self::Error> {
        if key == "*" {
            return Ok(Self::Every);
        }
        key.parse::<u16>()
            .ok()
            .filter(|status| (100..=599).contains(status))
            .map(Self::Status)
            .ok_or_else(|| format!("`{key}` is neither `*` nor an HTTP status code (100-599)"))
    }
}

impl From<HeaderScope> for String {
    fn from(scope: HeaderScope) -> Self {
        match scope {
            HeaderScope::Every => "*".to_owned(),
            HeaderScope::Status(status) => status.to_string(),
        }
    }
}

/// One named rule about a body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvariantManifest {
    /// The rule's name in reports.
    pub name: String,
    /// The status whose bodies it judges.
    pub status: u16,
    /// What it means.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The rule and its fields (the `rule` key and the rest of the object).
    #[serde(flatten)]
    pub rule: RuleManifest,
}

/// The rule of an invariant, tagged by `rule`; its fields are JSON pointers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RuleManifest {
    /// `earlier <= later`.
    NotAfter { earlier: String, later: String },
    /// `earlier < later`.
    After { earlier: String, later: String },
    /// `field` is not after the time the answer was received.
    NotInFuture { field: String },
    /// `field` is after the time received, when the condition holds.
    InFuture {
        field: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<ConditionManifest>,
    },
}

/// `field` equals `equals`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionManifest {
    /// A JSON pointer into the body.
    pub field: String,
    /// The value it must have.
    pub equals: Value,
}

/// What stays the same across answers to one credential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionManifest {
    /// JSON pointers of fields that identify the session; the same credential
    /// must always get the same values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<String>,
    /// JSON pointers of timestamps that never go backwards for one credential.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monotonic: Vec<String>,
    /// Where a held session's own values go in the authenticated body, by role.
    #[serde(default, skip_serializing_if = "SessionFields::is_empty")]
    pub fields: SessionFields,
    /// `fixed` (expiry set at creation) or `sliding` (every read extends it);
    /// fixed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<Expiry>,
}

impl SessionManifest {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Where a session's own values go in the authenticated body: one JSON
/// pointer per role, each optional. A mock holding sessions writes them; a
/// contract without a role simply does not show that value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user's login name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// An object the user's profile fields are merged into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The user's display name and email: the profile's, or derived from
    /// the login (`alice` is "Alice", `alice@example.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// What a role's pointer must reach in the authenticated fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Any value.
    Value,
    /// An object (profile fields are merged into it).
    Object,
}

impl SessionFields {
    /// `(role, pointer)` for every role the contract names.
    pub fn named(&self) -> Vec<(&'static str, &str)> {
        self.roles()
            .into_iter()
            .filter_map(|(role, pointer, _)| pointer.map(|p| (role, p)))
            .collect()
    }

    /// Every role with its manifest key, pointer and what it must reach.
    pub(crate) fn roles(&self) -> [(&'static str, Option<&str>, Reach); 10] {
        [
            ("session_id", self.session_id.as_deref(), Reach::Value),
            ("user_id", self.user_id.as_deref(), Reach::Value),
            ("login", self.login.as_deref(), Reach::Value),
            ("user", self.user.as_deref(), Reach::Object),
            ("name", self.name.as_deref(), Reach::Value),
            ("email", self.email.as_deref(), Reach::Value),
            ("created", self.created.as_deref(), Reach::Value),
            ("last_activity", self.last_activity.as_deref(), Reach::Value),
            ("expires", self.expires.as_deref(), Reach::Value),
            ("state", self.state.as_deref(), Reach::Value),
        ]
    }

    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
