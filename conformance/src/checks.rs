//! The checks: each named, in a group, with a severity; each judges one
//! response (or, for stability, the answers to one credential) and says
//! pass, fail or not applicable. Everything contract-specific comes from the
//! contract model; nothing here knows a field name.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use session_schemas::{Clock, Mode, Outcome};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::case::RequestCase;
use crate::exec::{Observation, Reply};
use crate::secret::Redactor;
use crate::target::Target;

/// A check's name, as `--checks` and the reports spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    Transport,
    BodySize,
    StatusDocumented,
    ContentType,
    BodyParses,
    BodySchema,
    Invariants,
    ExpectedOutcome,
    NoServerError,
    AuthBypass,
    Stability,
    CacheControl,
    WwwAuthenticate,
    ResponseTime,
    BodyLeak,
}

/// Checks that belong together, for `--checks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// Judged from one response alone, with no expected outcome: usable
    /// against targets whose credentials the runner does not control.
    Response,
    /// Judged against the outcome the contract promises for the credential sent.
    Oracle,
    /// Good practice the documents do not spell out.
    Hygiene,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Self::Response => "response",
            Self::Oracle => "oracle",
            Self::Hygiene => "hygiene",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl CheckId {
    pub const ALL: [CheckId; 15] = [
        Self::Transport,
        Self::BodySize,
        Self::StatusDocumented,
        Self::ContentType,
        Self::BodyParses,
        Self::BodySchema,
        Self::Invariants,
        Self::ExpectedOutcome,
        Self::NoServerError,
        Self::AuthBypass,
        Self::Stability,
        Self::CacheControl,
        Self::WwwAuthenticate,
        Self::ResponseTime,
        Self::BodyLeak,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Transport => "transport",
            Self::BodySize => "body-size",
            Self::StatusDocumented => "status-documented",
            Self::ContentType => "content-type",
            Self::BodyParses => "body-parses",
            Self::BodySchema => "body-schema",
            Self::Invariants => "invariants",
            Self::ExpectedOutcome => "expected-outcome",
            Self::NoServerError => "no-server-error",
            Self::AuthBypass => "auth-bypass",
            Self::Stability => "stability",
            Self::CacheControl => "cache-control",
            Self::WwwAuthenticate => "www-authenticate",
            Self::ResponseTime => "response-time",
            Self::BodyLeak => "body-leak",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Transport => "a complete response arrives within the timeout",
            Self::BodySize => "the body is within --max-body",
            Self::StatusDocumented => "the status is one the contract documents",
            Self::ContentType => "the body is declared as JSON",
            Self::BodyParses => "the body is JSON",
            Self::BodySchema => "the body is valid for its status",
            Self::Invariants => {
                "the body keeps the contract's rules (timestamp order, an active session not expired)"
            }
            Self::ExpectedOutcome => {
                "the answer is the one the contract promises for the credential sent"
            }
            Self::NoServerError => "client-side garbage never gets a 5xx",
            Self::AuthBypass => "no credential, or a bad one, never gets an authenticated session",
            Self::Stability => {
                "the same credential keeps the same session, and its timestamps never go backwards"
            }
            Self::CacheControl => "an authenticated answer is marked no-store or private",
            Self::WwwAuthenticate => "a 401 says how to authenticate (WWW-Authenticate)",
            Self::ResponseTime => "the answer comes within --max-response-time",
            Self::BodyLeak => "no body echoes the credential or shows a stack trace",
        }
    }

    pub fn group(self) -> Group {
        match self {
            Self::Transport
            | Self::BodySize
            | Self::StatusDocumented
            | Self::ContentType
            | Self::BodyParses
            | Self::BodySchema
            | Self::Invariants => Group::Response,
            Self::ExpectedOutcome | Self::NoServerError | Self::AuthBypass | Self::Stability => {
                Group::Oracle
            }
            Self::CacheControl | Self::WwwAuthenticate | Self::ResponseTime | Self::BodyLeak => {
                Group::Hygiene
            }
        }
    }

    pub fn severity(self) -> Severity {
        match self.group() {
            Group::Hygiene => Severity::Warning,
            Group::Response | Group::Oracle => Severity::Error,
        }
    }

    /// A failure of this check lets someone in who should not be.
    pub fn security(self) -> bool {
        self == Self::AuthBypass
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The checks a run applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSet(BTreeSet<CheckId>);

impl CheckSet {
    pub fn all() -> Self {
        Self(CheckId::ALL.into_iter().collect())
    }

    /// Parses `all`, group and check names, comma-separated; `-name` removes.
    /// A list that starts with a removal starts from `all`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let items: Vec<&str> = text.split(',').map(str::trim).collect();
        let mut set = BTreeSet::new();
        if items.first().is_some_and(|i| i.starts_with('-')) {
            set.extend(CheckId::ALL);
        }
        for item in items {
            let (remove, name) = match item.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, item),
            };
            let members: Vec<CheckId> = match name {
                "all" => CheckId::ALL.to_vec(),
                "response" => Self::group(Group::Response),
                "oracle" => Self::group(Group::Oracle),
                "hygiene" => Self::group(Group::Hygiene),
                _ => vec![
                    CheckId::ALL
                        .into_iter()
                        .find(|c| c.name() == name)
                        .ok_or_else(|| {
                            format!(
                                "unknown check `{name}`; known: all, response, oracle, hygiene, {}",
                                CheckId::ALL.map(CheckId::name).join(", ")
                            )
                        })?,
                ],
            };
            for member in members {
                if remove {
                    set.remove(&member);
                } else {
                    set.insert(member);
                }
            }
        }
        if set.is_empty() {
            return Err(format!("`{text}` selects no check"));
        }
        Ok(Self(set))
    }

    fn group(group: Group) -> Vec<CheckId> {
        CheckId::ALL
            .into_iter()
            .filter(|c| c.group() == group)
            .collect()
    }

    pub fn contains(&self, check: CheckId) -> bool {
        self.0.contains(&check)
    }

    pub fn iter(&self) -> impl Iterator<Item = CheckId> + '_ {
        self.0.iter().copied()
    }

    /// Whether any selected check needs to know which credential was sent
    /// (and so needs a credential the target accepts).
    pub fn needs_oracle(&self) -> bool {
        self.0.iter().any(|c| c.group() == Group::Oracle)
    }
}

/// A failed check on one response: what went wrong, with the details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl Finding {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            details: Vec::new(),
        }
    }
}

/// One check's judgement on one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail(Finding),
    /// The check does not apply to this response.
    Skip,
}

/// What the checks need besides the response.
#[derive(Debug)]
pub struct Judge<'a> {
    pub target: &'a Target,
    pub redactor: &'a Redactor,
    pub checks: &'a CheckSet,
    pub schema_mode: Mode,
    pub clock_skew: Duration,
    pub max_response_time: Duration,
    pub max_body: usize,
}

/// A response with its body parsed once for all checks.
struct Parsed<'r> {
    reply: &'r Reply,
    /// The body parsed, once for every check; `None` when it was cut at the bound.
    parsed: Option<Result<Value, serde_json::Error>>,
    claims_session: bool,
}

impl Parsed<'_> {
    fn json(&self) -> Option<&Value> {
        self.parsed.as_ref().and_then(|p| p.as_ref().ok())
    }
}

/// The selected checks' verdicts on one response, and the body if it claims
/// a session (what the cross-response checks compare).
#[derive(Debug)]
pub struct Judgement {
    pub verdicts: Vec<(CheckId, Verdict)>,
    pub session: Option<Value>,
}

const STACK_TRACE_MARKS: [&str; 8] = [
    "Traceback (most recent call last)",
    "panicked at ",
    "goroutine 1 [running]",
    "Exception in thread",
    "\n\tat ",
    "\n    at ",
    "node:internal/",
    "java.lang.",
];

impl Judge<'_> {
    /// Every selected per-response check's verdict on one observation.
    pub fn judge(&self, case: &RequestCase, observation: &Observation) -> Judgement {
        let selected = self.checks.iter().filter(|c| *c != CheckId::Stability);
        let reply = match &observation.result {
            Err(failure) => {
                let verdicts = selected
                    .map(|c| {
                        let v = if c == CheckId::Transport {
                            Verdict::Fail(Finding::new(failure.to_string()))
                        } else {
                            Verdict::Skip
                        };
                        (c, v)
                    })
                    .collect();
                return Judgement {
                    verdicts,
                    session: None,
                };
            }
            Ok(reply) => reply,
        };
        let parsed = (!reply.truncated).then(|| serde_json::from_slice::<Value>(&reply.body));
        let mut parsed = Parsed {
            reply,
            claims_session: parsed
                .as_ref()
                .and_then(|p| p.as_ref().ok())
                .is_some_and(|b| self.target.contract.claims_session(reply.status, b)),
            parsed,
        };
        let verdicts = selected
            .map(|c| (c, self.judge_one(c, case, observation, &parsed)))
            .collect();
        let session = match parsed.parsed.take() {
            Some(Ok(body)) if parsed.claims_session => Some(body),
            _ => None,
        };
        Judgement { verdicts, session }
    }

    fn judge_one(
        &self,
        check: CheckId,
        case: &RequestCase,
        observation: &Observation,
        parsed: &Parsed<'_>,
    ) -> Verdict {
        let contract = self.target.contract;
        let reply = parsed.reply;
        let status = reply.status;
        let fail = |message: String| Verdict::Fail(Finding::new(message));
        let pass_if = |ok: bool, message: &dyn Fn() -> String| {
            if ok { Verdict::Pass } else { fail(message()) }
        };
        match check {
            CheckId::Transport => Verdict::Pass,
            CheckId::BodySize => pass_if(!reply.truncated, &|| {
                format!(
                    "the body goes on past {} bytes; reading stopped there",
                    self.max_body
                )
            }),
            CheckId::StatusDocumented => pass_if(contract.is_documented(status), &|| {
                let documented = contract
                    .documented_statuses()
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                let location = header(reply, "location")
                    .map(|l| format!(" (redirect to {}, not followed)", self.redactor.redact(l)))
                    .unwrap_or_default();
                format!(
                    "status {status}{location} is not documented for `{}` (documented: {documented})",
                    contract.name
                )
            }),
            CheckId::ContentType => {
                // An undocumented status has no body to judge: status-documented
                // reports it, once.
                if reply.body.is_empty() || !contract.is_documented(status) {
                    return Verdict::Skip;
                }
                match header(reply, "content-type") {
                    None => fail("no Content-Type header on a JSON body".to_owned()),
                    Some(value) => {
                        let media = value
                            .split(';')
                            .next()
                            .unwrap_or("")
                            .trim()
                            .to_ascii_lowercase();
                        pass_if(
                            media == "application/json" || media.ends_with("+json"),
                            &|| {
                                format!(
                                    "Content-Type is `{}`, not application/json",
                                    self.redactor.redact(value)
                                )
                            },
                        )
                    }
                }
            }
            CheckId::BodyParses => {
                if reply.truncated || !contract.is_documented(status) {
                    return Verdict::Skip;
                }
                match &parsed.parsed {
                    None | Some(Ok(_)) => Verdict::Pass,
                    Some(Err(e)) => Verdict::Fail(Finding {
                        message: match header(reply, "content-encoding")
                            .filter(|c| !c.eq_ignore_ascii_case("identity"))
                        {
                            // The runner sends no Accept-Encoding and never
                            // decodes: an encoded body is judged as sent.
                            Some(coding) => format!(
                                "the body is not JSON: it is `{coding}`-encoded, though the request accepted no content coding"
                            ),
                            None => format!("the body is not JSON: {e}"),
                        },
                        details: vec![format!("body: {}", self.excerpt(&reply.body))],
                    }),
                }
            }
            CheckId::BodySchema => {
                let (Some(body), true) = (parsed.json(), contract.is_documented(status)) else {
                    return Verdict::Skip;
                };
                let violations = contract
                    .validate(status, body, self.schema_mode)
                    .unwrap_or_default();
                if violations.is_empty() {
                    return Verdict::Pass;
                }
                let details: Vec<String> = violations
                    .iter()
                    .flat_map(|v| v.flatten())
                    .filter(|v| v.causes.is_empty())
                    .map(|v| {
                        self.redactor.redact(&format!(
                            "{}: {} ({})",
                            v.display_path(),
                            v.message,
                            v.rule
                        ))
                    })
                    .collect();
                Verdict::Fail(Finding {
                    message: format!(
                        "the {status} body breaks the schema in {} place{}",
                        details.len(),
                        if details.len() == 1 { "" } else { "s" }
                    ),
                    details,
                })
            }
            CheckId::Invariants => {
                let (Some(body), true) = (parsed.json(), contract.is_documented(status)) else {
                    return Verdict::Skip;
                };
                if contract.invariants.iter().all(|i| i.status != status) {
                    return Verdict::Skip;
                }
                let clock = Clock::new(
                    observation.received_at,
                    time::Duration::try_from(self.clock_skew).unwrap_or(time::Duration::ZERO),
                );
                let violations = contract.check_invariants(status, body, Some(&clock));
                if violations.is_empty() {
                    return Verdict::Pass;
                }
                Verdict::Fail(Finding {
                    message: format!(
                        "the body breaks {}",
                        violations
                            .iter()
                            .map(|v| format!("`{}`", v.rule))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    details: violations
                        .iter()
                        .map(|v| format!("{}: {}", v.display_path(), v.message))
                        .collect(),
                })
            }
            CheckId::ExpectedOutcome => {
                let expected = case.expected();
                if status >= 500 && case.is_client_garbage() {
                    return Verdict::Skip; // judged by no-server-error
                }
                if expected != Outcome::Authenticated && parsed.claims_session {
                    return Verdict::Skip; // judged by auth-bypass
                }
                let scenario = contract.outcome(expected);
                let wants_session = expected == Outcome::Authenticated;
                pass_if(
                    status == scenario.status && parsed.claims_session == wants_session,
                    &|| {
                        format!(
                            "should get {} (`{}`: {}); got {status}{}",
                            scenario.status,
                            scenario.name,
                            outcome_words(expected),
                            if parsed.claims_session {
                                " with a session"
                            } else if status == scenario.status {
                                " without a session"
                            } else {
                                ""
                            }
                        )
                    },
                )
            }
            CheckId::NoServerError => {
                if !case.is_client_garbage() {
                    return Verdict::Skip;
                }
                pass_if(status < 500, &|| {
                    format!("got {status}: a server error for a client's bad or missing credential")
                })
            }
            CheckId::AuthBypass => {
                if case.expected() == Outcome::Authenticated {
                    return Verdict::Skip;
                }
                pass_if(!parsed.claims_session, &|| {
                    format!(
                        "SECURITY: got an authenticated session ({status}) where the contract promises {}",
                        outcome_words(case.expected())
                    )
                })
            }
            CheckId::CacheControl => {
                if !parsed.claims_session {
                    return Verdict::Skip;
                }
                let value = header(reply, "cache-control")
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let directives: Vec<&str> = value.split(',').map(str::trim).collect();
                pass_if(
                    directives.contains(&"no-store") || directives.contains(&"private"),
                    &|| {
                        if value.is_empty() {
                            "an authenticated answer has no Cache-Control; a shared cache may serve it to someone else".to_owned()
                        } else {
                            format!(
                                "an authenticated answer has Cache-Control `{value}`, without no-store or private"
                            )
                        }
                    },
                )
            }
            CheckId::WwwAuthenticate => {
                if status != 401 {
                    return Verdict::Skip;
                }
                pass_if(header(reply, "www-authenticate").is_some(), &|| {
                    "a 401 without WWW-Authenticate".to_owned()
                })
            }
            CheckId::ResponseTime => {
                let elapsed = observation.elapsed();
                pass_if(elapsed <= self.max_response_time, &|| {
                    format!(
                        "took {:.0?}, over --max-response-time {:.0?}",
                        elapsed, self.max_response_time
                    )
                })
            }
            CheckId::BodyLeak => {
                let text = String::from_utf8_lossy(&reply.body);
                let echoes_garbage = case
                    .garbage_tokens()
                    .iter()
                    .any(|t| t.len() >= 8 && text.contains(*t));
                if echoes_garbage || self.redactor.echoes(&text) {
                    return Verdict::Fail(Finding {
                        message: "the body echoes the credential".to_owned(),
                        details: vec![format!("body: {}", self.excerpt(&reply.body))],
                    });
                }
                match STACK_TRACE_MARKS.iter().find(|m| text.contains(**m)) {
                    Some(mark) => Verdict::Fail(Finding {
                        message: format!("the body looks like a stack trace ({:?})", mark.trim()),
                        details: vec![format!("body: {}", self.excerpt(&reply.body))],
                    }),
                    None => Verdict::Pass,
                }
            }
            CheckId::Stability => Verdict::Skip,
        }
    }

    /// The start of a body, redacted, for a report.
    pub fn excerpt(&self, body: &[u8]) -> String {
        excerpt(self.redactor, body)
    }

    /// Stability across the answers to the valid credential, in the order
    /// the requests were sent: the identity fields never change, and a
    /// monotonic timestamp is never earlier than one from an answer that was
    /// complete before this request was sent. `answers` are `(case index,
    /// observation, body)`; each verdict names its answer's position there.
    pub fn stability(&self, answers: &[(usize, Observation, Value)]) -> Vec<(usize, Verdict)> {
        if !self.checks.contains(CheckId::Stability) {
            return Vec::new();
        }
        let contract = self.target.contract;
        // Each answer's monotonic timestamps, parsed once.
        let stamps: Vec<Vec<Option<OffsetDateTime>>> = answers
            .iter()
            .map(|(_, _, body)| {
                contract
                    .monotonic
                    .iter()
                    .map(|p| {
                        body.pointer(p)
                            .and_then(Value::as_str)
                            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
                    })
                    .collect()
            })
            .collect();
        let mut sent: Vec<usize> = (0..answers.len()).collect();
        sent.sort_by_key(|&p| (answers[p].1.sent, answers[p].0));
        let mut completed: Vec<usize> = (0..answers.len()).collect();
        completed.sort_by_key(|&p| (answers[p].1.done, answers[p].0));
        // For each monotonic field, the latest value among the first k
        // completed answers: "before this request was sent" is a prefix.
        let prefix_max: Vec<Vec<Option<OffsetDateTime>>> = (0..contract.monotonic.len())
            .map(|slot| {
                let mut best = None;
                let mut out = vec![None];
                for &p in &completed {
                    best = best.max(stamps[p][slot]);
                    out.push(best);
                }
                out
            })
            .collect();
        let mut first: Vec<Option<&Value>> = vec![None; contract.identity.len()];
        let mut verdicts = Vec::new();
        for position in sent {
            let (_, observation, body) = &answers[position];
            let mut problems = Vec::new();
            for (slot, pointer) in contract.identity.iter().enumerate() {
                let Some(value) = body.pointer(pointer) else {
                    continue;
                };
                match first[slot] {
                    None => first[slot] = Some(value),
                    Some(seen) if seen == value => {}
                    Some(seen) => problems.push(format!(
                        "{pointer} changed for the same credential: {} then {}",
                        self.redactor.redact(&seen.to_string()),
                        self.redactor.redact(&value.to_string())
                    )),
                }
            }
            // An answer completes after its own request was sent, so the
            // prefix never includes the answer itself.
            let before = completed.partition_point(|&p| answers[p].1.done <= observation.sent);
            for (slot, pointer) in contract.monotonic.iter().enumerate() {
                if let (Some(now), Some(latest)) =
                    (stamps[position][slot], prefix_max[slot][before])
                    && now < latest
                {
                    problems.push(format!(
                        "{pointer} went backwards: {} after an earlier answer's {}",
                        format_time(now),
                        format_time(latest)
                    ));
                }
            }
            let verdict = if problems.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail(Finding {
                    message: problems[0].clone(),
                    details: problems,
                })
            };
            verdicts.push((position, verdict));
        }
        verdicts
    }
}

fn format_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn outcome_words(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Authenticated => "an authenticated session",
        Outcome::Unauthenticated => "no session",
        Outcome::Revoked => "a revoked session",
    }
}

fn header<'r>(reply: &'r Reply, name: &str) -> Option<&'r str> {
    reply
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap_or("(not text)"))
}

/// The first 300 characters of a body, redacted.
pub fn excerpt(redactor: &Redactor, body: &[u8]) -> String {
    const SHOWN: usize = 300;
    // Redact a wider window first, so a secret cut by the limit is still masked.
    let text = String::from_utf8_lossy(&body[..body.len().min(SHOWN * 4)]);
    let redacted = redactor.redact(&text);
    let mut shown: String = redacted.chars().take(SHOWN).collect();
    if redacted.chars().count() > SHOWN || body.len() > SHOWN * 4 {
        shown.push_str(&format!("… ({} bytes)", body.len()));
    }
    if shown.is_empty() {
        "(empty)".to_owned()
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_lists_parse() {
        let response = CheckSet::parse("response").unwrap();
        assert!(response.contains(CheckId::BodySchema));
        assert!(!response.contains(CheckId::AuthBypass));
        assert!(!response.needs_oracle());
        let most = CheckSet::parse("-response-time,-hygiene").unwrap();
        assert!(most.contains(CheckId::AuthBypass));
        assert!(!most.contains(CheckId::CacheControl));
        let some = CheckSet::parse("response,auth-bypass").unwrap();
        assert!(some.contains(CheckId::AuthBypass) && some.needs_oracle());
        assert!(
            CheckSet::parse("bogus")
                .unwrap_err()
                .contains("unknown check `bogus`")
        );
        assert!(CheckSet::parse("all,-all").is_err());
    }

    #[test]
    fn every_check_has_a_distinct_name() {
        let names: BTreeSet<&str> = CheckId::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), CheckId::ALL.len());
    }
}
