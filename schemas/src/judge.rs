//! How an answer of a session endpoint is judged against its contract: the
//! checks, one [`TABLE`] of them (name, group, severity, what it means, how
//! it is judged), and the response checks' code. The conformance runner
//! judges every case's answer with it, and the mock's validating proxy every
//! upstream answer, so both report the same check names and the same
//! findings. Everything contract-specific comes from the [`Contract`];
//! nothing here knows a field name.
//!
//! The checks that need more than one answer (stability) or a journey
//! through sign-in and sign-out (the lifecycle group) are listed here, and
//! judged by the runner.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::secret::Redactor;
use crate::{Clock, Contract, Mode, Outcome};

/// A check's name, as `--checks` and the reports spell it. The order is
/// [`TABLE`]'s.
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
    SignOutEndsSession,
    CsrfProtected,
    FreshCredential,
    ExpiredCredential,
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
    /// The session's life: sign-in, sign-out, expiry. Run once per target.
    Lifecycle,
}

impl Group {
    pub const ALL: [Group; 4] = [Self::Response, Self::Oracle, Self::Hygiene, Self::Lifecycle];

    pub fn name(self) -> &'static str {
        match self {
            Self::Response => "response",
            Self::Oracle => "oracle",
            Self::Hygiene => "hygiene",
            Self::Lifecycle => "lifecycle",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// How a check is judged.
#[derive(Clone, Copy)]
pub enum How {
    /// One answer at a time.
    Response(fn(&Rules<'_>, &Subject<'_>) -> Verdict),
    /// The valid credential's answers together (the runner's stability).
    Across,
    /// Once per target, from what signing in and out showed (the runner's
    /// journey).
    Lifecycle,
}

impl fmt::Debug for How {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Response(_) => "Response",
            Self::Across => "Across",
            Self::Lifecycle => "Lifecycle",
        })
    }
}

/// One check: everything about it in one place.
#[derive(Debug)]
pub struct Check {
    pub id: CheckId,
    pub name: &'static str,
    pub group: Group,
    pub severity: Severity,
    /// A failure lets someone in who should not be, or keeps them in.
    pub security: bool,
    pub description: &'static str,
    /// Why a failure matters, and the guidance it follows; reports show it.
    pub why: Option<&'static str>,
    pub how: How,
}

const fn check(
    id: CheckId,
    name: &'static str,
    group: Group,
    description: &'static str,
    how: How,
) -> Check {
    Check {
        id,
        name,
        group,
        severity: match group {
            Group::Hygiene => Severity::Warning,
            _ => Severity::Error,
        },
        security: false,
        description,
        why: None,
        how,
    }
}

const fn security(mut check: Check, why: &'static str) -> Check {
    check.security = true;
    check.why = Some(why);
    check
}

const fn warning(mut check: Check) -> Check {
    check.severity = Severity::Warning;
    check
}

/// Every check, in [`CheckId`] order.
pub static TABLE: [Check; 19] = [
    check(
        CheckId::Transport,
        "transport",
        Group::Response,
        "a complete response arrives within the timeout",
        How::Response(transport),
    ),
    check(
        CheckId::BodySize,
        "body-size",
        Group::Response,
        "the body is within --max-body",
        How::Response(body_size),
    ),
    check(
        CheckId::StatusDocumented,
        "status-documented",
        Group::Response,
        "the status is one the contract documents",
        How::Response(status_documented),
    ),
    check(
        CheckId::ContentType,
        "content-type",
        Group::Response,
        "the body is declared as JSON",
        How::Response(content_type),
    ),
    check(
        CheckId::BodyParses,
        "body-parses",
        Group::Response,
        "the body is JSON",
        How::Response(body_parses),
    ),
    check(
        CheckId::BodySchema,
        "body-schema",
        Group::Response,
        "the body is valid for its status",
        How::Response(body_schema),
    ),
    check(
        CheckId::Invariants,
        "invariants",
        Group::Response,
        "the body keeps the contract's rules (timestamp order, an active session not expired)",
        How::Response(invariants),
    ),
    check(
        CheckId::ExpectedOutcome,
        "expected-outcome",
        Group::Oracle,
        "the answer is the one the contract promises for the credential sent",
        How::Response(expected_outcome),
    ),
    check(
        CheckId::NoServerError,
        "no-server-error",
        Group::Oracle,
        "client-side garbage never gets a 5xx",
        How::Response(no_server_error),
    ),
    security(
        check(
            CheckId::AuthBypass,
            "auth-bypass",
            Group::Oracle,
            "no credential, or a bad one, never gets an authenticated session",
            How::Response(auth_bypass),
        ),
        "anyone without a valid credential, or with a forged one, is let in as a signed-in user",
    ),
    check(
        CheckId::Stability,
        "stability",
        Group::Oracle,
        "the same credential keeps the same session, and its timestamps never go backwards",
        How::Across,
    ),
    check(
        CheckId::CacheControl,
        "cache-control",
        Group::Hygiene,
        "an authenticated answer is marked no-store or private",
        How::Response(cache_control),
    ),
    check(
        CheckId::WwwAuthenticate,
        "www-authenticate",
        Group::Hygiene,
        "a 401 says how to authenticate (WWW-Authenticate)",
        How::Response(www_authenticate),
    ),
    check(
        CheckId::ResponseTime,
        "response-time",
        Group::Hygiene,
        "the answer comes within --max-response-time",
        How::Response(response_time),
    ),
    check(
        CheckId::BodyLeak,
        "body-leak",
        Group::Hygiene,
        "no body echoes the credential or shows a stack trace",
        How::Response(body_leak),
    ),
    warning(security(
        check(
            CheckId::SignOutEndsSession,
            "sign-out-ends-session",
            Group::Lifecycle,
            "after sign-out, the old credential replayed gets no session",
            How::Lifecycle,
        ),
        "a credential stolen before sign-out (from a shared computer, a log, a proxy) keeps \
         working after the user signed out. OWASP ASVS V3.3.1: logout and expiration \
         invalidate the session token, so the back button or a replayed token does not \
         resume an authenticated session. JWT session designs fail this knowingly; it is a \
         warning unless --strict",
    )),
    security(
        check(
            CheckId::CsrfProtected,
            "csrf-protected",
            Group::Lifecycle,
            "a sign-in or sign-out POST without the CSRF token changes nothing",
            How::Lifecycle,
        ),
        "another site can sign a visitor in to an attacker's account, or sign them out \
         (OWASP ASVS V4.2.2, cross-site request forgery; Auth.js's double-submit CSRF token)",
    ),
    security(
        check(
            CheckId::FreshCredential,
            "fresh-credential",
            Group::Lifecycle,
            "each sign-in issues a new credential, never one that existed before it",
            How::Lifecycle,
        ),
        "a credential that survives sign-in lets whoever planted or saw it before ride the new \
         session (session fixation; OWASP ASVS V3.2.1: a new session token on authentication)",
    ),
    security(
        check(
            CheckId::ExpiredCredential,
            "expired-credential",
            Group::Lifecycle,
            "an expired credential gets the unauthenticated outcome",
            How::Lifecycle,
        ),
        "a credential that outlives its expiry keeps a session open past the time the \
         application chose to end it (OWASP ASVS V3.3.1: logout and expiration invalidate \
         the session token)",
    ),
];

impl CheckId {
    pub const ALL: [CheckId; 19] = [
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
        Self::SignOutEndsSession,
        Self::CsrfProtected,
        Self::FreshCredential,
        Self::ExpiredCredential,
    ];

    /// The check's entry in [`TABLE`].
    pub fn spec(self) -> &'static Check {
        &TABLE[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn description(self) -> &'static str {
        self.spec().description
    }

    pub fn group(self) -> Group {
        self.spec().group
    }

    pub fn severity(self) -> Severity {
        self.spec().severity
    }

    pub fn security(self) -> bool {
        self.spec().security
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
            let members: Vec<CheckId> = if name == "all" {
                CheckId::ALL.to_vec()
            } else if let Some(group) = Group::ALL.into_iter().find(|g| g.name() == name) {
                Self::group(group)
            } else {
                vec![
                    CheckId::ALL
                        .into_iter()
                        .find(|c| c.name() == name)
                        .ok_or_else(|| {
                            format!(
                                "unknown check `{name}`; known: all, {}, {}",
                                Group::ALL.map(Group::name).join(", "),
                                CheckId::ALL.map(CheckId::name).join(", ")
                            )
                        })?,
                ]
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

    /// Whether any lifecycle check is selected.
    pub fn has_lifecycle(&self) -> bool {
        self.0.iter().any(|c| c.group() == Group::Lifecycle)
    }
}

/// A failed check: what went wrong, with the details, and what makes it
/// this failure rather than another of the same check (`key`): failures
/// with the same key are one distinct failure, counted once in reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    #[serde(skip)]
    pub key: String,
}

impl Finding {
    /// A finding whose message names what broke (the message is the key).
    pub fn new(message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            key: message.clone(),
            message,
            details: Vec::new(),
        }
    }

    /// The same finding, known by `key` rather than by its message (for
    /// messages that carry a per-case value such as a time).
    pub fn keyed(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
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

impl Verdict {
    pub fn pass_if(ok: bool, finding: impl FnOnce() -> Finding) -> Self {
        if ok {
            Self::Pass
        } else {
            Self::Fail(finding())
        }
    }

    fn fail(message: impl Into<String>) -> Self {
        Self::Fail(Finding::new(message))
    }
}

/// What the checks need besides the answer.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    pub contract: &'a Contract,
    pub redactor: &'a Redactor,
    pub checks: &'a CheckSet,
    pub schema_mode: Mode,
    pub clock_skew: Duration,
    pub max_response_time: Duration,
    pub max_body: usize,
}

impl fmt::Debug for Rules<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rules")
            .field("contract", &self.contract.name)
            .field("checks", &self.checks)
            .field("schema_mode", &self.schema_mode)
            .finish_non_exhaustive()
    }
}

/// An answer as it arrived: the body read up to the bound.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The body went on past the bound and was not read further.
    pub truncated: bool,
}

impl Reply {
    /// A header's value as text (`(not text)` when it is not).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("(not text)"))
    }
}

/// What the request carried, as far as the checks care.
#[derive(Debug, Clone, Default)]
pub struct Sent<'a> {
    /// The outcome the contract promises for the credential sent; `None`
    /// when it cannot be known (a credential only the server can judge).
    pub expected: Option<Outcome>,
    /// Garbage tokens the request sent (not secrets): a body that echoes
    /// one reflects its input.
    pub garbage: Vec<&'a str>,
}

impl Sent<'_> {
    /// Whether the client sent garbage or nothing: a 5xx is never a fair
    /// answer to it.
    pub fn is_client_garbage(&self) -> bool {
        self.expected.is_some_and(|e| e != Outcome::Authenticated)
    }
}

/// One answer as every response check sees it: the body parsed once.
#[derive(Debug)]
pub struct Subject<'r> {
    pub sent: &'r Sent<'r>,
    pub reply: &'r Reply,
    /// Wall-clock time when the answer was complete, for the rules about
    /// the present.
    pub received_at: OffsetDateTime,
    /// From sending the request to the answer's end.
    pub elapsed: Duration,
    /// The body parsed; `None` when it was cut at the bound.
    pub parsed: Option<Result<Value, serde_json::Error>>,
    pub claims_session: bool,
}

impl Subject<'_> {
    fn json(&self) -> Option<&Value> {
        self.parsed.as_ref().and_then(|p| p.as_ref().ok())
    }

    fn status(&self) -> u16 {
        self.reply.status
    }
}

/// The selected checks' verdicts on one response, and the body if it claims
/// a session (what the cross-response checks compare).
#[derive(Debug)]
pub struct Judgement {
    pub verdicts: Vec<(CheckId, Verdict)>,
    pub session: Option<Value>,
}

impl Judgement {
    /// The failed checks, in table order.
    pub fn failures(&self) -> impl Iterator<Item = (CheckId, &Finding)> {
        self.verdicts.iter().filter_map(|(c, v)| match v {
            Verdict::Fail(finding) => Some((*c, finding)),
            Verdict::Pass | Verdict::Skip => None,
        })
    }
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

impl Rules<'_> {
    /// Every selected response check's verdict on one answer.
    pub fn judge(
        &self,
        sent: &Sent<'_>,
        reply: &Reply,
        received_at: OffsetDateTime,
        elapsed: Duration,
    ) -> Judgement {
        let parsed = (!reply.truncated).then(|| serde_json::from_slice::<Value>(&reply.body));
        let mut subject = Subject {
            sent,
            reply,
            received_at,
            elapsed,
            claims_session: parsed
                .as_ref()
                .and_then(|p| p.as_ref().ok())
                .is_some_and(|b| self.contract.claims_session(reply.status, b)),
            parsed,
        };
        let verdicts = self
            .checks
            .iter()
            .filter_map(|c| match c.spec().how {
                How::Response(judge) => Some((c, judge(self, &subject))),
                How::Across | How::Lifecycle => None,
            })
            .collect();
        let session = match subject.parsed.take() {
            Some(Ok(body)) if subject.claims_session => Some(body),
            _ => None,
        };
        Judgement { verdicts, session }
    }

    /// The start of a body, redacted, for a report.
    pub fn excerpt(&self, body: &[u8]) -> String {
        excerpt(self.redactor, body)
    }
}

fn transport(_: &Rules<'_>, _: &Subject<'_>) -> Verdict {
    Verdict::Pass // a reply arrived; a failure to get one is the caller's to judge
}

fn body_size(rules: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    Verdict::pass_if(!s.reply.truncated, || {
        Finding::new(format!(
            "the body goes on past {} bytes; reading stopped there",
            rules.max_body
        ))
    })
}

fn status_documented(rules: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    let contract = rules.contract;
    let status = s.status();
    Verdict::pass_if(contract.is_documented(status), || {
        let documented = contract
            .documented_statuses()
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let location = s
            .reply
            .header("location")
            .map(|l| format!(" (redirect to {}, not followed)", rules.redactor.redact(l)))
            .unwrap_or_default();
        Finding::new(format!(
            "status {status}{location} is not documented for `{}` (documented: {documented})",
            contract.name
        ))
        .keyed(format!("status {status}"))
    })
}

fn content_type(rules: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    // An undocumented status has no body to judge: status-documented reports it, once.
    if s.reply.body.is_empty() || !rules.contract.is_documented(s.status()) {
        return Verdict::Skip;
    }
    match s.reply.header("content-type") {
        None => Verdict::fail("no Content-Type header on a JSON body"),
        Some(value) => {
            let media = value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            Verdict::pass_if(
                media == "application/json" || media.ends_with("+json"),
                || {
                    Finding::new(format!(
                        "Content-Type is `{}`, not application/json",
                        rules.redactor.redact(value)
                    ))
                    .keyed(media.clone())
                },
            )
        }
    }
}

fn body_parses(rules: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    if s.reply.truncated || !rules.contract.is_documented(s.status()) {
        return Verdict::Skip;
    }
    let Some(Err(error)) = &s.parsed else {
        return Verdict::Pass;
    };
    // The runner sends no Accept-Encoding and never decodes: an encoded
    // body is judged as sent.
    let finding = match s
        .reply
        .header("content-encoding")
        .filter(|c| !c.eq_ignore_ascii_case("identity"))
    {
        Some(coding) => Finding::new(format!(
            "the body is not JSON: it is `{coding}`-encoded, though the request accepted no content coding"
        )),
        None => Finding::new(format!("the body is not JSON: {error}"))
            .keyed(format!("{} body not JSON", s.status())),
    };
    Verdict::Fail(finding.with_details(vec![format!("body: {}", rules.excerpt(&s.reply.body))]))
}

fn body_schema(rules: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    let contract = rules.contract;
    let status = s.status();
    let (Some(body), true) = (s.json(), contract.is_documented(status)) else {
        return Verdict::Skip;
    };
    let violations = contract
        .validate(status, body, rules.schema_mode)
        .unwrap_or_default();
    let leaves: Vec<_> = violations
        .iter()
        .flat_map(|v| v.flatten())
        .filter(|v| v.causes.is_empty())
        .collect();
    if leaves.is_empty() {
        return Verdict::Pass;
    }
    let details: Vec<String> = leaves
        .iter()
        .map(|v| {
            rules
                .redactor
                .redact(&format!("{}: {} ({})", v.display_path(), v.message, v.rule))
        })
        .collect();
    // What broke, without the values: where, and which rule (a `required`
    // or unknown property names the property, which is part of what broke).
    let mut key: Vec<String> = leaves
        .iter()
        .map(|v| match v.rule.as_str() {
            "required" | "additionalProperties" | "unevaluatedProperties" => {
                format!("{} {}: {}", v.display_path(), v.rule, v.message)
            }
            _ => format!("{} {}", v.display_path(), v.rule),
        })
        .collect();
    key.sort();
    key.dedup();
    Verdict::Fail(
        Finding::new(format!(
            "the {status} body breaks the schema in {} place{}",
            details.len(),
            if details.len() == 1 { "" } else { "s" }
        ))
        .keyed(format!("{status}: {}", key.join("; ")))
        .with_details(details),
    )
}

fn invariants(rules: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    let contract = rules.contract;
    let status = s.status();
    let (Some(body), true) = (s.json(), contract.is_documented(status)) else {
        return Verdict::Skip;
    };
    if contract.invariants.iter().all(|i| i.status != status) {
        return Verdict::Skip;
    }
    let clock = Clock::new(
        s.received_at,
        time::Duration::try_from(rules.clock_skew).unwrap_or(time::Duration::ZERO),
    );
    let violations = contract.check_invariants(status, body, Some(&clock));
    if violations.is_empty() {
        return Verdict::Pass;
    }
    let rules: Vec<String> = violations.iter().map(|v| format!("`{}`", v.rule)).collect();
    Verdict::Fail(
        Finding::new(format!("the body breaks {}", rules.join(", "))).with_details(
            violations
                .iter()
                .map(|v| format!("{}: {}", v.display_path(), v.message))
                .collect(),
        ),
    )
}

fn expected_outcome(rules: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    let Some(expected) = s.sent.expected else {
        return Verdict::Skip; // nothing is promised for a credential not known
    };
    let status = s.status();
    if status >= 500 && s.sent.is_client_garbage() {
        return Verdict::Skip; // judged by no-server-error
    }
    if expected != Outcome::Authenticated && s.claims_session {
        return Verdict::Skip; // judged by auth-bypass
    }
    let scenario = rules.contract.outcome(expected);
    let wants_session = expected == Outcome::Authenticated;
    Verdict::pass_if(
        status == scenario.status && s.claims_session == wants_session,
        || {
            Finding::new(format!(
                "should get {} (`{}`: {}); got {status}{}",
                scenario.status,
                scenario.name,
                outcome_words(expected),
                if s.claims_session {
                    " with a session"
                } else if status == scenario.status {
                    " without a session"
                } else {
                    ""
                }
            ))
        },
    )
}

fn no_server_error(_: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    if !s.sent.is_client_garbage() {
        return Verdict::Skip;
    }
    let status = s.status();
    Verdict::pass_if(status < 500, || {
        Finding::new(format!(
            "got {status}: a server error for a client's bad or missing credential"
        ))
    })
}

fn auth_bypass(_: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    let Some(expected) = s.sent.expected.filter(|e| *e != Outcome::Authenticated) else {
        return Verdict::Skip;
    };
    Verdict::pass_if(!s.claims_session, || {
        Finding::new(format!(
            "SECURITY: got an authenticated session ({}) where the contract promises {}",
            s.status(),
            outcome_words(expected)
        ))
    })
}

fn cache_control(_: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    if !s.claims_session {
        return Verdict::Skip;
    }
    let value = s
        .reply
        .header("cache-control")
        .unwrap_or("")
        .to_ascii_lowercase();
    let directives: Vec<&str> = value.split(',').map(str::trim).collect();
    Verdict::pass_if(
        directives.contains(&"no-store") || directives.contains(&"private"),
        || {
            Finding::new(if value.is_empty() {
                "an authenticated answer has no Cache-Control; a shared cache may serve it to someone else".to_owned()
            } else {
                format!(
                    "an authenticated answer has Cache-Control `{value}`, without no-store or private"
                )
            })
        },
    )
}

fn www_authenticate(_: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    if s.status() != 401 {
        return Verdict::Skip;
    }
    Verdict::pass_if(s.reply.header("www-authenticate").is_some(), || {
        Finding::new("a 401 without WWW-Authenticate")
    })
}

fn response_time(rules: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    let elapsed = s.elapsed;
    Verdict::pass_if(elapsed <= rules.max_response_time, || {
        Finding::new(format!(
            "took {:.0?}, over --max-response-time {:.0?}",
            elapsed, rules.max_response_time
        ))
        .keyed("slow")
    })
}

fn body_leak(rules: &Rules<'_>, s: &Subject<'_>) -> Verdict {
    let text = String::from_utf8_lossy(&s.reply.body);
    let echoes_garbage = s
        .sent
        .garbage
        .iter()
        .any(|t| t.len() >= 8 && text.contains(*t));
    let body = || vec![format!("body: {}", rules.excerpt(&s.reply.body))];
    if echoes_garbage || rules.redactor.echoes(&text) {
        return Verdict::Fail(Finding::new("the body echoes the credential").with_details(body()));
    }
    match STACK_TRACE_MARKS.iter().find(|m| text.contains(**m)) {
        Some(mark) => Verdict::Fail(
            Finding::new(format!(
                "the body looks like a stack trace ({:?})",
                mark.trim()
            ))
            .with_details(body()),
        ),
        None => Verdict::Pass,
    }
}

/// How an outcome reads in a finding.
pub fn outcome_words(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Authenticated => "an authenticated session",
        Outcome::Unauthenticated => "no session",
        Outcome::Revoked => "a revoked session",
    }
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
    fn the_table_is_in_check_order() {
        for (i, check) in TABLE.iter().enumerate() {
            assert_eq!(check.id as usize, i, "{}", check.name);
            assert_eq!(CheckId::ALL[i], check.id);
        }
        assert_eq!(
            CheckSet::parse("lifecycle").unwrap().iter().count(),
            4,
            "the lifecycle group"
        );
    }

    #[test]
    fn every_check_has_a_distinct_name() {
        let names: BTreeSet<&str> = CheckId::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), CheckId::ALL.len());
    }
}
