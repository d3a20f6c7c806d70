//! The router and the contract endpoints' handler.
//!
//! `app(config)` builds everything that can be built at startup (bodies,
//! header sets, the keyring), so a request only resolves, renders and answers.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ALLOW, CONNECTION, CONTENT_TYPE, ORIGIN};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get};
use serde_json::json;
use session_schemas::{Answer, Outcome, Protocol};
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::config::{AuthMode, ConfigError, MockConfig, Mount};
use crate::credentials::{self, Credential, Keyring};
use crate::journal::{Journal, ProxyNote, Source};
use crate::lifecycle::{Held, Sessions};
use crate::render::MountBodies;
use crate::resolve::{self, Choice, Reason, RequestView, Target};
use crate::state::{AppState, Inner, MountState, NO_RUNTIME_CHOICE};
use crate::{admin, authjs, cors};

const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";
/// A route that also takes next-auth's `update()`.
const ALLOWED_METHODS_WITH_UPDATE: &str = "GET, HEAD, OPTIONS, POST";

/// Builds the mock's router. Fails if an override or a user's profile breaks
/// its schema, or the state file cannot be read.
pub fn app(config: MockConfig) -> Result<MockApp, ConfigError> {
    let now = OffsetDateTime::now_utc();
    let mut mounts = Vec::new();
    for mount in &config.mounts {
        let contract = mount.contract;
        let bodies = MountBodies::new(
            mount,
            config.data,
            config.seed,
            config.allow_invalid_override,
            now,
            |status, name, off_contract| response_headers(mount, status, name, off_contract),
        )?;
        if !config.allow_invalid_override {
            crate::render::check_users(mount, &config.users)?;
        }
        let default = contract
            .scenarios
            .iter()
            .position(|s| s.name == mount.scenario)
            .unwrap_or(0);
        let fault_scenario = contract.scenarios.iter().position(|s| s.status == 500);
        mounts.push(MountState {
            mount: mount.clone(),
            default,
            runtime: AtomicUsize::new(NO_RUNTIME_CHOICE),
            bodies,
            fault_scenario,
            path: Arc::from(mount.path.as_str()),
        });
    }
    let keyring = Keyring::new(
        &config.signing_key,
        config.auth,
        config.tokens.clone(),
        config.cookies.clone(),
        config.revoked.clone(),
    );
    let journal = (config.journal_size > 0).then(|| Journal::new(config.journal_size));
    let sessions = Sessions::new(
        keyring.clone(),
        config.max_sessions,
        config.state_file.clone(),
    )
    .map_err(|e| ConfigError::Invalid {
        key: "state".into(),
        value: config
            .state_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        message: e.to_string(),
    })?;
    let clock = config.clock.map_or_else(Clock::real, Clock::frozen_at);
    let cors = cors::layer(config.cors_origins.clone());
    let admin_enabled = config.admin;
    let proxy = if config.mounts.iter().any(|m| m.upstream.is_some()) {
        Some(
            crate::proxy::Proxy::new(config.proxy).map_err(|message| ConfigError::Invalid {
                key: "proxy".into(),
                value: String::new(),
                message,
            })?,
        )
    } else {
        None
    };
    let tokens = (!config.auth_secrets.is_empty())
        .then(|| crate::authjs::tokens::Tokens::new(config.auth_secrets.clone()));
    let state = AppState(Arc::new(Inner {
        tokens,
        config,
        mounts,
        keyring,
        journal,
        sessions,
        clock,
        requests: AtomicU64::new(0),
        proxy,
    }));

    let mut router = Router::new();
    for (index, mount) in state.0.mounts.iter().enumerate() {
        let protocol = mount.mount.contract.protocol;
        let allowed = match protocol {
            Some(Protocol::AuthJs) => ALLOWED_METHODS_WITH_UPDATE,
            None => ALLOWED_METHODS,
        };
        let mut endpoint: MethodRouter<AppState> =
            get(move |State(state): State<AppState>, request: Request| {
                answer(&state, index, request)
            })
            .options(move || async move { (StatusCode::NO_CONTENT, [(ALLOW, allowed)]) });
        if protocol == Some(Protocol::AuthJs) {
            endpoint = endpoint.post(move |state: State<AppState>, request: Request| {
                authjs::update(state, index, request)
            });
            router = router.merge(authjs::routes(index, mount.mount.base()));
        }
        let endpoint = endpoint.fallback(move |method: Method| method_not_allowed(method, allowed));
        router = router.route(&mount.mount.path, endpoint);
    }
    router = router.route("/__mock/health", get(admin::health));
    if admin_enabled {
        router = router.merge(admin::routes(state.clone()));
    }
    let direct = state.clone();
    let plain = router.fallback(any(not_found)).with_state(state.clone());
    let with_cors = plain.clone().layer(cors.clone());
    // Cross-origin requests to an upstream get the mock's CORS headers (and
    // their preflights its answer), as its own answers do.
    let proxied = state.0.proxy.is_some().then(|| {
        let mock = plain.clone();
        Router::new()
            .fallback(move |State(state): State<AppState>, request: Request| {
                let mock = mock.clone();
                async move {
                    // `MockApp::call` sends only upstream requests here,
                    // with the mount it found.
                    match request.extensions().get::<crate::proxy::Upstreamed>() {
                        Some(&crate::proxy::Upstreamed(index)) => {
                            crate::proxy::forward(state, index, request, mock, true).await
                        }
                        None => match tower::ServiceExt::oneshot(mock, request).await {
                            Ok(response) => response,
                            Err(never) => match never {},
                        },
                    }
                }
            })
            .with_state(state)
            .layer(cors)
    });
    Ok(MockApp {
        state: direct,
        plain,
        with_cors,
        proxied,
    })
}

/// The mock as one service: the size limits, then the session endpoints'
/// plain GETs straight to their handler, everything else through the router
/// (with the CORS layer when the request has an `Origin`).
#[derive(Clone)]
pub struct MockApp {
    state: AppState,
    plain: Router,
    with_cors: Router,
    /// The validating proxy's cross-origin route, when it runs.
    proxied: Option<Router>,
}

impl std::fmt::Debug for MockApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockApp").finish_non_exhaustive()
    }
}

impl MockApp {
    pub(crate) fn state(&self) -> &AppState {
        &self.state
    }
}

impl tower::Service<Request> for MockApp {
    type Response = Response;
    type Error = Infallible;
    type Future = Answering;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Answering {
        if let Some(refusal) = over_limits(&request) {
            return Answering::Ready(Some(refusal));
        }
        let headers = request.headers();
        // CORS only for requests that carry an Origin: the others (curl,
        // load tests, server-side fetches) skip the layer and its
        // per-response Vary headers.
        let cross_origin = headers.contains_key(ORIGIN);
        // tower-http treats every OPTIONS as a preflight; a plain OPTIONS (no
        // Access-Control-Request-Method) must reach the handler and get `Allow`.
        let plain_options = request.method() == Method::OPTIONS
            && !headers.contains_key("access-control-request-method");
        if let Some(proxied) = &self.proxied
            && let Some(index) = crate::proxy::goes_upstream(&self.state, &request)
        {
            if cross_origin && !plain_options {
                let mut request = request;
                request
                    .extensions_mut()
                    .insert(crate::proxy::Upstreamed(index));
                return Answering::Routed(tower::ServiceExt::oneshot(proxied.clone(), request));
            }
            return Answering::Proxied(Box::pin(crate::proxy::forward(
                self.state.clone(),
                index,
                request,
                self.plain.clone(),
                false,
            )));
        }
        // A GET of a session endpoint without an Origin, what a mock serves
        // most, goes straight to its handler: the router would find the same
        // handler by the same exact path, at the cost of a route lookup, a
        // boxed service and future, and a parameter map per request.
        if !cross_origin && request.method() == Method::GET {
            let path = request.uri().path();
            if let Some(index) = self.state.0.mounts.iter().position(|m| *m.path == *path) {
                return answer(&self.state, index, request);
            }
        }
        let router = if plain_options || !cross_origin {
            self.plain.clone()
        } else {
            self.with_cors.clone()
        };
        Answering::Routed(tower::ServiceExt::oneshot(router, request))
    }
}

/// A session endpoint's answer as a future: ready at once, or after the
/// configured latency. The router's route and `MockApp`'s direct path both
/// answer through it.
pub(crate) fn answer(state: &AppState, index: usize, request: Request) -> Answering {
    match serve_contract(state, index, request) {
        (response, None) => Answering::Ready(Some(response)),
        (response, Some(wait)) => {
            Answering::Delayed(Box::pin(tokio::time::sleep(wait)), Some(response))
        }
    }
}

/// The future of a `MockApp` answer: ready, ready after a configured
/// latency, or the router's.
pub enum Answering {
    Ready(Option<Response>),
    Delayed(Pin<Box<tokio::time::Sleep>>, Option<Response>),
    Routed(tower::util::Oneshot<Router, Request>),
    /// The validating proxy's: the upstream's answer, judged.
    Proxied(Pin<Box<dyn Future<Output = Response> + Send>>),
}

impl std::fmt::Debug for Answering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ready(_) => "Answering::Ready",
            Self::Delayed(..) => "Answering::Delayed",
            Self::Routed(_) => "Answering::Routed",
            Self::Proxied(_) => "Answering::Proxied",
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
            Self::Proxied(proxied) => proxied.as_mut().poll(cx).map(Ok),
        }
    }
}

/// A future polled again after it finished: a bug in its caller, answered
/// as a server error rather than a panic.
fn gone() -> Response {
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// Longest request target (path and query) the mock reads.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header bytes (names and values) in one request the mock reads:
/// room for cookie-heavy browsers, not for abuse.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// 414 or 431 for a request over the size limits, before any routing.
fn over_limits(request: &axum::extract::Request) -> Option<Response> {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return Some(limit_error(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request target is {uri} bytes; the mock reads at most {MAX_URI_BYTES}"),
        ));
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return Some(limit_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header_fields_too_large",
            format!(
                "the request headers are {headers} bytes in all; the mock reads at most {MAX_HEADER_BYTES}"
            ),
        ));
    }
    None
}

fn limit_error(status: StatusCode, code: &str, message: String) -> Response {
    let body = serde_json::json!({ "error": code, "message": message });
    (
        status,
        [(CONNECTION, HeaderValue::from_static("close"))],
        axum::Json(body),
    )
        .into_response()
}

fn response_headers(mount: &Mount, status: u16, scenario: &str, off_contract: bool) -> HeaderMap {
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

fn target(answer: Answer) -> Target {
    match answer {
        Answer::Scenario(i) => Target::Scenario(i),
        Answer::Example(i) => Target::Example(i),
    }
}

/// A session endpoint's answer, and how long to hold it back (the
/// configured latency and jitter). Synchronous: all the work is here, the
/// wait is the caller's.
pub(crate) fn serve_contract(
    state: &AppState,
    index: usize,
    request: Request,
) -> (Response, Option<std::time::Duration>) {
    let inner = &state.0;
    let Some(mount) = inner.mounts.get(index) else {
        return (nowhere(request.uri().path()), None);
    };
    let contract = mount.mount.contract;
    let (parts, _) = request.into_parts();
    // Behind the validating proxy, the mock's answers say they are its own
    // (asked for, or a fallback).
    let source = mount.mount.upstream.is_some().then(|| {
        parts
            .extensions
            .get::<Source>()
            .copied()
            .unwrap_or(Source::Mock)
    });
    let now = inner.clock.now();
    let credential = credentials::extract(&contract.auth, &parts.headers);
    // A session the mock holds answers for itself, in every auth mode;
    // other credentials are judged in auth-aware mode only.
    let held = match &credential {
        Credential::Present(value) if contract.protocol == Some(Protocol::AuthJs) => {
            authjs::find_session(inner, contract, &parts.headers, value, now.unix_timestamp())
        }
        Credential::Present(value) => {
            inner
                .sessions
                .find(&contract.name, value, now.unix_timestamp())
        }
        _ => None,
    };
    let (mut held, found) = match held {
        Some((held, event)) => (Some(held), event),
        None => (None, None),
    };
    if let Some(event) = found {
        tracing::info!(contract = %contract.name, ?event, "session event");
    }
    let judged = match held {
        Some(_) => None,
        None => (inner.config.auth != AuthMode::Off)
            .then(|| inner.keyring.judge(&contract.auth, &credential)),
    };
    let authenticated = contract.outcome_index(Outcome::Authenticated);
    let by_credential = match &held {
        Some(Held::Live(_)) => Some(Target::Scenario(authenticated)),
        Some(Held::Ended(_)) => Some(Target::Scenario(contract.outcome_index(Outcome::Revoked))),
        Some(Held::Expired(_)) => Some(target(contract.expired)),
        None => judged.map(|(outcome, _)| Target::Scenario(contract.outcome_index(outcome))),
    };
    let view = RequestView {
        query: parts.uri.query(),
        headers: &parts.headers,
    };
    let number = inner.requests.fetch_add(1, Ordering::Relaxed);

    let choice = match resolve::resolve(
        contract,
        view,
        mount.runtime(),
        by_credential,
        mount.default,
    ) {
        Ok(choice) => choice,
        Err(unknown) => {
            inner.record_event(&parts, &contract.name, &credential, 400, None, None);
            return (
                (StatusCode::BAD_REQUEST, axum::Json(unknown)).into_response(),
                None,
            );
        }
    };
    let fault =
        inner.config.fail_rate > 0.0 && unit(inner.config.seed, number, 0) < inner.config.fail_rate;
    let choice = match (fault, mount.fault_scenario) {
        (true, Some(index)) => Choice {
            target: Target::Scenario(index),
            reason: Reason::FailRate,
            dynamic: false,
        },
        _ => choice,
    };

    let mut session_id = None;
    let mut set_cookie = Vec::new();
    let Chosen {
        status,
        name,
        off_contract,
        headers,
        body,
    } = match choice.target {
        Target::Scenario(i) => {
            let scenario = &contract.scenarios[i];
            let body = match &mut held {
                Some(Held::Live(session)) if i == authenticated => {
                    inner
                        .sessions
                        .touch_found(session, now.unix_timestamp(), contract.expiry);
                    if contract.protocol == Some(Protocol::AuthJs) {
                        set_cookie = authjs::refreshed_cookie(inner, mount, &parts, session);
                    }
                    session_id = Some(session.id.clone());
                    mount.bodies.session(now, session)
                }
                _ => {
                    // A session cookie that is no session (ended, expired,
                    // not a token of this app) is cleared, as Auth.js's
                    // session route does for both of its strategies.
                    if contract.protocol == Some(Protocol::AuthJs)
                        && choice.reason == Reason::Credential
                        && i != authenticated
                        && matches!(credential, Credential::Present(_))
                    {
                        set_cookie = authjs::cleared_cookies(inner, mount, &parts);
                    }
                    let identity = judged.and_then(|(outcome, identity)| {
                        identity.filter(|_| outcome == Outcome::Authenticated && i == authenticated)
                    });
                    mount.bodies.scenario(
                        i,
                        now,
                        choice.dynamic,
                        identity.as_ref().map(|id| (&inner.keyring, id)),
                    )
                }
            };
            Chosen {
                status: scenario.status,
                name: &scenario.name,
                off_contract: scenario.off_contract.is_some(),
                headers: mount.bodies.scenario_headers(i),
                body,
            }
        }
        Target::Example(i) => {
            let example = &contract.examples[i];
            Chosen {
                status: example.status,
                name: &example.name,
                off_contract: false,
                headers: mount.bodies.example_headers(i),
                body: mount.bodies.example(i),
            }
        }
    };
    if let Some(journal) = &inner.journal {
        let mut record = inner.record(
            &parts,
            Some(&mount.path),
            Cow::Borrowed(contract.name.as_str()),
            &credential,
            status,
        );
        record.scenario = Some(name);
        record.reason = Some(choice.reason);
        record.off_contract = off_contract;
        record.event = found;
        record.session = session_id
            .or_else(|| match &held {
                Some(Held::Ended(s) | Held::Expired(s)) => Some(s.id.clone()),
                _ => None,
            })
            .map(String::into_boxed_str);
        record.proxy = source.map(|source| {
            Box::new(ProxyNote {
                source,
                violations: Vec::new(),
            })
        });
        journal.record(record);
    }
    tracing::debug!(contract = %contract.name, scenario = %name, reason = ?choice.reason, status, credential = %inner.keyring.fingerprint(&credential), "answered");

    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *response.headers_mut() = headers.clone();
    for cookie in set_cookie {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, cookie);
    }
    if fault {
        response
            .headers_mut()
            .insert("mock-fault", HeaderValue::from_static("fail-rate"));
    }
    if let Some(source) = source {
        response.headers_mut().insert(
            crate::proxy::SOURCE_HEADER,
            HeaderValue::from_static(source.name()),
        );
    }
    (response, delay(&inner.config, number))
}

/// What a request is answered with, once chosen: a scenario or an example.
struct Chosen<'a> {
    status: u16,
    name: &'static str,
    off_contract: bool,
    headers: &'a HeaderMap,
    body: bytes::Bytes,
}

/// A number in [0, 1) from the seed and the request number: a fixed sequence per seed.
fn unit(seed: u64, number: u64, stream: u64) -> f64 {
    let mut x = seed
        ^ number.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
    // SplitMix64 finaliser.
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    #[allow(clippy::cast_precision_loss)]
    let value = (x >> 11) as f64 / (1u64 << 53) as f64;
    value
}

/// The configured latency with this request's jitter; `None` when none is.
fn delay(config: &MockConfig, number: u64) -> Option<std::time::Duration> {
    if config.latency.is_zero() && config.jitter.is_zero() {
        return None;
    }
    let jitter = config.jitter.as_secs_f64() * (2.0 * unit(config.seed, number, 1) - 1.0);
    let total = (config.latency.as_secs_f64() + jitter).max(0.0);
    Some(std::time::Duration::from_secs_f64(total))
}

async fn method_not_allowed(method: Method, allowed: &'static str) -> Response {
    let body = json!({"error": "method_not_allowed", "message": format!("{method} is not served here; use {allowed}")});
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(ALLOW, allowed)],
        axum::Json(body),
    )
        .into_response()
}

async fn not_found(request: Request) -> Response {
    nowhere(request.uri().path())
}

fn nowhere(path: &str) -> Response {
    let body = json!({"error": "not_found", "message": format!("no mock endpoint at {path}; see GET /__mock/scenarios for what is mounted")});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::unit;

    #[test]
    fn the_fault_sequence_is_fixed_per_seed_and_near_the_rate() {
        let share = |seed| (0..10_000).filter(|&n| unit(seed, n, 0) < 0.1).count();
        assert_eq!(share(7), share(7));
        assert!((800..1200).contains(&share(7)), "{}", share(7));
        assert_ne!(
            (0..100).map(|n| unit(1, n, 0) < 0.5).collect::<Vec<_>>(),
            (0..100).map(|n| unit(2, n, 0) < 0.5).collect::<Vec<_>>()
        );
    }
}
