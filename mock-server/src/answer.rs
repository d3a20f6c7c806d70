//! The mock as a service: a session endpoint's request is decided
//! (`decide`), rendered into its response and journaled here; everything
//! else goes through the router (the protocol's routes, the admin API).
//! A plain GET of a session endpoint, what a mock serves most, skips the
//! router: it would find the same handler by the same exact path, at the
//! cost of a route lookup, a boxed service and future, and a parameter map
//! per request.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use session_schemas::Outcome;

use crate::decide::{Decision, decide, unit};
use crate::http::ApiError;
use crate::journal::{ProxyNote, Source};
use crate::resolve::Target;
use crate::state::{AppState, Inner, MountState};

/// The mock's own answers: the session endpoints straight, the rest
/// through its router.
#[derive(Clone)]
pub(crate) struct MockService {
    pub(crate) state: AppState,
    pub(crate) router: Router,
}

impl tower::Service<Request> for MockService {
    type Response = Response;
    type Error = Infallible;
    type Future = Answering;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Answering {
        self.serve(request)
    }
}

impl MockService {
    /// The answer to `request`, without the `&mut` a `Service` call takes.
    pub(crate) fn serve(&self, request: Request) -> Answering {
        if request.method() == Method::GET {
            let path = request.uri().path();
            if let Some(index) = self.state.0.mounts.iter().position(|m| *m.path == *path) {
                return answer(&self.state, index, request);
            }
        }
        Answering::Routed(tower::ServiceExt::oneshot(self.router.clone(), request))
    }
}

/// A session endpoint's answer as a future: ready at once, or after the
/// configured latency.
pub(crate) fn answer(state: &AppState, index: usize, request: Request) -> Answering {
    let inner = &state.0;
    let Some(mount) = inner.mounts.get(index) else {
        return Answering::Ready(Some(nowhere(request.uri().path()).into_response()));
    };
    let (parts, _) = request.into_parts();
    let now = inner.clock.now();
    let decision = match decide(inner, mount, &parts, now) {
        Ok(decision) => decision,
        Err(unknown) => {
            let credential =
                crate::credentials::extract(&mount.mount.contract.auth, &parts.headers);
            inner.record_event(
                &parts,
                &mount.mount.contract.name,
                &credential,
                400,
                None,
                None,
            );
            return Answering::Ready(Some(
                (StatusCode::BAD_REQUEST, axum::Json(unknown)).into_response(),
            ));
        }
    };
    let response = render(inner, &decision, &parts);
    record(inner, &decision, &parts, response.status().as_u16());
    match delay(&inner.config, decision.number) {
        None => Answering::Ready(Some(response)),
        Some(wait) => Answering::Delayed(Box::pin(tokio::time::sleep(wait)), Some(response)),
    }
}

/// The response a decision gives: the chosen scenario's (or example's)
/// status, headers and body, the session's values in it; the Auth.js
/// session cookie refreshed or cleared; the fault marked.
fn render(inner: &Inner, decision: &Decision<'_>, parts: &Parts) -> Response {
    let mount = decision.mount;
    let contract = mount.mount.contract;
    let (status, headers, body) = match decision.choice.target {
        Target::Scenario(i) => (
            contract.scenarios[i].status,
            mount.bodies.scenario_headers(i),
            scenario_body(inner, decision, i),
        ),
        Target::Example(i) => (
            contract.examples[i].status,
            mount.bodies.example_headers(i),
            mount.bodies.example(i),
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *response.headers_mut() = headers.clone();
    for cookie in cookies(inner, decision, parts) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    if decision.fault {
        response
            .headers_mut()
            .insert("mock-fault", HeaderValue::from_static("fail-rate"));
    }
    tracing::debug!(
        contract = %contract.name,
        scenario = %scenario_name(decision),
        reason = ?decision.choice.reason,
        status,
        credential = %inner.keyring.fingerprint(&decision.credential),
        "answered"
    );
    response
}

/// The body of scenario `i`: the live session's own, or the scenario's
/// (with a valid credential's stable identity in auth-aware mode).
fn scenario_body(inner: &Inner, decision: &Decision<'_>, i: usize) -> bytes::Bytes {
    let mount = decision.mount;
    if let Some(session) = decision.live_session() {
        return mount.bodies.session(decision.now, session);
    }
    let authenticated = mount.mount.contract.outcome_index(Outcome::Authenticated);
    let identity = decision.judged.and_then(|(outcome, identity)| {
        identity.filter(|_| outcome == Outcome::Authenticated && i == authenticated)
    });
    mount.bodies.scenario(
        i,
        decision.now,
        decision.choice.dynamic,
        identity.as_ref().map(|id| (&inner.keyring, id)),
    )
}

/// The `Set-Cookie` lines of the answer: an Auth.js session read refreshes
/// its cookie, and a session cookie that is no session is cleared.
fn cookies(inner: &Inner, decision: &Decision<'_>, parts: &Parts) -> Vec<HeaderValue> {
    if decision.mount.mount.contract.protocol.is_none() {
        return Vec::new();
    }
    if let Some(session) = decision.live_session() {
        return crate::authjs::refreshed_cookie(inner, decision.mount, parts, session);
    }
    if decision.clears_cookie() {
        return crate::authjs::cleared_cookies(inner, decision.mount, parts);
    }
    Vec::new()
}

fn scenario_name(decision: &Decision<'_>) -> &'static str {
    let contract = decision.mount.mount.contract;
    match decision.choice.target {
        Target::Scenario(i) => contract.scenarios[i].name.as_str(),
        Target::Example(i) => contract.examples[i].name.as_str(),
    }
}

/// The decision in the journal: the scenario and why, the session, and on
/// a proxied mount where the answer came from.
fn record(inner: &Inner, decision: &Decision<'_>, parts: &Parts, status: u16) {
    let Some(journal) = &inner.journal else {
        return;
    };
    let mount: &MountState = decision.mount;
    let contract = mount.mount.contract;
    let mut record = inner.record(
        parts,
        Some(&mount.path),
        Cow::Borrowed(contract.name.as_str()),
        &decision.credential,
        status,
    );
    record.scenario = Some(scenario_name(decision));
    record.reason = Some(decision.choice.reason);
    record.off_contract = match decision.choice.target {
        Target::Scenario(i) => contract.scenarios[i].off_contract.is_some(),
        Target::Example(_) => false,
    };
    record.event = decision.event;
    record.session = decision.session_id().map(Box::from);
    // Behind the validating proxy, the mock's answers say they are its own
    // (asked for, or a fallback).
    record.proxy = mount.mount.upstream.is_some().then(|| {
        Box::new(ProxyNote {
            source: parts
                .extensions
                .get::<Source>()
                .copied()
                .unwrap_or(Source::Mock),
            violations: Vec::new(),
        })
    });
    journal.record(record);
}

/// The configured latency with this request's jitter; `None` when none is.
fn delay(config: &crate::config::MockConfig, number: u64) -> Option<std::time::Duration> {
    if config.latency.is_zero() && config.jitter.is_zero() {
        return None;
    }
    let jitter = config.jitter.as_secs_f64() * (2.0 * unit(config.seed, number, 1) - 1.0);
    let total = (config.latency.as_secs_f64() + jitter).max(0.0);
    Some(std::time::Duration::from_secs_f64(total))
}

/// The future of the mock's answer: ready, ready after a configured
/// latency, or the router's.
pub enum Answering {
    Ready(Option<Response>),
    Delayed(Pin<Box<tokio::time::Sleep>>, Option<Response>),
    Routed(tower::util::Oneshot<Router, Request>),
}

impl std::fmt::Debug for Answering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ready(_) => "Answering::Ready",
            Self::Delayed(..) => "Answering::Delayed",
            Self::Routed(_) => "Answering::Routed",
        })
    }
}

impl Future for Answering {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every field is Unpin (the sleep is boxed, the router's future too).
        match self.get_mut() {
            Self::Ready(response) => Poll::Ready(Ok(response.take().unwrap_or_else(gone))),
            Self::Delayed(sleep, response) => match sleep.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Ok(response.take().unwrap_or_else(gone))),
                Poll::Pending => Poll::Pending,
            },
            Self::Routed(routed) => Pin::new(routed).poll(cx),
        }
    }
}

/// A future polled again after it finished: a bug in its caller, answered
/// as a server error rather than a panic.
fn gone() -> Response {
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// The headers the mock's answers of `mount` carry for a scenario.
pub(crate) fn response_headers(
    mount: &crate::config::Mount,
    status: u16,
    scenario: &str,
    off_contract: bool,
) -> HeaderMap {
    use axum::http::HeaderName;
    use axum::http::header::CONTENT_TYPE;
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for rule in mount.contract.headers_for(status) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(rule.name.as_bytes()),
            HeaderValue::from_str(&rule.value),
        ) {
            headers.insert(name, value);
        }
    }
    if let Ok(value) = HeaderValue::from_str(scenario) {
        headers.insert("mock-scenario", value);
    }
    if off_contract {
        headers.insert("mock-off-contract", HeaderValue::from_static("true"));
    }
    headers
}

/// 404 for a path the mock serves nothing at.
pub(crate) fn nowhere(path: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no mock endpoint at {path}; see GET /__mock/scenarios for what is mounted"),
    )
}
