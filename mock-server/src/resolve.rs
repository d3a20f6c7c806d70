//! Which response a request gets: a pure function of the request and a
//! snapshot of the mock's state, so the precedence lives in one place.
//!
//! Precedence, first match wins:
//! 1. per request: `?__scenario=NAME`, then `Mock-Scenario: NAME`, then
//!    `Prefer: example=NAME` / `Prefer: code=STATUS` (Prism's convention);
//! 2. the runtime choice made through `PUT /__mock/scenarios`;
//! 3. the request's credential: a session the mock holds (live, ended or
//!    expired), or in auth-aware mode the outcome class of any credential;
//! 4. the configured default.
//!
//! An unknown name is an error listing the valid ones, never a fallback.

use axum::http::HeaderMap;
use serde::Serialize;
use session_schemas::Contract;

/// What answers the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// An index into the contract's scenarios.
    Scenario(usize),
    /// An index into the contract's extra examples.
    Example(usize),
}

/// Why that answer was chosen, for the journal and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Reason {
    QueryParameter,
    MockScenarioHeader,
    PreferExample,
    PreferCode,
    Runtime,
    Credential,
    Default,
    FailRate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Choice {
    pub target: Target,
    pub reason: Reason,
    /// `Prefer: dynamic=true`: generate the body instead of the fixture.
    pub dynamic: bool,
}

/// A request named something that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct UnknownChoice {
    pub error: &'static str,
    pub message: String,
    pub valid: Vec<String>,
}

/// The parts of the request resolution looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestView<'a> {
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
}

/// A mount's runtime scenario choice (`PUT /__mock/scenarios`): an index
/// into its scenarios, or none. Shared by the mock and the validating
/// proxy (a request to a mount with one is the mock's to answer).
#[derive(Debug, Clone)]
pub(crate) struct RuntimeChoice(std::sync::Arc<std::sync::atomic::AtomicUsize>);

/// No runtime choice: the mount serves its default.
const NO_RUNTIME_CHOICE: usize = usize::MAX;

impl Default for RuntimeChoice {
    fn default() -> Self {
        Self(std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(
            NO_RUNTIME_CHOICE,
        )))
    }
}

impl RuntimeChoice {
    pub(crate) fn get(&self) -> Option<usize> {
        Some(self.0.load(std::sync::atomic::Ordering::Relaxed)).filter(|&i| i != NO_RUNTIME_CHOICE)
    }

    pub(crate) fn set(&self, index: Option<usize>) {
        self.0.store(
            index.unwrap_or(NO_RUNTIME_CHOICE),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

pub(crate) const QUERY_PARAMETER: &str = "__scenario";
pub(crate) const SCENARIO_HEADER: &str = "mock-scenario";

pub(crate) fn resolve(
    contract: &Contract,
    request: RequestView<'_>,
    runtime: Option<usize>,
    by_credential: Option<Target>,
    default: usize,
) -> Result<Choice, UnknownChoice> {
    let prefer = Prefer::parse(request.headers);
    let dynamic = prefer.dynamic;
    let choice = |target, reason| {
        Ok(Choice {
            target,
            reason,
            dynamic,
        })
    };
    if let Some(name) = request.query.and_then(query_scenario) {
        return choice(
            by_name(contract, &name, "the __scenario query parameter")?,
            Reason::QueryParameter,
        );
    }
    if let Some(value) = request.headers.get(SCENARIO_HEADER) {
        let name = value
            .to_str()
            .map_err(|_| {
                unknown(
                    contract,
                    "the Mock-Scenario header is not visible ASCII".to_owned(),
                )
            })?
            .trim();
        return choice(
            by_name(contract, name, "the Mock-Scenario header")?,
            Reason::MockScenarioHeader,
        );
    }
    if let Some(name) = &prefer.example {
        return choice(by_example(contract, name)?, Reason::PreferExample);
    }
    if let Some(code) = &prefer.code {
        return choice(by_code(contract, code)?, Reason::PreferCode);
    }
    if let Some(index) = runtime {
        return choice(Target::Scenario(index), Reason::Runtime);
    }
    if let Some(target) = by_credential {
        return choice(target, Reason::Credential);
    }
    choice(Target::Scenario(default), Reason::Default)
}

/// `Prefer: example=NAME`: a scenario answering to the name, else an example.
fn by_example(contract: &Contract, name: &str) -> Result<Target, UnknownChoice> {
    contract
        .scenarios
        .iter()
        .position(|s| s.answers_to(name))
        .map(Target::Scenario)
        .or_else(|| {
            contract
                .examples
                .iter()
                .position(|e| e.name == name)
                .map(Target::Example)
        })
        .ok_or_else(|| {
            unknown(
                contract,
                format!(
                    "Prefer: example={name} names no scenario or example of {}",
                    contract.name
                ),
            )
        })
}

/// `Prefer: code=STATUS`: the first scenario with that status.
fn by_code(contract: &Contract, code: &str) -> Result<Target, UnknownChoice> {
    let status: u16 = code.parse().map_err(|_| {
        unknown(
            contract,
            format!("Prefer: code={code} is not an HTTP status"),
        )
    })?;
    contract
        .scenarios
        .iter()
        .position(|s| s.status == status)
        .map(Target::Scenario)
        .ok_or_else(|| {
            unknown(
                contract,
                format!(
                    "Prefer: code={status}: {} has no scenario with that status",
                    contract.name
                ),
            )
        })
}

fn by_name(contract: &Contract, name: &str, source: &str) -> Result<Target, UnknownChoice> {
    contract
        .scenarios
        .iter()
        .position(|s| s.answers_to(name))
        .map(Target::Scenario)
        .ok_or_else(|| {
            let hint = session_schemas::suggest(name, contract.scenario_labels())
                .map_or_else(String::new, |s| format!("; did you mean `{s}`?"));
            unknown(
                contract,
                format!(
                    "{source} names unknown scenario `{name}` for {}{hint}",
                    contract.name
                ),
            )
        })
}

fn unknown(contract: &Contract, message: String) -> UnknownChoice {
    let mut valid = contract.scenario_names();
    valid.extend(
        contract
            .examples
            .iter()
            .map(|e| format!("{} (Prefer: example only)", e.name)),
    );
    UnknownChoice {
        error: "unknown_scenario",
        message,
        valid,
    }
}

/// Whether a request asks for a scenario itself (`?__scenario`,
/// `Mock-Scenario`, `Prefer: code=` / `example=` / `dynamic=true`): through
/// the validating proxy, such a request is the mock's to answer.
pub(crate) fn asks_for_scenario(query: Option<&str>, headers: &HeaderMap) -> bool {
    if query.is_some_and(|q| query_scenario(q).is_some()) || headers.contains_key(SCENARIO_HEADER) {
        return true;
    }
    let prefer = Prefer::parse(headers);
    prefer.code.is_some() || prefer.example.is_some() || prefer.dynamic
}

/// The `__scenario` value of a query string, decoded as a form
/// (`application/x-www-form-urlencoded`: `%XX` and `+`).
fn query_scenario(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == QUERY_PARAMETER)
        .map(|(_, value)| value.into_owned())
}

/// The preferences (RFC 7240) the mock honours; others are ignored, as the RFC asks.
#[derive(Debug, Default, PartialEq, Eq)]
struct Prefer {
    code: Option<String>,
    example: Option<String>,
    dynamic: bool,
}

impl Prefer {
    fn parse(headers: &HeaderMap) -> Self {
        let mut prefer = Self::default();
        for value in headers.get_all("prefer") {
            let Ok(text) = value.to_str() else { continue };
            for token in text.split([',', ';']) {
                let Some((key, value)) = token.split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"').to_owned();
                match key.trim().to_ascii_lowercase().as_str() {
                    "code" => prefer.code = prefer.code.or(Some(value)),
                    "example" => prefer.example = prefer.example.or(Some(value)),
                    "dynamic" => prefer.dynamic = value == "true",
                    _ => {}
                }
            }
        }
        prefer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use session_schemas::{Outcome, Registry};

    fn api() -> &'static Contract {
        Registry::builtin().get("session-api").expect("session-api")
    }

    fn index(name: &str) -> usize {
        api()
            .scenarios
            .iter()
            .position(|s| s.name == name)
            .expect("scenario")
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    axum::http::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    fn pick(
        query: Option<&str>,
        pairs: &[(&'static str, &'static str)],
        runtime: Option<usize>,
        auth: Option<Outcome>,
    ) -> Result<Choice, UnknownChoice> {
        let headers = headers(pairs);
        let by_credential = auth.map(|o| Target::Scenario(index(&api().outcome(o).name)));
        resolve(
            api(),
            RequestView {
                query,
                headers: &headers,
            },
            runtime,
            by_credential,
            index("valid"),
        )
    }

    #[test]
    fn each_level_of_precedence_beats_the_ones_below() {
        let all = [("mock-scenario", "404"), ("prefer", "code=500")];
        let everything = pick(
            Some("__scenario=empty"),
            &all,
            Some(index("401")),
            Some(Outcome::Revoked),
        )
        .expect("ok");
        assert_eq!(
            (everything.target, everything.reason),
            (Target::Scenario(index("empty")), Reason::QueryParameter)
        );
        let header = pick(None, &all, Some(index("401")), Some(Outcome::Revoked)).expect("ok");
        assert_eq!(
            (header.target, header.reason),
            (Target::Scenario(index("404")), Reason::MockScenarioHeader)
        );
        let prefer = pick(
            None,
            &[("prefer", "code=500")],
            Some(index("401")),
            Some(Outcome::Revoked),
        )
        .expect("ok");
        assert_eq!(
            (prefer.target, prefer.reason),
            (Target::Scenario(index("500")), Reason::PreferCode)
        );
        let runtime = pick(None, &[], Some(index("401")), Some(Outcome::Revoked)).expect("ok");
        assert_eq!(
            (runtime.target, runtime.reason),
            (Target::Scenario(index("401")), Reason::Runtime)
        );
        let auth = pick(None, &[], None, Some(Outcome::Revoked)).expect("ok");
        assert_eq!(
            (auth.target, auth.reason),
            (Target::Scenario(index("404")), Reason::Credential)
        );
        let default = pick(None, &[], None, None).expect("ok");
        assert_eq!(
            (default.target, default.reason),
            (Target::Scenario(index("valid")), Reason::Default)
        );
    }

    #[test]
    fn aliases_examples_and_prism_preferences_resolve() {
        assert_eq!(
            pick(Some("a=1&__scenario=not-found"), &[], None, None)
                .expect("ok")
                .target,
            Target::Scenario(index("404"))
        );
        assert_eq!(
            pick(Some("__scenario=server%2Derror"), &[], None, None)
                .expect("ok")
                .target,
            Target::Scenario(index("500"))
        );
        let example = pick(None, &[("prefer", "example=invalid-token")], None, None).expect("ok");
        assert_eq!(example.target, Target::Example(0));
        let both = pick(None, &[("prefer", "dynamic=true, code=401")], None, None).expect("ok");
        assert_eq!(both.target, Target::Scenario(index("401")));
        assert!(both.dynamic);
    }

    #[test]
    fn percent_decoding_never_panics_on_odd_input() {
        let decoded = |value: &str| query_scenario(&format!("{QUERY_PARAMETER}={value}"));
        assert_eq!(decoded("a%2Db+c").as_deref(), Some("a-b c"));
        assert_eq!(decoded("%").as_deref(), Some("%"));
        assert_eq!(decoded("%4").as_deref(), Some("%4"));
        assert_eq!(decoded("%é1").as_deref(), Some("%é1"));
        assert_eq!(decoded("%zz").as_deref(), Some("%zz"));
    }

    #[test]
    fn unknown_names_are_errors_that_list_the_valid_ones() {
        let error = pick(Some("__scenario=teapot"), &[], None, None).expect_err("unknown");
        assert!(
            error.message.contains("unknown scenario `teapot`"),
            "{}",
            error.message
        );
        assert!(
            error.valid.contains(&"401 (unauthorized)".to_owned()),
            "{:?}",
            error.valid
        );
        assert!(pick(None, &[("mock-scenario", "nope")], None, None).is_err());
        assert!(pick(None, &[("prefer", "code=418")], None, None).is_err());
        assert!(pick(None, &[("prefer", "code=abc")], None, None).is_err());
        assert!(pick(None, &[("prefer", "example=nope")], None, None).is_err());
        // Preferences the mock does not know are ignored, as RFC 7240 asks.
        assert!(pick(None, &[("prefer", "return=minimal")], None, None).is_ok());
    }
}
