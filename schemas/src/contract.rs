//! The checked contract model built from one schema file and its fixtures.
//!
//! Loading does every check that can be done once: the schema is valid draft
//! 2020-12, each documented status compiles to a validator (lenient and
//! strict), every fixture the manifest names exists and parses, every
//! scenario and outcome resolves. Whether a scenario is on or off the
//! contract is derived (its status is documented and its fixture validates),
//! never declared, so the table cannot drift from the schema.

use std::collections::BTreeSet;

use jsonschema::Validator;
use proptest::strategy::SBoxedStrategy;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::error::ContractError;
use crate::generate::{self, BodyGenerator};
use crate::invariants::{Clock, Invariant};
pub use crate::manifest::{Auth, Expiry, Outcome, Protocol, SessionFields};
use crate::manifest::{
    ExampleManifest, HeaderScope, IndexMap, InvariantManifest, Manifest, OutcomesManifest, Reach,
    ResponseManifest, ScenarioManifest,
};
use crate::strict::strict_variant;
use crate::validate::{self, Mode, Violation};

/// A named answer of a contract: one of its scenarios or extra examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Scenario(usize),
    Example(usize),
}

/// One documented response status.
pub struct ResponseSpec {
    pub status: u16,
    pub description: String,
    /// JSON pointer (`#/$defs/...`) of the body schema within the document.
    pub schema_pointer: String,
    /// A self-contained schema for this status's body.
    pub schema: Value,
    lenient: Validator,
    strict: Validator,
}

impl std::fmt::Debug for ResponseSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseSpec")
            .field("status", &self.status)
            .field("schema_pointer", &self.schema_pointer)
            .finish_non_exhaustive()
    }
}

impl ResponseSpec {
    /// Every schema violation of `body`; empty when it conforms.
    pub fn validate(&self, body: &Value, mode: Mode) -> Vec<Violation> {
        validate::violations(self.validator(mode), body)
    }

    pub fn is_valid(&self, body: &Value, mode: Mode) -> bool {
        self.validator(mode).is_valid(body)
    }

    fn validator(&self, mode: Mode) -> &Validator {
        match mode {
            Mode::Lenient => &self.lenient,
            Mode::Strict => &self.strict,
        }
    }
}

/// A named response a mock can serve: status plus golden body.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub aliases: Vec<String>,
    pub status: u16,
    /// Path of the fixture, relative to `fixtures/<contract>/`.
    pub fixture: String,
    pub body: Value,
    /// The fixture file's text, byte for byte.
    pub text: String,
    /// The moment the fixture depicts (see [`Scenario::body_at`]).
    pub recorded_at: Option<OffsetDateTime>,
    /// The schema generation uses for this scenario (may narrow the status's).
    pub schema_pointer: Option<String>,
    /// Why the scenario is outside the contract; `None` when documented.
    pub off_contract: Option<String>,
}

impl Scenario {
    pub fn is_documented(&self) -> bool {
        self.off_contract.is_none()
    }

    /// The fixture as if recorded at `now`: every RFC 3339 timestamp moved by
    /// the same amount, so the document's intervals are kept.
    pub fn body_at(&self, now: OffsetDateTime) -> Value {
        let mut body = self.body.clone();
        if let Some(recorded_at) = self.recorded_at {
            crate::time_fmt::shift_timestamps(&mut body, now - recorded_at);
        }
        body
    }

    /// Whether `name` is this scenario's name or one of its aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        self.name == name || self.aliases.iter().any(|alias| alias == name)
    }
}

/// An extra named example (beyond the scenarios' fixtures), e.g. a second 401 message.
#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub status: u16,
    pub fixture: String,
    pub body: Value,
}

/// A response header the contract (or the real system) sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRule {
    /// `None` for every status.
    pub status: Option<u16>,
    pub name: String,
    pub value: String,
}

/// One contract: an endpoint, what it must answer, and the data to serve it.
#[derive(Debug)]
pub struct Contract {
    pub name: String,
    pub title: String,
    pub description: String,
    /// The source document the schema was derived from.
    pub source: Option<String>,
    /// The schema file it was loaded from.
    pub file: String,
    pub method: String,
    /// The default path; deployments mount it elsewhere too.
    pub path: String,
    pub auth: Auth,
    pub responses: Vec<ResponseSpec>,
    pub scenarios: Vec<Scenario>,
    pub examples: Vec<Example>,
    pub headers: Vec<HeaderRule>,
    pub invariants: Vec<Invariant>,
    /// Pointers of the fields that identify a session (same credential, same values).
    pub identity: Vec<String>,
    /// Pointers of timestamps that never go backwards for one credential.
    pub monotonic: Vec<String>,
    /// Where a held session's values go in the authenticated body.
    pub session_fields: SessionFields,
    pub expiry: Expiry,
    /// The sign-in protocol spoken beside the session route, if any.
    pub protocol: Option<Protocol>,
    /// What a correct server answers an expired credential.
    pub expired: Answer,
    /// Top-level keys an authenticated body must carry (the authenticated
    /// scenario's `required`): a body with any of them claims a session.
    pub authenticated_keys: Vec<String>,
    outcomes: [(Outcome, usize); 3],
    document: Value,
}

/// The JSON Schema every `x-contract` manifest must follow
/// (`src/manifest.schema.json`, documented in docs/contract-format.md).
pub const MANIFEST_SCHEMA: &str = include_str!("manifest.schema.json");

/// Applies the manifest schema first, so a mistake is reported with its JSON
/// path and the rule it breaks (at most five, the deepest first).
fn check_manifest_shape(file: &str, raw: &Value) -> Result<(), ContractError> {
    static VALIDATOR: std::sync::OnceLock<Option<jsonschema::Validator>> =
        std::sync::OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        serde_json::from_str::<Value>(MANIFEST_SCHEMA)
            .ok()
            .and_then(|schema| jsonschema::draft202012::new(&schema).ok())
    });
    let Some(validator) = validator else {
        return Err(ContractError::manifest(
            file,
            "the manifest schema shipped with this build does not compile",
        ));
    };
    let mut errors: Vec<(String, String)> = validator
        .iter_errors(raw)
        .map(|e| {
            (
                format!("x-contract{}", e.instance_path().as_str()),
                format!("{e} ({})", e.kind().keyword()),
            )
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort_by_key(|(path, _)| std::cmp::Reverse(path.matches('/').count()));
    let shown: Vec<String> = errors
        .iter()
        .take(5)
        .map(|(path, message)| format!("{path}: {message}"))
        .collect();
    Err(ContractError::manifest(file, shown.join("; ")))
}

/// The schema document: JSON, declared (if at all) as draft 2020-12, and
/// valid against that draft's meta-schema.
fn read_document(file: &str, schema_text: &str) -> Result<Value, ContractError> {
    let document: Value =
        serde_json::from_str(schema_text).map_err(|e| ContractError::json(file, e))?;
    const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";
    if let Some(declared) = document.get("$schema")
        && declared.as_str().map(|d| d.trim_end_matches('#')) != Some(DRAFT)
    {
        return Err(ContractError::manifest(
            file,
            format!(
                "/$schema: a contract is JSON Schema draft 2020-12 (`{DRAFT}`), not {declared}"
            ),
        ));
    }
    if let Err(error) = jsonschema::draft202012::meta::validate(&document) {
        return Err(ContractError::MetaSchema {
            file: file.to_owned(),
            location: format!(
                "/{}",
                error.instance_path().as_str().trim_start_matches('/')
            ),
            message: error.to_string(),
        });
    }
    Ok(document)
}

/// The document's `x-contract`, shape-checked by the manifest schema (for
/// messages with a JSON path), read into the manifest types, and named for
/// its file.
fn read_manifest(file: &str, document: &Value) -> Result<Manifest, ContractError> {
    let raw = document
        .get("x-contract")
        .ok_or_else(|| ContractError::manifest(file, "no `x-contract` manifest"))?;
    check_manifest_shape(file, raw)?;
    // The manifest schema and these types accept the same manifests (a test
    // holds them together), so this is reached only if they drift apart.
    let manifest = Manifest::deserialize(raw)
        .map_err(|e| ContractError::manifest(file, format!("x-contract: {e}")))?;
    let expected_name = file.trim_end_matches(".schema.json");
    if manifest.name != expected_name {
        return Err(ContractError::manifest(
            file,
            format!(
                "x-contract.name is `{}` but the file is named for `{expected_name}`",
                manifest.name
            ),
        ));
    }
    Ok(manifest)
}

/// The header rules, `*` ones applying to every status.
fn headers_of(raw: IndexMap<HeaderScope, IndexMap<String, String>>) -> Vec<HeaderRule> {
    raw.into_iter()
        .flat_map(|(scope, headers)| {
            let status = match scope {
                HeaderScope::Every => None,
                HeaderScope::Status(status) => Some(status),
            };
            headers.into_iter().map(move |(name, value)| HeaderRule {
                status,
                name,
                value,
            })
        })
        .collect()
}

impl Contract {
    /// Reads one contract file and its fixtures, checking everything that can
    /// be checked once (see the module's note), in the order a reader would:
    /// the document, its manifest, then each part of the manifest against the
    /// document and the fixtures.
    pub(crate) fn load(
        file: &str,
        schema_text: &str,
        fixtures: &[(String, String)],
    ) -> Result<Self, ContractError> {
        let document = read_document(file, schema_text)?;
        let Manifest {
            name,
            source,
            method,
            path,
            auth,
            responses,
            scenarios,
            examples,
            outcomes,
            headers,
            invariants,
            session,
            protocol,
        } = read_manifest(file, &document)?;
        let loader = Loader {
            file,
            name: &name,
            document: &document,
            fixtures,
        };
        let responses = loader.responses(responses)?;
        let examples = loader.examples(examples, &responses)?;
        let scenarios = loader.scenarios(scenarios, &responses)?;
        let headers = headers_of(headers);
        let outcome_indices = loader.outcomes(&outcomes, &scenarios)?;
        let invariants = loader.invariants(invariants, &responses)?;
        let authenticated = &scenarios[outcome_indices[0].1];
        loader.check_session_fields(&session.fields, authenticated)?;
        let expired = loader.expired(&outcomes, outcome_indices, &scenarios, &examples)?;
        let authenticated_keys = loader.authenticated_keys(authenticated, &responses)?;
        let text = |key: &str| {
            document
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Ok(Self {
            title: text("title"),
            description: text("description"),
            name,
            source,
            file: file.to_owned(),
            method: method.as_str().to_owned(),
            path,
            auth,
            responses,
            scenarios,
            examples,
            headers,
            invariants,
            identity: session.identity,
            monotonic: session.monotonic,
            session_fields: session.fields,
            expiry: session.expiry.unwrap_or_default(),
            protocol,
            expired,
            authenticated_keys,
            outcomes: outcome_indices,
            document,
        })
    }

    /// Whether a response claims an authenticated session: the authenticated
    /// outcome's status and an object carrying any key an authenticated body
    /// requires. `{}`, `null` and error bodies do not.
    pub fn claims_session(&self, status: u16, body: &Value) -> bool {
        status == self.outcome(Outcome::Authenticated).status
            && body
                .as_object()
                .is_some_and(|o| self.authenticated_keys.iter().any(|k| o.contains_key(k)))
    }

    /// The spec of a documented status.
    pub fn response(&self, status: u16) -> Result<&ResponseSpec, ContractError> {
        self.responses
            .iter()
            .find(|r| r.status == status)
            .ok_or_else(|| ContractError::UndocumentedStatus {
                contract: self.name.clone(),
                status,
                documented: self
                    .documented_statuses()
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Fields the schema accepts that the source document does not mention
    /// (`x-undocumented: true`), as `(status, path)`: what the real system
    /// was seen to send beyond its document. Paths are JSON pointers, with
    /// `[]` for an array's items.
    pub fn undocumented_fields(&self) -> Vec<(u16, String)> {
        let mut found = Vec::new();
        for response in &self.responses {
            let mut paths = Vec::new();
            if let Some(schema) = self
                .document
                .pointer(response.schema_pointer.trim_start_matches('#'))
            {
                undocumented(&self.document, schema, String::new(), 0, &mut paths);
            }
            paths.sort();
            paths.dedup();
            found.extend(paths.into_iter().map(|p| (response.status, p)));
        }
        found
    }

    pub fn documented_statuses(&self) -> Vec<u16> {
        self.responses.iter().map(|r| r.status).collect()
    }

    pub fn is_documented(&self, status: u16) -> bool {
        self.responses.iter().any(|r| r.status == status)
    }

    /// Every schema violation of `body` for `status`.
    pub fn validate(
        &self,
        status: u16,
        body: &Value,
        mode: Mode,
    ) -> Result<Vec<Violation>, ContractError> {
        Ok(self.response(status)?.validate(body, mode))
    }

    /// Every invariant violation of `body` for `status`. Without a clock,
    /// only the rules that do not involve the present are judged.
    pub fn check_invariants(
        &self,
        status: u16,
        body: &Value,
        clock: Option<&Clock>,
    ) -> Vec<Violation> {
        self.invariants
            .iter()
            .filter(|i| i.status == status)
            .filter_map(|i| i.check(body, clock))
            .collect()
    }

    /// Schema violations, then invariant violations: the whole verdict on one body.
    pub fn check(
        &self,
        status: u16,
        body: &Value,
        mode: Mode,
        clock: Option<&Clock>,
    ) -> Result<Vec<Violation>, ContractError> {
        let mut all = self.validate(status, body, mode)?;
        all.extend(self.check_invariants(status, body, clock));
        Ok(all)
    }

    /// The scenario called `name` (or with that alias).
    pub fn scenario(&self, name: &str) -> Result<&Scenario, ContractError> {
        self.scenarios
            .iter()
            .find(|s| s.answers_to(name))
            .ok_or_else(|| ContractError::UnknownScenario {
                hint: crate::error::hint(name, self.scenario_labels()),
                contract: self.name.clone(),
                name: name.to_owned(),
                known: self.scenario_names().join(", "),
            })
    }

    /// Every name a scenario answers to (names and aliases).
    pub fn scenario_labels(&self) -> impl Iterator<Item = &str> {
        self.scenarios.iter().flat_map(|s| {
            std::iter::once(s.name.as_str()).chain(s.aliases.iter().map(String::as_str))
        })
    }

    /// Scenario names with their aliases, for listings and error messages.
    pub fn scenario_names(&self) -> Vec<String> {
        self.scenarios
            .iter()
            .map(|s| {
                if s.aliases.is_empty() {
                    s.name.clone()
                } else {
                    format!("{} ({})", s.name, s.aliases.join(", "))
                }
            })
            .collect()
    }

    /// The scenario a correct server answers for this class of credential.
    pub fn outcome(&self, outcome: Outcome) -> &Scenario {
        &self.scenarios[self.outcome_index(outcome)]
    }

    /// The index in `scenarios` of the outcome's scenario.
    pub fn outcome_index(&self, outcome: Outcome) -> usize {
        self.outcomes
            .iter()
            .find(|(o, _)| *o == outcome)
            .map_or(0, |(_, i)| *i)
    }

    /// The status and body of a named answer.
    pub fn answer(&self, answer: Answer) -> (u16, &Value) {
        match answer {
            Answer::Scenario(i) => (self.scenarios[i].status, &self.scenarios[i].body),
            Answer::Example(i) => (self.examples[i].status, &self.examples[i].body),
        }
    }

    /// A named body: a scenario's fixture or an extra example (Prism's `Prefer: example=`).
    pub fn example(&self, name: &str) -> Option<(u16, &Value)> {
        self.scenarios
            .iter()
            .find(|s| s.answers_to(name))
            .map(|s| (s.status, &s.body))
            .or_else(|| {
                self.examples
                    .iter()
                    .find(|e| e.name == name)
                    .map(|e| (e.status, &e.body))
            })
    }

    /// Headers the endpoint sends with `status`.
    pub fn headers_for(&self, status: u16) -> impl Iterator<Item = &HeaderRule> {
        self.headers
            .iter()
            .filter(move |h| h.status.is_none_or(|s| s == status))
    }

    /// A strategy for schema-valid bodies of a documented status, with
    /// timestamps placed around `now` so that the invariants hold.
    pub fn response_strategy(
        &self,
        status: u16,
        now: OffsetDateTime,
    ) -> Result<SBoxedStrategy<Value>, ContractError> {
        let spec = self.response(status)?;
        generate::strategy(
            &self.name,
            &self.invariants,
            &self.document,
            &spec.schema_pointer,
            status,
            now,
        )
    }

    /// A strategy for a documented scenario's bodies (narrowed by its `schema`, if any).
    pub fn scenario_strategy(
        &self,
        scenario: &Scenario,
        now: OffsetDateTime,
    ) -> Result<SBoxedStrategy<Value>, ContractError> {
        let spec = self.response(scenario.status)?;
        let pointer = scenario
            .schema_pointer
            .as_deref()
            .unwrap_or(&spec.schema_pointer);
        generate::strategy(
            &self.name,
            &self.invariants,
            &self.document,
            pointer,
            scenario.status,
            now,
        )
    }

    /// A deterministic stream of bodies for `status`: same seed and `now`, same bodies.
    pub fn generator(
        &self,
        status: u16,
        now: OffsetDateTime,
        seed: u64,
    ) -> Result<BodyGenerator, ContractError> {
        Ok(BodyGenerator::new(
            self.response_strategy(status, now)?,
            seed,
        ))
    }

    /// The schema node at a `#/...` pointer of this contract's document.
    pub fn schema_at(&self, pointer: &str) -> Option<&Value> {
        self.document.pointer(pointer.strip_prefix('#')?)
    }

    /// The whole schema document, manifest included.
    pub fn document(&self) -> &Value {
        &self.document
    }
}

/// Builds the parts of a contract, with the file's name for every error.
struct Loader<'a> {
    file: &'a str,
    name: &'a str,
    document: &'a Value,
    fixtures: &'a [(String, String)],
}

impl Loader<'_> {
    fn check_pointer(&self, pointer: &str, context: &str) -> Result<(), ContractError> {
        let target = pointer
            .strip_prefix('#')
            .and_then(|p| self.document.pointer(p));
        match target {
            Some(_) => Ok(()),
            None => Err(ContractError::manifest(
                self.file,
                format!(
                    "{context}: `{pointer}` does not point into this document (expected `#/$defs/...`)"
                ),
            )),
        }
    }

    fn responses(
        &self,
        raw: IndexMap<u16, ResponseManifest>,
    ) -> Result<Vec<ResponseSpec>, ContractError> {
        let mut responses = Vec::new();
        for (status, entry) in raw {
            let context = format!("x-contract.responses.{status}");
            self.check_pointer(&entry.schema, &context)?;
            let schema = standalone_schema(self.document, &entry.schema);
            let compile = |schema: &Value| {
                jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(schema)
                    .map_err(|e| ContractError::Compile {
                        contract: self.name.to_owned(),
                        status,
                        message: e.to_string(),
                    })
            };
            let lenient = compile(&schema)?;
            let strict = compile(&strict_variant(&schema))?;
            responses.push(ResponseSpec {
                status,
                description: entry.description,
                schema_pointer: entry.schema,
                schema,
                lenient,
                strict,
            });
        }
        responses.sort_by_key(|r| r.status);
        Ok(responses)
    }

    fn fixture(&self, path: &str, context: &str) -> Result<(Value, String), ContractError> {
        let fail = |message: String| ContractError::Fixture {
            file: self.file.to_owned(),
            key: format!("{context}.fixture"),
            contract: self.name.to_owned(),
            fixture: path.to_owned(),
            message,
        };
        let (_, text) = self
            .fixtures
            .iter()
            .find(|(p, _)| p == path)
            .ok_or_else(|| fail("no such file".to_owned()))?;
        let value = serde_json::from_str(text).map_err(|e| {
            fail(format!(
                "not valid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        Ok((value, text.clone()))
    }

    fn scenarios(
        &self,
        raw: IndexMap<String, ScenarioManifest>,
        responses: &[ResponseSpec],
    ) -> Result<Vec<Scenario>, ContractError> {
        let mut seen = BTreeSet::new();
        let mut scenarios = Vec::new();
        for (name, entry) in raw {
            let context = format!("x-contract.scenarios.{name}");
            for label in std::iter::once(&name).chain(&entry.aliases) {
                if !seen.insert(label.clone()) {
                    return Err(ContractError::manifest(
                        self.file,
                        format!("{context}: the name `{label}` is used twice"),
                    ));
                }
            }
            if let Some(pointer) = &entry.schema {
                self.check_pointer(pointer, &context)?;
            }
            let (body, text) = self.fixture(&entry.fixture, &context)?;
            let recorded_at = match &entry.recorded_at {
                None => None,
                Some(at) => Some(crate::time_fmt::parse(at).ok_or_else(|| {
                    ContractError::manifest(
                        self.file,
                        format!("{context}.recorded_at: `{at}` is not an RFC 3339 time"),
                    )
                })?),
            };
            let off_contract = self.off_contract(entry.status, &body, responses);
            scenarios.push(Scenario {
                name,
                aliases: entry.aliases,
                status: entry.status,
                fixture: entry.fixture,
                body,
                text,
                recorded_at,
                schema_pointer: entry.schema,
                off_contract,
            });
        }
        Ok(scenarios)
    }

    /// Why a scenario's body is outside the contract; `None` when it keeps it.
    fn off_contract(
        &self,
        status: u16,
        body: &Value,
        responses: &[ResponseSpec],
    ) -> Option<String> {
        let Some(spec) = responses.iter().find(|r| r.status == status) else {
            return Some(format!(
                "status {status} is not documented by {}",
                self.name
            ));
        };
        let first = spec.validate(body, Mode::Lenient).into_iter().next()?;
        Some(format!(
            "the body does not match the {status} schema: {first}"
        ))
    }

    fn examples(
        &self,
        raw: IndexMap<String, ExampleManifest>,
        responses: &[ResponseSpec],
    ) -> Result<Vec<Example>, ContractError> {
        let mut examples = Vec::new();
        for (name, entry) in raw {
            let context = format!("x-contract.examples.{name}");
            let (body, _) = self.fixture(&entry.fixture, &context)?;
            let Some(spec) = responses.iter().find(|r| r.status == entry.status) else {
                return Err(ContractError::manifest(
                    self.file,
                    format!("{context}: status {} is not documented", entry.status),
                ));
            };
            if let Some(violation) = spec.validate(&body, Mode::Lenient).first() {
                return Err(ContractError::Fixture {
                    file: self.file.to_owned(),
                    key: format!("{context}.fixture"),
                    contract: self.name.to_owned(),
                    fixture: entry.fixture,
                    message: format!("example `{name}` does not match its schema: {violation}"),
                });
            }
            examples.push(Example {
                name,
                status: entry.status,
                fixture: entry.fixture,
                body,
            });
        }
        Ok(examples)
    }

    /// Each outcome class with the index of its scenario. An outcome is what
    /// a correct server answers: its fixture must keep the contract (other
    /// scenarios may be off-contract on purpose).
    fn outcomes(
        &self,
        raw: &OutcomesManifest,
        scenarios: &[Scenario],
    ) -> Result<[(Outcome, usize); 3], ContractError> {
        let index = |outcome: Outcome| {
            let name = raw.scenario(outcome);
            scenarios
                .iter()
                .position(|s| s.name == name)
                .map(|index| (outcome, index))
                .ok_or_else(|| {
                    ContractError::manifest(
                        self.file,
                        format!("x-contract.outcomes names unknown scenario `{name}`"),
                    )
                })
        };
        let outcomes = [
            index(Outcome::Authenticated)?,
            index(Outcome::Unauthenticated)?,
            index(Outcome::Revoked)?,
        ];
        for (outcome, index) in &outcomes {
            let scenario = &scenarios[*index];
            if let Some(why) = &scenario.off_contract {
                return Err(ContractError::manifest(
                    self.file,
                    format!(
                        "x-contract.outcomes.{}: scenario `{}` (fixture {}) is off-contract, but an outcome is what a correct server answers: {why}",
                        outcome.key(),
                        scenario.name,
                        scenario.fixture
                    ),
                ));
            }
        }
        Ok(outcomes)
    }

    /// The invariants, each for a documented status.
    fn invariants(
        &self,
        raw: Vec<InvariantManifest>,
        responses: &[ResponseSpec],
    ) -> Result<Vec<Invariant>, ContractError> {
        let invariants: Vec<Invariant> = raw.into_iter().map(Invariant::from_manifest).collect();
        if let Some(orphan) = invariants
            .iter()
            .find(|i| !responses.iter().any(|r| r.status == i.status))
        {
            return Err(ContractError::manifest(
                self.file,
                format!(
                    "invariant `{}` applies to status {}, which is not documented",
                    orphan.name, orphan.status
                ),
            ));
        }
        Ok(invariants)
    }

    /// Every session role points at what it needs in the authenticated fixture.
    fn check_session_fields(
        &self,
        fields: &SessionFields,
        authenticated: &Scenario,
    ) -> Result<(), ContractError> {
        for (role, pointer, reach) in fields.roles() {
            let Some(pointer) = pointer else {
                continue;
            };
            let found = authenticated.body.pointer(pointer);
            let fits = match reach {
                Reach::Value => found.is_some(),
                Reach::Object => found.is_some_and(Value::is_object),
            };
            if !fits {
                let what = match reach {
                    Reach::Value => "a value",
                    Reach::Object => "an object",
                };
                return Err(ContractError::manifest(
                    self.file,
                    format!(
                        "x-contract.session.fields.{role}: `{pointer}` does not point to {what} in the `{}` fixture",
                        authenticated.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// What a correct server answers an expired credential: the named
    /// scenario or example, else the unauthenticated outcome.
    fn expired(
        &self,
        raw: &OutcomesManifest,
        outcomes: [(Outcome, usize); 3],
        scenarios: &[Scenario],
        examples: &[Example],
    ) -> Result<Answer, ContractError> {
        let Some(name) = &raw.expired else {
            return Ok(Answer::Scenario(outcomes[1].1));
        };
        scenarios
            .iter()
            .position(|s| s.answers_to(name))
            .map(Answer::Scenario)
            .or_else(|| examples.iter().position(|e| &e.name == name).map(Answer::Example))
            .ok_or_else(|| {
                ContractError::manifest(
                    self.file,
                    format!("x-contract.outcomes.expired names `{name}`, neither a scenario nor an example"),
                )
            })
    }

    /// The authenticated scenario's schema's `required` keys: what tells an
    /// authenticated body from an empty one.
    fn authenticated_keys(
        &self,
        authenticated: &Scenario,
        responses: &[ResponseSpec],
    ) -> Result<Vec<String>, ContractError> {
        let pointer = authenticated.schema_pointer.clone().or_else(|| {
            responses
                .iter()
                .find(|r| r.status == authenticated.status)
                .map(|r| r.schema_pointer.clone())
        });
        let keys: Vec<String> = pointer
            .and_then(|p| self.document.pointer(p.strip_prefix('#')?))
            .and_then(|schema| schema.get("required"))
            .and_then(Value::as_array)
            .map(|keys| {
                keys.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if keys.is_empty() {
            return Err(ContractError::manifest(
                self.file,
                format!(
                    "the authenticated scenario `{}` has no schema with `required` keys, \
                     so an authenticated body cannot be told from an empty one",
                    authenticated.name
                ),
            ));
        }
        Ok(keys)
    }
}

/// A schema for one `#/$defs/...` node that carries the definitions it may refer to.
fn standalone_schema(document: &Value, pointer: &str) -> Value {
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": pointer,
    });
    for key in ["$id", "$defs"] {
        if let Some(value) = document.get(key) {
            schema[key] = value.clone();
        }
    }
    schema
}

/// Walks `schema` (following local `$ref`s, `anyOf` / `oneOf` / `allOf`
/// branches, `properties` and `items`) for properties marked
/// `x-undocumented`.
fn undocumented(document: &Value, schema: &Value, at: String, depth: usize, out: &mut Vec<String>) {
    if depth > 32 {
        return; // a recursive schema: deep enough
    }
    let Some(map) = schema.as_object() else {
        return;
    };
    if let Some(target) = map
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| document.pointer(p))
    {
        undocumented(document, target, at.clone(), depth + 1, out);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for branch in map.get(key).and_then(Value::as_array).into_iter().flatten() {
            undocumented(document, branch, at.clone(), depth + 1, out);
        }
    }
    if let Some(items) = map.get("items") {
        undocumented(document, items, format!("{at}/[]"), depth + 1, out);
    }
    for (name, property) in map
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path = format!("{at}/{name}");
        if property.get("x-undocumented") == Some(&Value::Bool(true)) {
            out.push(path.clone());
        }
        undocumented(document, property, path, depth + 1, out);
    }
}
