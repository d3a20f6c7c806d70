//! The validating proxy (`--proxy URL`): a contract's requests go to the
//! real backend, and every answer of its session endpoint is judged on the
//! way back with the runner's own checks (`session_schemas::judge`).
//!
//! - What is forwarded: the session endpoint and every route under its base
//!   (`/api/auth/*` for `/api/auth/session`, so an Auth.js sign-in works
//!   through the proxy), with path, query, headers, cookies and body as
//!   sent. Hop-by-hop headers are dropped and `Host` is the upstream's; the
//!   judged GET also drops `Accept-Encoding`, so the body comes back as
//!   the checks can read it. The URL is always the configured upstream's
//!   origin followed by the request's path: no request picks another host.
//! - What comes back: status, headers (hop-by-hop dropped), `Set-Cookie`
//!   and redirects exactly as the upstream sent them (redirects are never
//!   followed), plus `Mock-Source: upstream` and, when the answer breaks
//!   the contract, `Mock-Violations`. `--proxy-strict` turns an answer with
//!   an error into a 502 problem listing the violations.
//! - What the mock still answers: a request that asks for a scenario (per
//!   request or at runtime) gets the mock's answer (`Mock-Source: mock`);
//!   with `--proxy-fallback`, so does a request whose upstream is
//!   unreachable or too slow (`Mock-Source: fallback`).
//! - Bad upstreams: no answer in time is a 504, a refused or broken
//!   connection a 502, a body over the bound a 502; each with a JSON reason,
//!   and each judged (`transport`, `body-size`) into the summary.
//! - The summary (`GET /__mock/violations`, logged at shutdown) counts
//!   every distinct violation per contract, check and rule.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use session_schemas::judge::{CheckId, CheckSet, Finding, Reply, Rules, Sent, Severity};
use session_schemas::secret::{Redactor, Secret};
use session_schemas::{Contract, Mode, Outcome};
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::credentials::{self, Credential, Keyring};
use crate::http::{ApiError, Problem};
use crate::journal::{Journal, ProxyNote, Record, Source, Violation};
use crate::resolve::RuntimeChoice;

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

pub(crate) const DEFAULT_PROXY_TIMEOUT: Duration = Duration::from_secs(10);

/// Bodies read from the upstream, and from the client for forwarding, up to
/// this size: the runner's default `--max-body`.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// Clock difference forgiven when judging timestamps: the runner's default.
const CLOCK_SKEW: Duration = Duration::from_secs(5);
/// The longest `Mock-Violations` header value.
const MAX_SUMMARY_HEADER: usize = 240;

pub(crate) const SOURCE_HEADER: &str = "mock-source";
pub(crate) const VIOLATIONS_HEADER: &str = "mock-violations";

/// A configured upstream: scheme, authority and an optional path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// `scheme://authority[/prefix]`, without a trailing slash.
    base: String,
}

impl Upstream {
    /// An `http(s)://host[:port][/prefix]` URL; nothing else.
    pub fn parse(text: &str) -> Result<Self, String> {
        let uri: Uri = text.trim().parse().map_err(|e| {
            format!("not a URL ({e}); expected http://HOST[:PORT][/PREFIX], e.g. https://staging.example.com")
        })?;
        let scheme = uri.scheme_str().unwrap_or_default();
        if !matches!(scheme, "http" | "https") {
            return Err("expected an http:// or https:// URL".to_owned());
        }
        if scheme == "https" && !cfg!(feature = "https") {
            return Err("this build has no HTTPS (built without the `https` feature)".to_owned());
        }
        let Some(authority) = uri.authority() else {
            return Err("the URL has no host".to_owned());
        };
        if authority.as_str().contains('@') {
            return Err(
                "the URL carries a user or password; the proxy passes the client's own credentials"
                    .to_owned(),
            );
        }
        if uri.query().is_some() {
            return Err(
                "the URL has a query; give the origin and an optional path prefix".to_owned(),
            );
        }
        let prefix = uri.path().trim_end_matches('/');
        Ok(Self {
            base: format!("{scheme}://{authority}{prefix}"),
        })
    }

    /// The upstream URL of a request's path and query.
    fn url(&self, uri: &Uri) -> String {
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        format!("{}{target}", self.base)
    }
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

/// A proxied mount: where its requests go and what judges the answers.
pub(crate) struct Proxied {
    /// The session endpoint's path, and the base its routes sit under.
    pub(crate) path: Arc<str>,
    pub(crate) base: String,
    pub(crate) upstream: Upstream,
    pub(crate) contract: &'static Contract,
    /// The mount's runtime scenario choice, shared with the mock: a
    /// request to a mount with one is the mock's to answer.
    pub(crate) runtime: RuntimeChoice,
}

/// How the proxy writes the journal: the mock's journal, fingerprints and
/// clock, shared.
pub(crate) struct Recorder {
    pub(crate) journal: Option<Arc<Journal>>,
    pub(crate) keyring: Keyring,
    pub(crate) clock: Arc<Clock>,
}

/// The proxy's state, its own: one client for every upstream, the
/// proxied mounts, the checks, the running summary.
pub(crate) struct Proxy {
    client: reqwest::Client,
    settings: ProxySettings,
    checks: CheckSet,
    summary: Mutex<Summary>,
    mounts: Vec<Proxied>,
    recorder: Recorder,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").finish_non_exhaustive()
    }
}

impl Proxy {
    pub(crate) fn new(
        settings: ProxySettings,
        mounts: Vec<Proxied>,
        recorder: Recorder,
    ) -> Result<Self, String> {
        #[cfg(feature = "https")]
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            // Redirects go back to the client as they are; no proxy from the
            // environment stands between the mock and its upstream.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .retry(reqwest::retry::never())
            .connect_timeout(settings.timeout)
            .timeout(settings.timeout)
            .build()
            .map_err(|e| format!("cannot build the proxy's HTTP client: {e}"))?;
        // Every check one answer can be judged by. The upstream's latency
        // includes the network between the mock and it: not judged.
        let checks = CheckSet::parse("response,oracle,hygiene,-stability,-response-time")
            .map_err(|e| format!("the proxy's checks: {e}"))?;
        Ok(Self {
            client,
            settings,
            checks,
            summary: Mutex::new(Summary::new()),
            mounts,
            recorder,
        })
    }

    pub(crate) fn summary(&self) -> std::sync::MutexGuard<'_, Summary> {
        self.summary.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The proxied mount a request's path belongs to: the session endpoint
    /// or any path under its base.
    fn mount_of(&self, path: &str) -> Option<usize> {
        self.mounts.iter().position(|m| {
            *m.path == *path
                || path
                    .strip_prefix(m.base.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    /// Whether a request to a proxied mount goes upstream: any path under
    /// the mount's base, except a session-endpoint read that asks the mock
    /// for a scenario (per request, or a runtime choice).
    fn goes_upstream(&self, index: usize, request: &Request) -> bool {
        let mount = &self.mounts[index];
        let asks = *mount.path == *request.uri().path()
            && matches!(*request.method(), Method::GET | Method::HEAD)
            && (mount.runtime.get().is_some()
                || crate::resolve::asks_for_scenario(request.uri().query(), request.headers()));
        !asks
    }
}

/// The validating proxy around the mock: each request of a proxied mount
/// is decided once, upstream or the mock; the mock's answers of a proxied
/// mount are stamped `Mock-Source: mock` (or `fallback`).
#[derive(Clone)]
pub(crate) struct ValidatingProxy<S> {
    inner: S,
    proxy: Arc<Proxy>,
}

impl<S> ValidatingProxy<S> {
    pub(crate) fn new(inner: S, proxy: Arc<Proxy>) -> Self {
        Self { inner, proxy }
    }
}

impl<S> tower::Service<Request> for ValidatingProxy<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let Some(index) = self.proxy.mount_of(request.uri().path()) else {
            return Box::pin(self.inner.call(request));
        };
        if !self.proxy.goes_upstream(index, &request) {
            let answered = self.inner.call(request);
            return Box::pin(async move { Ok(stamped(answered.await?, Source::Mock)) });
        }
        let proxy = Arc::clone(&self.proxy);
        let inner = self.inner.clone();
        Box::pin(async move { Ok(forward(&proxy, index, request, inner).await) })
    }
}

fn stamped(mut response: Response, source: Source) -> Response {
    response
        .headers_mut()
        .insert(SOURCE_HEADER, HeaderValue::from_static(source.name()));
    response
}

/// Forwards a request to its mount's upstream, judges the answer, and
/// answers with it, or with the mock's (`inner`) on fallback.
async fn forward<S>(proxy: &Proxy, index: usize, request: Request, inner: S) -> Response
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    let mount = &proxy.mounts[index];
    let (parts, body) = request.into_parts();
    let body = match crate::http::read_body(body, MAX_BODY).await {
        Ok(body) => body,
        Err(refusal) => {
            return refusal
                .instead(
                    "request_body_too_large",
                    format!("the proxy forwards request bodies of at most {MAX_BODY} bytes"),
                )
                .into_response();
        }
    };
    let judged = parts.method == Method::GET && *mount.path == *parts.uri.path();
    let credential = credentials::extract(&mount.contract.auth, &parts.headers);
    let started = Instant::now();
    let answer = send(proxy, mount, &parts, body.clone(), judged).await;
    let elapsed = started.elapsed();
    let (status, headers, body) = match answer {
        Ok(answer) => answer,
        Err(trouble) => {
            return failed(
                proxy,
                index,
                parts,
                body,
                &credential,
                trouble,
                judged,
                inner,
            )
            .await;
        }
    };
    let cross_origin = parts.headers.contains_key(header::ORIGIN);
    if !judged {
        record(
            proxy,
            index,
            &parts,
            &credential,
            status,
            Source::Upstream,
            Vec::new(),
        );
        return respond(status, &headers, body, cross_origin, None);
    }
    let reply = Reply {
        status,
        headers,
        body,
        truncated: false,
    };
    let violations = judge(proxy, mount, &credential, &reply, elapsed);
    let strict = proxy.settings.strict && violations.iter().any(|v| v.severity == Severity::Error);
    let header = summary_header(&violations);
    let sent_status = if strict { 502 } else { status };
    record(
        proxy,
        index,
        &parts,
        &credential,
        sent_status,
        Source::Upstream,
        violations.clone(),
    );
    if strict {
        return strict_refusal(mount, status, violations, header);
    }
    respond(status, &reply.headers, reply.body, cross_origin, header)
}

/// The request as sent upstream: the configured origin and the request's
/// path, its headers but the hop-by-hop ones (and `Accept-Encoding` for the
/// judged read, so its body comes back readable).
async fn send(
    proxy: &Proxy,
    mount: &Proxied,
    parts: &axum::http::request::Parts,
    body: Bytes,
    judged: bool,
) -> Result<(u16, HeaderMap, Bytes), Trouble> {
    let mut outgoing = reqwest::header::HeaderMap::with_capacity(parts.headers.len());
    for (name, value) in forwarded(&parts.headers) {
        if judged && name == header::ACCEPT_ENCODING {
            continue;
        }
        outgoing.append(name.clone(), value.clone());
    }
    let sent = proxy
        .client
        .request(parts.method.clone(), mount.upstream.url(&parts.uri))
        .headers(outgoing)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) => read(response).await,
        Err(error) => Err(Trouble::from(&error)),
    }
}

/// No usable answer: judged and journaled; the mock answers instead with
/// `--proxy-fallback` when the upstream is not there, else a 502 or 504.
#[allow(clippy::too_many_arguments)]
async fn failed<S>(
    proxy: &Proxy,
    index: usize,
    parts: axum::http::request::Parts,
    body: Bytes,
    credential: &Credential,
    trouble: Trouble,
    judged: bool,
    inner: S,
) -> Response
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    let mount = &proxy.mounts[index];
    let name = mount.contract.name.as_str();
    if judged {
        let finding = Finding::new(trouble.message()).keyed(trouble.kind());
        let violation = Violation::of(CheckId::Transport, &finding);
        proxy.summary().add(name, std::slice::from_ref(&violation));
        let status = trouble.status().as_u16();
        record(
            proxy,
            index,
            &parts,
            credential,
            status,
            Source::Upstream,
            vec![violation],
        );
    }
    tracing::warn!(contract = name, upstream = %mount.upstream, problem = %trouble.message(), "upstream failed");
    if !(proxy.settings.fallback && trouble.falls_back()) {
        return trouble.response(&mount.upstream);
    }
    let mut request = Request::from_parts(parts, Body::from(body));
    request.extensions_mut().insert(Source::Fallback);
    match tower::ServiceExt::oneshot(inner, request).await {
        Ok(response) => stamped(response, Source::Fallback),
        Err(never) => match never {},
    }
}

/// The upstream's answer judged with the runner's checks: what it broke.
fn judge(
    proxy: &Proxy,
    mount: &Proxied,
    credential: &Credential,
    reply: &Reply,
    elapsed: Duration,
) -> Vec<Violation> {
    // The outcome the contract promises is known only when the client sent
    // no credential (or garbage in its place); a credential's validity is
    // the upstream's to know.
    let expected = match credential {
        Credential::Absent | Credential::Malformed(_) => Some(Outcome::Unauthenticated),
        Credential::Present(_) => None,
    };
    let redactor = Redactor::new(match credential {
        Credential::Present(value) => Some(Secret::new(value.clone(), "credential")),
        _ => None,
    });
    let rules = Rules {
        contract: mount.contract,
        redactor: &redactor,
        checks: &proxy.checks,
        schema_mode: Mode::Lenient,
        clock_skew: CLOCK_SKEW,
        max_response_time: proxy.settings.timeout,
        max_body: MAX_BODY,
    };
    let judgement = rules.judge(
        &Sent {
            expected,
            garbage: Vec::new(),
        },
        reply,
        OffsetDateTime::now_utc(),
        elapsed,
    );
    let violations: Vec<Violation> = judgement
        .failures()
        .map(|(check, finding)| Violation::of(check, finding))
        .collect();
    let name = mount.contract.name.as_str();
    proxy.summary().add(name, &violations);
    if let Some(first) = violations.first() {
        tracing::warn!(
            contract = name,
            status = reply.status,
            violations = violations.len(),
            first = %first.headline(),
            "the upstream's answer breaks the contract"
        );
    }
    violations
}

/// `--proxy-strict`: an answer with an error becomes a 502 problem
/// listing the violations.
fn strict_refusal(
    mount: &Proxied,
    status: u16,
    violations: Vec<Violation>,
    header: Option<HeaderValue>,
) -> Response {
    let name = &mount.contract.name;
    let detail = format!(
        "{} answered {status}, which breaks `{name}` in {} way{}; the mock runs with --proxy-strict",
        mount.upstream,
        violations.len(),
        if violations.len() == 1 { "" } else { "s" }
    );
    let mut response = Problem::new(
        StatusCode::BAD_GATEWAY,
        "the upstream's answer breaks the contract",
        detail,
    )
    .with("contract", json!(name))
    .with("upstream_status", json!(status))
    .with("violations", json!(violations))
    .into_response();
    let headers = response.headers_mut();
    headers.insert(SOURCE_HEADER, HeaderValue::from_static("upstream"));
    if let Some(value) = header {
        headers.insert(VIOLATIONS_HEADER, value);
    }
    response
}

/// The headers a request or an answer keeps across the proxy: all but the
/// hop-by-hop ones (RFC 9110 7.6.1, and those `Connection` names), `Host`
/// and `Content-Length` (set again for the body sent).
fn forwarded(headers: &HeaderMap) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    headers.iter().filter(move |(name, _)| {
        !matches!(
            name.as_str(),
            "connection"
                | "keep-alive"
                | "proxy-connection"
                | "proxy-authenticate"
                | "proxy-authorization"
                | "te"
                | "trailer"
                | "transfer-encoding"
                | "upgrade"
                | "host"
                | "content-length"
        ) && !named.iter().any(|n| n == name.as_str())
    })
}

/// The client's answer: the upstream's status, headers and bytes, marked.
fn respond(
    status: u16,
    upstream: &HeaderMap,
    body: Bytes,
    cross_origin: bool,
    violations: Option<HeaderValue>,
) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    for (name, value) in forwarded(upstream) {
        // A cross-origin request gets the mock's CORS headers (its layer
        // adds them); the upstream's would repeat or contradict them.
        if cross_origin && name.as_str().starts_with("access-control-") {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    headers.insert(SOURCE_HEADER, HeaderValue::from_static("upstream"));
    if let Some(value) = violations {
        headers.insert(VIOLATIONS_HEADER, value);
    }
    response
}

/// Reads an upstream answer, its body up to [`MAX_BODY`].
async fn read(mut response: reqwest::Response) -> Result<(u16, HeaderMap, Bytes), Trouble> {
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    if response
        .content_length()
        .is_some_and(|length| length > MAX_BODY as u64)
    {
        return Err(Trouble::TooLarge);
    }
    let mut body = bytes::BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(Trouble::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) => return Err(Trouble::from(&error)),
        }
    }
    Ok((status, headers, body.freeze()))
}

/// Why the upstream gave no usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    Timeout,
    Unreachable,
    Broken,
    TooLarge,
}

impl From<&reqwest::Error> for Trouble {
    fn from(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_connect() {
            Self::Unreachable
        } else {
            Self::Broken
        }
    }
}

impl Trouble {
    fn kind(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Unreachable => "connection refused",
            Self::Broken => "connection broken",
            Self::TooLarge => "body too large",
        }
    }

    fn message(self) -> String {
        match self {
            Self::Timeout => "the upstream gave no complete answer in time".to_owned(),
            Self::Unreachable => "the upstream cannot be reached".to_owned(),
            Self::Broken => "the upstream broke the connection or the HTTP protocol".to_owned(),
            Self::TooLarge => format!("the upstream's body goes on past {MAX_BODY} bytes"),
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_GATEWAY,
        }
    }

    /// Whether the mock may answer instead (`--proxy-fallback`): when the
    /// upstream is not there, not when it answered badly.
    fn falls_back(self) -> bool {
        matches!(self, Self::Timeout | Self::Unreachable | Self::Broken)
    }

    fn response(self, upstream: &Upstream) -> Response {
        let code = match self {
            Self::Timeout => "upstream_timeout",
            Self::Unreachable => "upstream_unreachable",
            Self::Broken => "upstream_broken",
            Self::TooLarge => "upstream_body_too_large",
        };
        let mut response = ApiError::new(
            self.status(),
            code,
            format!("{} ({upstream})", self.message()),
        )
        .into_response();
        response
            .headers_mut()
            .insert(SOURCE_HEADER, HeaderValue::from_static("upstream"));
        response
    }
}

/// `Mock-Violations`: how many, and the first one's check and rule. No
/// body value and no credential: a rule names a place and a constraint.
fn summary_header(violations: &[Violation]) -> Option<HeaderValue> {
    let first = violations.first()?;
    let text: String = format!("{}; first={}", violations.len(), first.headline())
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(MAX_SUMMARY_HEADER)
        .collect();
    HeaderValue::from_str(&text).ok()
}

/// Journals a proxied request with where its answer came from.
fn record(
    proxy: &Proxy,
    index: usize,
    parts: &axum::http::request::Parts,
    credential: &Credential,
    status: u16,
    source: Source,
    violations: Vec<Violation>,
) {
    let recorder = &proxy.recorder;
    let Some(journal) = &recorder.journal else {
        return;
    };
    let mount = &proxy.mounts[index];
    let endpoint = *mount.path == *parts.uri.path();
    let mut record = Record::of(
        parts,
        endpoint.then_some(&mount.path),
        std::borrow::Cow::Borrowed(mount.contract.name.as_str()),
        recorder.keyring.fingerprint(credential),
        status,
        recorder.clock.now(),
    );
    record.proxy = Some(Box::new(ProxyNote { source, violations }));
    journal.record(record);
}

/// Every distinct violation since the start (or the last reset), per
/// contract, check and rule.
#[derive(Debug)]
pub(crate) struct Summary {
    since: OffsetDateTime,
    contracts: BTreeMap<String, ContractTally>,
}

#[derive(Debug, Default)]
struct ContractTally {
    judged: u64,
    violating: u64,
    violations: BTreeMap<(CheckId, String), Tally>,
}

#[derive(Debug)]
struct Tally {
    severity: Severity,
    count: u64,
    message: String,
    last: OffsetDateTime,
}

impl Summary {
    fn new() -> Self {
        Self {
            since: OffsetDateTime::now_utc(),
            contracts: BTreeMap::new(),
        }
    }

    fn add(&mut self, contract: &str, violations: &[Violation]) {
        let now = OffsetDateTime::now_utc();
        if !self.contracts.contains_key(contract) {
            self.contracts
                .insert(contract.to_owned(), ContractTally::default());
        }
        let Some(tally) = self.contracts.get_mut(contract) else {
            return;
        };
        tally.judged += 1;
        if !violations.is_empty() {
            tally.violating += 1;
        }
        for v in violations {
            let entry = tally
                .violations
                .entry((v.check, v.rule.clone()))
                .or_insert_with(|| Tally {
                    severity: v.severity,
                    count: 0,
                    message: v.message.clone(),
                    last: now,
                });
            entry.count += 1;
            entry.last = now;
        }
    }

    pub(crate) fn reset(&mut self) {
        *self = Self::new();
    }

    /// Distinct violations in all.
    fn ways(&self) -> usize {
        self.contracts.values().map(|c| c.violations.len()).sum()
    }

    /// One line: "the upstream broke the contract 3 ways in 12 answers".
    pub(crate) fn headline(&self) -> String {
        let judged: u64 = self.contracts.values().map(|c| c.judged).sum();
        let answers = if judged == 1 { "answer" } else { "answers" };
        match self.ways() {
            0 => format!("the upstream kept the contract in {judged} judged {answers}"),
            1 => format!("the upstream broke the contract 1 way in {judged} judged {answers}"),
            n => format!("the upstream broke the contract {n} ways in {judged} judged {answers}"),
        }
    }

    /// The headline and one line per distinct violation, for the log.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.headline()];
        for (contract, tally) in &self.contracts {
            for ((check, rule), t) in &tally.violations {
                lines.push(format!("  {contract}/{check} x{}: {rule}", t.count));
            }
        }
        lines
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        let contracts: Vec<serde_json::Value> = self
            .contracts
            .iter()
            .map(|(name, tally)| {
                json!({
                    "contract": name,
                    "answers_judged": tally.judged,
                    "answers_violating": tally.violating,
                    "violations": tally.violations.iter().map(|((check, rule), t)| json!({
                        "check": check,
                        "severity": t.severity,
                        "rule": rule,
                        "count": t.count,
                        "message": t.message,
                        "last_seen": crate::clock::format(t.last),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "since": crate::clock::format(self.since),
            "summary": self.headline(),
            "distinct_violations": self.ways(),
            "contracts": contracts,
        })
    }
}

impl Violation {
    fn of(check: CheckId, finding: &Finding) -> Self {
        Self {
            check,
            severity: check.severity(),
            rule: finding.key.clone(),
            message: finding.message.clone(),
            details: finding.details.clone(),
        }
    }

    /// `check: rule`, as the header and the log show it.
    fn headline(&self) -> String {
        format!("{} ({})", self.check, self.rule)
    }
}
