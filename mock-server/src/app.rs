//! The mock put together: `app(config)` builds everything that can be built
//! at startup (bodies, header sets, the keyring, the sessions), then the
//! service a request goes through, outside in:
//!
//! ```text
//! size limits -> [CORS, when the request has an Origin] -> [validating proxy, when a
//! contract has an upstream] -> mock service (session endpoints straight; routes)
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{ALLOW, CONNECTION, ORIGIN};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get};
use session_schemas::Protocol;
use time::OffsetDateTime;
use tower::util::Either;
use tower_http::cors::Cors;

use crate::answer::{Answering, MockService, answer, nowhere, response_headers};
use crate::clock::Clock;
use crate::config::{ConfigError, MockConfig};
use crate::credentials::Keyring;
use crate::http::ApiError;
use crate::journal::Journal;
use crate::lifecycle::Sessions;
use crate::proxy::{Proxied, Proxy, Recorder, ValidatingProxy};
use crate::render::MountBodies;
use crate::resolve::RuntimeChoice;
use crate::state::{AppState, Inner, MountState};
use crate::{admin, authjs, cors};

const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";
/// A route that also takes next-auth's `update()`.
const ALLOWED_METHODS_WITH_UPDATE: &str = "GET, HEAD, OPTIONS, POST";

/// Longest request target (path and query) the mock reads.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header bytes (names and values) in one request the mock reads:
/// room for cookie-heavy browsers, not for abuse.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Builds the mock. Fails if an override or a user's profile breaks its
/// schema, or the state file cannot be read.
pub fn app(config: MockConfig) -> Result<MockApp, ConfigError> {
    let cors = cors::layer(config.cors_origins.clone());
    let state = build_state(config)?;
    let router = routes(&state);
    let mock = MockService {
        state: state.clone(),
        router,
    };
    let chain = match state.0.proxy.clone() {
        Some(proxy) => Either::Left(ValidatingProxy::new(mock.clone(), proxy)),
        None => Either::Right(mock.clone()),
    };
    Ok(MockApp(Arc::new(Stack {
        state,
        mock,
        with_cors: tower::Layer::layer(&cors, chain.clone()),
        chain,
    })))
}

/// Everything a request reads, built once.
fn build_state(config: MockConfig) -> Result<AppState, ConfigError> {
    let mounts = mount_states(&config)?;
    let keyring = Keyring::new(
        &config.signing_key,
        config.auth,
        config.tokens.clone(),
        config.cookies.clone(),
        config.revoked.clone(),
    );
    let journal = (config.journal_size > 0).then(|| Arc::new(Journal::new(config.journal_size)));
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
    let clock = Arc::new(config.clock.map_or_else(Clock::real, Clock::frozen_at));
    let recorder = Recorder {
        journal: journal.clone(),
        keyring: keyring.clone(),
        clock: Arc::clone(&clock),
    };
    let proxy = proxy_for(&config, &mounts, recorder)?;
    let tokens = (!config.auth_secrets.is_empty())
        .then(|| crate::tokens::Tokens::new(config.auth_secrets.clone()));
    Ok(AppState(Arc::new(Inner::new(
        config, mounts, keyring, journal, sessions, clock, proxy, tokens,
    ))))
}

/// Each mounted contract with its bodies and header sets precomputed.
fn mount_states(config: &MockConfig) -> Result<Vec<MountState>, ConfigError> {
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
        mounts.push(MountState {
            mount: mount.clone(),
            default,
            runtime: RuntimeChoice::default(),
            bodies,
            fault_scenario: contract.scenarios.iter().position(|s| s.status == 500),
            path: Arc::from(mount.path.as_str()),
        });
    }
    Ok(mounts)
}

/// The validating proxy, when a mount has an upstream.
fn proxy_for(
    config: &MockConfig,
    mounts: &[MountState],
    recorder: Recorder,
) -> Result<Option<Arc<Proxy>>, ConfigError> {
    let proxied: Vec<Proxied> = mounts
        .iter()
        .filter_map(|m| {
            Some(Proxied {
                path: Arc::clone(&m.path),
                base: m.mount.base().to_owned(),
                upstream: m.mount.upstream.clone()?,
                contract: m.mount.contract,
                runtime: m.runtime.clone(),
            })
        })
        .collect();
    if proxied.is_empty() {
        return Ok(None);
    }
    Proxy::new(config.proxy, proxied, recorder)
        .map(|proxy| Some(Arc::new(proxy)))
        .map_err(|message| ConfigError::Invalid {
            key: "proxy".into(),
            value: String::new(),
            message,
        })
}

/// The router: each session endpoint (GET, HEAD, OPTIONS, and for Auth.js
/// `update()`'s POST and the protocol's routes beside it), health, the
/// admin API.
fn routes(state: &AppState) -> Router {
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
    if state.0.config.admin {
        router = router.merge(admin::routes(state.clone()));
    }
    router
        .fallback(any(|request: Request| async move {
            nowhere(request.uri().path()).into_response()
        }))
        .with_state(state.clone())
}

/// What a request goes through when it has no Origin (or is a plain
/// OPTIONS): the proxy when there is one, then the mock.
type Chain = Either<ValidatingProxy<MockService>, MockService>;

/// The mock as one service: the size limits, then CORS for a request with
/// an `Origin`, then the proxy and the mock. The server clones it for every
/// request: one reference count, whatever the stack holds.
#[derive(Clone)]
pub struct MockApp(Arc<Stack>);

struct Stack {
    state: AppState,
    /// The mock alone: a request without an Origin, when nothing is proxied.
    mock: MockService,
    chain: Chain,
    with_cors: Cors<Chain>,
}

impl std::fmt::Debug for MockApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockApp").finish_non_exhaustive()
    }
}

impl MockApp {
    pub(crate) fn state(&self) -> &AppState {
        &self.0.state
    }
}

/// The future of a `MockApp` answer: the mock's own (unboxed, the hot
/// path), or the layered stack's.
#[allow(clippy::large_enum_variant)] // the large one is the hot path: boxing it costs an allocation a request
pub enum Served {
    Mock(Answering),
    Layered(Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>),
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Mock(_) => "Served::Mock",
            Self::Layered(_) => "Served::Layered",
        })
    }
}

impl Future for Served {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Self::Mock(answering) => Pin::new(answering).poll(cx),
            Self::Layered(future) => future.as_mut().poll(cx),
        }
    }
}

impl tower::Service<Request> for MockApp {
    type Response = Response;
    type Error = Infallible;
    type Future = Served;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Served {
        if let Some(refusal) = over_limits(&request) {
            return Served::Mock(Answering::Ready(Some(refusal.into_response())));
        }
        let headers = request.headers();
        // CORS only for requests that carry an Origin: the others (curl,
        // load tests, server-side fetches) skip the layer and its
        // per-response Vary headers. tower-http treats every OPTIONS as a
        // preflight; a plain OPTIONS (no Access-Control-Request-Method)
        // must reach the handler and get `Allow`.
        let plain_options = request.method() == Method::OPTIONS
            && !headers.contains_key("access-control-request-method");
        let cross_origin = headers.contains_key(ORIGIN) && !plain_options;
        if cross_origin {
            let stack = self.0.with_cors.clone();
            return Served::Layered(Box::pin(tower::ServiceExt::oneshot(stack, request)));
        }
        match &self.0.chain {
            Either::Right(_) => Served::Mock(self.0.mock.serve(request)),
            Either::Left(proxy) => {
                let proxy = proxy.clone();
                Served::Layered(Box::pin(tower::ServiceExt::oneshot(proxy, request)))
            }
        }
    }
}

/// 414 or 431 for a request over the size limits, before any routing.
fn over_limits(request: &Request) -> Option<ApiError> {
    let close = |error: ApiError| error.with_header(CONNECTION, HeaderValue::from_static("close"));
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return Some(close(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request target is {uri} bytes; the mock reads at most {MAX_URI_BYTES}"),
        )));
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    (headers > MAX_HEADER_BYTES).then(|| {
        close(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header_fields_too_large",
            format!(
                "the request headers are {headers} bytes in all; the mock reads at most {MAX_HEADER_BYTES}"
            ),
        ))
    })
}

async fn method_not_allowed(method: Method, allowed: &'static str) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not served here; use {allowed}"),
    )
    .with_header(ALLOW, HeaderValue::from_static(allowed))
    .into_response()
}
