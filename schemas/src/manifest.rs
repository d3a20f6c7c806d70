//! The `x-contract` manifest as written in a schema file. This is the raw,
//! serde-shaped form; `contract.rs` turns it into the checked model.

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) source: Option<String>,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) auth: AuthManifest,
    /// Keyed by status code, in the file's order.
    pub(crate) responses: Map<String, Value>,
    /// Keyed by scenario name, in the file's order.
    pub(crate) scenarios: Map<String, Value>,
    #[serde(default)]
    pub(crate) examples: Map<String, Value>,
    pub(crate) outcomes: OutcomesManifest,
    /// Keyed by status code or `*`, then header name.
    #[serde(default)]
    pub(crate) headers: Map<String, Value>,
    #[serde(default)]
    pub(crate) invariants: Vec<InvariantManifest>,
    #[serde(default)]
    pub(crate) session: SessionManifest,
    /// A sign-in protocol a mock speaks beside the session route (`authjs`).
    #[serde(default)]
    pub(crate) protocol: Option<String>,
}

/// What stays the same across answers to one credential.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionManifest {
    /// JSON pointers of fields that identify the session; the same credential
    /// must always get the same values.
    #[serde(default)]
    pub(crate) identity: Vec<String>,
    /// JSON pointers of timestamps that never go backwards for one credential.
    #[serde(default)]
    pub(crate) monotonic: Vec<String>,
    /// Where a held session's own values go in the authenticated body, by role.
    #[serde(default)]
    pub(crate) fields: SessionFieldsManifest,
    /// `fixed` (expiry set at creation) or `sliding` (every read extends it).
    #[serde(default)]
    pub(crate) expiry: Option<String>,
}

/// JSON pointers into the authenticated body, one per role; each optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionFieldsManifest {
    pub(crate) session_id: Option<String>,
    pub(crate) user_id: Option<String>,
    pub(crate) login: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) created: Option<String>,
    pub(crate) last_activity: Option<String>,
    pub(crate) expires: Option<String>,
    pub(crate) state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "carrier", rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum AuthManifest {
    Bearer,
    Cookie { cookies: Vec<String> },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResponseManifest {
    pub(crate) schema: String,
    #[serde(default)]
    pub(crate) description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioManifest {
    pub(crate) status: u16,
    pub(crate) fixture: String,
    #[serde(default)]
    pub(crate) aliases: Vec<String>,
    /// Narrows the status's schema for generation (e.g. one branch of an anyOf).
    #[serde(default)]
    pub(crate) schema: Option<String>,
    /// The moment the fixture depicts, so a mock can move its timestamps to
    /// the present while keeping their intervals.
    #[serde(default)]
    pub(crate) recorded_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExampleManifest {
    pub(crate) status: u16,
    pub(crate) fixture: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutcomesManifest {
    pub(crate) authenticated: String,
    pub(crate) unauthenticated: String,
    pub(crate) revoked: String,
    /// A scenario or example for an expired credential; the unauthenticated
    /// outcome when absent.
    #[serde(default)]
    pub(crate) expired: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct InvariantManifest {
    pub(crate) name: String,
    pub(crate) status: u16,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(flatten)]
    pub(crate) rule: RuleManifest,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub(crate) enum RuleManifest {
    NotAfter {
        earlier: String,
        later: String,
    },
    After {
        earlier: String,
        later: String,
    },
    NotInFuture {
        field: String,
    },
    InFuture {
        field: String,
        #[serde(default)]
        when: Option<ConditionManifest>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConditionManifest {
    pub(crate) field: String,
    pub(crate) equals: Value,
}
