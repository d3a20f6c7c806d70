//! Snapshot kit for implementers of the session contracts.
//!
//! In your own tests, hand a response to [`Kit::assert_conforms`]: it panics
//! with every violation listed, or returns the response normalized for
//! `insta::assert_json_snapshot!`: status, the headers the contract cares
//! about, and the body with volatile values (uuids, timestamps, tokens)
//! replaced by stable placeholders.
//!
//! ```ignore
//! let kit = session_snapshot::Kit::new("session-api").secret(&token);
//! let response = session_snapshot::Response::new(200, &headers, &body);
//! insta::assert_json_snapshot!(kit.assert_conforms(&response));
//! ```
//!
//! For snapshots taken your own way, [`Kit::redactions`] lists the contract's
//! volatile fields as insta selectors. [`Shape`] is the coarser form
//! `session-conformance snapshot` records, in which every value is reduced
//! to its kind, and [`drift`] compares two of them.

mod drift;
pub mod file;
mod normalize;
mod response;
mod shape;

use std::fmt;

use serde_json::{Map, Value};
use session_schemas::{Clock, Contract, Mode, Registry};

pub use drift::{Change, ChangeKind, drift};
pub use normalize::{Placeholder, Redaction};
pub use response::Response;
pub use shape::Shape;

/// Normalizes and judges responses of one contract.
#[derive(Debug, Clone)]
pub struct Kit {
    contract: &'static Contract,
    secrets: Vec<String>,
    mode: Mode,
    clock: bool,
    /// The headers a snapshot keeps, lower-cased.
    headers: Vec<String>,
    /// Each documented status's volatile fields, from its schema.
    redactions: Vec<(u16, Vec<Redaction>)>,
}

impl Kit {
    /// The kit for a built-in contract (`session-api`, `authjs`).
    ///
    /// # Panics
    /// On an unknown contract name, listing the known ones: the kit is meant
    /// for tests, where that is a typo to fix. [`Kit::try_new`] returns it.
    pub fn new(contract: &str) -> Self {
        Self::try_new(contract).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_new(contract: &str) -> Result<Self, session_schemas::ContractError> {
        Ok(Self::for_contract(Registry::builtin().get(contract)?))
    }

    pub fn for_contract(contract: &'static Contract) -> Self {
        let mut headers = vec!["content-type".to_owned()];
        for rule in &contract.headers {
            let name = rule.name.to_ascii_lowercase();
            if !headers.contains(&name) {
                headers.push(name);
            }
        }
        let redactions = contract
            .documented_statuses()
            .into_iter()
            .map(|status| (status, normalize::schema_redactions(contract, status)))
            .collect();
        Self {
            contract,
            secrets: Vec::new(),
            mode: Mode::Lenient,
            clock: true,
            headers,
            redactions,
        }
    }

    /// A credential the response must not echo; wherever it appears in a
    /// header or body value it is replaced by `[token]`.
    pub fn secret(mut self, value: impl Into<String>) -> Self {
        let value = value.into();
        if !value.is_empty() {
            self.secrets.push(value);
        }
        self
    }

    /// Reject properties the contract does not declare.
    pub fn strict(mut self) -> Self {
        self.mode = Mode::Strict;
        self
    }

    /// Do not judge the rules about the present (an active session not yet
    /// expired, last activity not in the future): for responses replayed
    /// from a recording rather than just made.
    pub fn without_clock(mut self) -> Self {
        self.clock = false;
        self
    }

    pub fn contract(&self) -> &'static Contract {
        self.contract
    }

    /// Every way `response` breaks the contract; empty when it conforms.
    pub fn violations(&self, response: &Response) -> Vec<String> {
        let contract = self.contract;
        let mut found = Vec::new();
        if !contract.is_documented(response.status) {
            found.push(format!(
                "status {} is not documented (documented: {})",
                response.status,
                join(contract.documented_statuses())
            ));
        }
        for rule in contract.headers_for(response.status) {
            if response.header(&rule.name).is_none() {
                found.push(format!(
                    "header {}: missing (the contract sends `{}`)",
                    rule.name, rule.value
                ));
            }
        }
        match response.header("content-type") {
            Some(kind) if is_json(kind) => {}
            Some(kind) => found.push(format!(
                "header Content-Type: `{kind}` is not application/json"
            )),
            None => found.push("header Content-Type: missing".to_owned()),
        }
        for secret in &self.secrets {
            let echoed = response
                .headers
                .iter()
                .find(|(_, v)| v.contains(secret.as_str()))
                .map(|(name, _)| format!("header {name}"))
                .or_else(|| {
                    String::from_utf8_lossy(&response.body)
                        .contains(secret.as_str())
                        .then(|| "the body".to_owned())
                });
            if let Some(place) = echoed {
                found.push(format!("{place} echoes the credential"));
            }
        }
        match response.json() {
            Err(e) => found.push(format!("body: not JSON ({e})")),
            Ok(body) => {
                let clock = self.clock.then(Clock::now);
                if let Ok(violations) =
                    contract.check(response.status, &body, self.mode, clock.as_ref())
                {
                    found.extend(violations.iter().map(|v| format!("body {v}")));
                }
            }
        }
        found
    }

    /// The normalized response if it conforms, else every violation.
    pub fn check(&self, response: &Response) -> Result<Value, Nonconformance> {
        let violations = self.violations(response);
        if violations.is_empty() {
            Ok(self.normalize(response))
        } else {
            Err(Nonconformance {
                contract: self.contract.name.clone(),
                status: response.status,
                violations,
            })
        }
    }

    /// The normalized response, for `insta::assert_json_snapshot!`.
    ///
    /// # Panics
    /// When the response breaks the contract; the message lists every violation.
    #[track_caller]
    pub fn assert_conforms(&self, response: &Response) -> Value {
        self.check(response).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `{status, headers, body}`, whether or not the response conforms:
    /// headers limited to Content-Type and those the contract names, the
    /// body's volatile values replaced by placeholders, keys sorted.
    pub fn normalize(&self, response: &Response) -> Value {
        let mut out = Map::new();
        out.insert("status".to_owned(), Value::from(response.status));
        let headers: Map<String, Value> = self
            .header_names()
            .iter()
            .filter_map(|name| {
                let value = response.header(name)?;
                Some((name.clone(), Value::String(self.scrub(value))))
            })
            .collect();
        out.insert("headers".to_owned(), Value::Object(headers));
        let body = match response.json() {
            Ok(body) => {
                normalize::redact(&body, self.redactions_for(response.status), &self.secrets)
            }
            Err(_) => Value::String(format!("[not JSON: {} bytes]", response.body.len())),
        };
        out.insert("body".to_owned(), body);
        Value::Object(out)
    }

    /// The coarse shape of one response (see [`Shape`]).
    pub fn shape(&self, response: &Response) -> Shape {
        let mut shape = Shape::default();
        shape.add(self, response);
        shape
    }

    /// The headers a snapshot keeps: Content-Type, then the contract's, lower-cased.
    pub fn header_names(&self) -> &[String] {
        &self.headers
    }

    /// The contract's volatile fields in every documented body, as insta
    /// selectors with their placeholders, for
    /// `settings.add_redaction(selector, placeholder)`.
    pub fn redactions(&self) -> Vec<Redaction> {
        let mut all: Vec<Redaction> = Vec::new();
        for r in self.redactions.iter().flat_map(|(_, list)| list) {
            if !all.contains(r) {
                all.push(r.clone());
            }
        }
        all
    }

    /// The volatile fields of `status`'s body; none for an undocumented status.
    pub(crate) fn redactions_for(&self, status: u16) -> &[Redaction] {
        self.redactions
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(&[], |(_, list)| list.as_slice())
    }

    /// Secrets inside a value replaced by `[token]`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        normalize::scrub(text, &self.secrets)
    }

    pub(crate) fn secrets(&self) -> &[String] {
        &self.secrets
    }
}

/// A response that breaks its contract, with every violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nonconformance {
    pub contract: String,
    pub status: u16,
    pub violations: Vec<String>,
}

impl fmt::Display for Nonconformance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} response does not conform to the `{}` contract ({} violation{}):",
            self.status,
            self.contract,
            self.violations.len(),
            if self.violations.len() == 1 { "" } else { "s" }
        )?;
        for v in &self.violations {
            write!(f, "\n  - {v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Nonconformance {}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn join(statuses: Vec<u16>) -> String {
    statuses
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
