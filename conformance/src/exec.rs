//! Sending requests: one shared HTTP client, a per-request timeout, bodies
//! read up to a bound, an optional rate limit. Whatever the peer does, the
//! result is an [`Observation`]: a connection error or a timeout is a
//! per-case result, never a crash.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use time::OffsetDateTime;

use crate::error::CliError;
use crate::target::Target;
use crate::wire::Wire;

/// What came back for one request.
#[derive(Debug, Clone)]
pub struct Observation {
    /// When the request was sent, from the start of the run.
    pub sent: Duration,
    /// When the answer (or the failure) was complete, from the start of the run.
    pub done: Duration,
    /// Wall-clock time at `done`, for the rules about the present.
    pub received_at: OffsetDateTime,
    pub result: Result<Reply, Failure>,
}

impl Observation {
    pub fn elapsed(&self) -> Duration {
        self.done.saturating_sub(self.sent)
    }

    pub fn reply(&self) -> Option<&Reply> {
        self.result.as_ref().ok()
    }
}

/// A response, read up to the bound.
pub use session_schemas::judge::Reply;

/// Why there is no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No complete answer within the timeout.
    Timeout {
        phase: &'static str,
        after: Duration,
    },
    /// Nothing accepted the connection (refused, no route, unknown host).
    Refused(String),
    /// The connection broke, or the answer was not HTTP.
    Connection(String),
    /// The generated request could not be expressed (a bug in generation).
    Request(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Timeout { phase, after } => {
                write!(f, "no complete {phase} within {:.1?}", after)
            }
            Self::Refused(message) => write!(f, "cannot connect: {message}"),
            Self::Connection(message) => write!(f, "connection failed: {message}"),
            Self::Request(message) => write!(f, "request could not be built: {message}"),
        }
    }
}

/// How requests are sent.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_body: usize,
    pub concurrency: usize,
    /// Requests per second, across all workers.
    pub rate_limit: Option<f64>,
}

/// The shared client.
#[derive(Debug)]
pub struct Executor {
    client: reqwest::Client,
    limits: Limits,
    pacer: Option<Pacer>,
    start: Instant,
    sent: AtomicU64,
    /// The run's endpoint URL, as text and parsed.
    endpoint: std::sync::OnceLock<(String, reqwest::Url)>,
}

impl Executor {
    /// The client for a run; `ca_pem`, extra roots (a private CA) trusted
    /// beside the platform's.
    pub fn new(limits: Limits, ca_pem: Option<&[u8]>) -> Result<Self, CliError> {
        let builder = tls(client_builder(), ca_pem)?;
        let client = builder
            .timeout(limits.timeout)
            .connect_timeout(limits.timeout)
            // A redirect is reported, never followed: following one could
            // carry the credential to another origin.
            .redirect(reqwest::redirect::Policy::none())
            // Nor is a request retried: each case is one request, and a
            // server's refusal is what is being judged. (With no retries
            // the client also keeps no copy of each request.)
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .no_proxy()
            .pool_max_idle_per_host(limits.concurrency)
            .user_agent(concat!("session-conformance/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::Usage(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Self {
            client,
            limits,
            pacer: limits.rate_limit.map(Pacer::new),
            start: Instant::now(),
            sent: AtomicU64::new(0),
            endpoint: std::sync::OnceLock::new(),
        })
    }

    /// Requests sent so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Time since the executor was made.
    pub fn clock(&self) -> Duration {
        self.start.elapsed()
    }

    /// Sends one request and reads its answer.
    pub async fn send(&self, wire: &Wire, target: &Target) -> Observation {
        if let Some(pacer) = &self.pacer {
            pacer.wait().await;
        }
        let sent = self.clock();
        let result = self.exchange(wire, target).await;
        Observation {
            sent,
            done: self.clock(),
            received_at: OffsetDateTime::now_utc(),
            result,
        }
    }

    async fn exchange(&self, wire: &Wire, target: &Target) -> Result<Reply, Failure> {
        let mut headers = HeaderMap::new();
        for (name, value) in wire.header_bytes(target) {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| Failure::Request(format!("header name {name:?}: {e}")))?;
            let value = HeaderValue::from_bytes(&value)
                .map_err(|e| Failure::Request(format!("header {name}: {e}")))?;
            headers.append(name, value);
        }
        let url = self.url(&wire.url)?;
        self.fetch(self.client.get(url).headers(headers)).await
    }

    /// `text` parsed: the endpoint (everything before `?`) is parsed once
    /// per run and only each case's query is parsed on its own.
    fn url(&self, text: &str) -> Result<reqwest::Url, Failure> {
        let (endpoint, query) = match text.split_once('?') {
            Some((endpoint, query)) => (endpoint, Some(query)),
            None => (text, None),
        };
        let parse = |text: &str| {
            reqwest::Url::parse(text).map_err(|e| Failure::Request(format!("URL {text:?}: {e}")))
        };
        // A run has one endpoint: the first one parsed is kept (and read
        // without a lock); any other is parsed each time.
        let mut url = match self.endpoint.get() {
            Some((known, url)) if known == endpoint => url.clone(),
            Some(_) => parse(endpoint)?,
            None => {
                let url = parse(endpoint)?;
                let _ = self.endpoint.set((endpoint.to_owned(), url.clone()));
                url
            }
        };
        url.set_query(query);
        Ok(url)
    }

    /// The shared client, for requests other than the cases (sign-in).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends any request built on [`Executor::client`] and reads its answer
    /// up to the body bound.
    pub async fn fetch(&self, request: reqwest::RequestBuilder) -> Result<Reply, Failure> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let mut response = request
            .send()
            .await
            .map_err(|e| self.failure(&e, "response"))?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let mut body = BytesMut::new();
        let mut truncated = false;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.failure(&e, "body"))?
        {
            let room = self.limits.max_body.saturating_sub(body.len());
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            headers,
            body: body.freeze(),
            truncated,
        })
    }

    fn failure(&self, error: &reqwest::Error, phase: &'static str) -> Failure {
        if error.is_timeout() {
            return Failure::Timeout {
                phase,
                after: self.limits.timeout,
            };
        }
        if error.is_connect() {
            return Failure::Refused(error_chain(error));
        }
        Failure::Connection(error_chain(error))
    }
}

/// A reqwest client builder, safe to build in any build of the workspace:
/// with the `https` feature, reqwest's rustls needs a process-wide crypto
/// provider (ring here), installed before the first client is built.
pub fn client_builder() -> reqwest::ClientBuilder {
    #[cfg(feature = "https")]
    {
        // Once per process; a later call finds it installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder()
}

/// HTTPS with rustls (ring) and the platform's roots, plus `ca_pem`'s.
#[cfg(feature = "https")]
fn tls(
    builder: reqwest::ClientBuilder,
    ca_pem: Option<&[u8]>,
) -> Result<reqwest::ClientBuilder, CliError> {
    let Some(pem) = ca_pem else {
        return Ok(builder);
    };
    let certificates = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| CliError::Usage(format!("--ca-cert: not PEM certificates: {e}")))?;
    Ok(builder.tls_certs_merge(certificates))
}

#[cfg(not(feature = "https"))]
fn tls(
    builder: reqwest::ClientBuilder,
    ca_pem: Option<&[u8]>,
) -> Result<reqwest::ClientBuilder, CliError> {
    match ca_pem {
        None => Ok(builder),
        Some(_) => Err(CliError::Usage(
            "--ca-cert: this build has no HTTPS support (built without the `https` feature)"
                .to_owned(),
        )),
    }
}

/// An error and its causes on one line, without the URL reqwest repeats.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// Spaces requests evenly across all workers.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    fn new(per_second: f64) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: Mutex::new(Instant::now()),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}
