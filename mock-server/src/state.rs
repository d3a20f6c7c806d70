//! The state every handler shares: the configuration, the mounted
//! contracts with their precomputed bodies and headers, the keyring, the
//! journal, the sessions and the clock. Its own module, so the contract
//! handler (`app`) and the admin API (`admin`, `admin_sessions`, `authjs`)
//! depend on it and not on each other.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use session_schemas::{Contract, Outcome};
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::config::{MockConfig, Mount};
use crate::credentials::{Credential, Keyring};
use crate::journal::{Journal, Record};
use crate::lifecycle::{Event, Sessions};
use crate::render::MountBodies;
use crate::resolve::RuntimeChoice;

/// One mounted contract with everything precomputed.
pub(crate) struct MountState {
    pub(crate) mount: Mount,
    pub(crate) default: usize,
    /// The runtime scenario choice, if any.
    pub(crate) runtime: RuntimeChoice,
    pub(crate) bodies: MountBodies,
    pub(crate) fault_scenario: Option<usize>,
    /// The endpoint's path, shared by every journal record of it.
    pub(crate) path: Arc<str>,
}

impl MountState {
    /// The body a held session gets at `now`, or every way it breaks the
    /// contract (a profile or update that does not fit).
    pub(crate) fn session_body(
        &self,
        now: OffsetDateTime,
        session: &crate::store::Session,
    ) -> Result<serde_json::Value, Vec<String>> {
        let contract = self.mount.contract;
        let body: serde_json::Value =
            serde_json::from_slice(&self.bodies.session_uncached(now, session)).unwrap_or_default();
        let violations = contract
            .validate(
                contract.outcome(Outcome::Authenticated).status,
                &body,
                session_schemas::Mode::Lenient,
            )
            .unwrap_or_default();
        if violations.is_empty() {
            Ok(body)
        } else {
            Err(violations.iter().map(ToString::to_string).collect())
        }
    }

    pub(crate) fn runtime(&self) -> Option<usize> {
        self.runtime.get()
    }

    pub(crate) fn set_runtime(&self, index: Option<usize>) {
        self.runtime.set(index);
    }
}

pub(crate) struct Inner {
    pub(crate) config: MockConfig,
    pub(crate) mounts: Vec<MountState>,
    pub(crate) keyring: Keyring,
    pub(crate) journal: Option<Arc<Journal>>,
    pub(crate) sessions: Sessions,
    pub(crate) clock: Arc<Clock>,
    requests: AtomicU64,
    /// The validating proxy, when a mount has an upstream (its summary is
    /// the admin API's to show).
    pub(crate) proxy: Option<Arc<crate::proxy::Proxy>>,
    /// Auth.js's own session tokens, when the app's secret is known.
    pub(crate) tokens: Option<crate::tokens::Tokens>,
}

impl Inner {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        config: MockConfig,
        mounts: Vec<MountState>,
        keyring: Keyring,
        journal: Option<Arc<Journal>>,
        sessions: Sessions,
        clock: Arc<Clock>,
        proxy: Option<Arc<crate::proxy::Proxy>>,
        tokens: Option<crate::tokens::Tokens>,
    ) -> Self {
        Self {
            config,
            mounts,
            keyring,
            journal,
            sessions,
            clock,
            requests: AtomicU64::new(0),
            proxy,
            tokens,
        }
    }

    /// This request's number since the start.
    pub(crate) fn next_request(&self) -> u64 {
        self.requests.fetch_add(1, Ordering::Relaxed)
    }

    /// A journal record for a request, before what it got is known.
    pub(crate) fn record(
        &self,
        parts: &axum::http::request::Parts,
        path: Option<&Arc<str>>,
        contract: Cow<'static, str>,
        credential: &Credential,
        status: u16,
    ) -> Record {
        Record::of(
            parts,
            path,
            contract,
            self.keyring.fingerprint(credential),
            status,
            self.clock.now(),
        )
    }

    /// A contract's name, shared with its mount when it is mounted.
    fn contract_name(&self, name: &str) -> Cow<'static, str> {
        self.mounts
            .iter()
            .map(|m| m.mount.contract.name.as_str())
            .find(|n| *n == name)
            .map_or_else(|| Cow::Owned(name.to_owned()), Cow::Borrowed)
    }

    /// Journals a request that is not a scenario's answer (a refusal, a
    /// protocol or admin call), with its lifecycle event if any, logged too.
    pub(crate) fn record_event(
        &self,
        parts: &axum::http::request::Parts,
        contract: &str,
        credential: &Credential,
        status: u16,
        event: Option<Event>,
        session: Option<&str>,
    ) {
        if let Some(event) = event {
            tracing::info!(
                contract,
                ?event,
                session = session.unwrap_or("-"),
                "session event"
            );
        }
        let Some(journal) = &self.journal else {
            return;
        };
        journal.record(Record {
            event,
            session: session.map(Box::from),
            ..self.record(
                parts,
                None,
                self.contract_name(contract),
                credential,
                status,
            )
        });
    }

    /// A new session's lifetime on `contract`, in seconds: the configured
    /// one, else the interval the contract's authenticated fixture shows
    /// (session-api: created to expiry, 1 h; authjs: recorded to expiry, 30 d).
    pub(crate) fn lifetime(&self, contract: &Contract) -> i64 {
        if let Some(lifetime) = self.config.session_lifetime {
            return i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        }
        fixture_lifetime(contract).unwrap_or(3600)
    }
}

fn fixture_lifetime(contract: &Contract) -> Option<i64> {
    let scenario = contract.outcome(Outcome::Authenticated);
    let fields = &contract.session_fields;
    let at = |pointer: &Option<String>| {
        pointer
            .as_deref()
            .and_then(|p| scenario.body.pointer(p))
            .and_then(serde_json::Value::as_str)
            .and_then(|t| {
                OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
    };
    let start = at(&fields.created).or(scenario.recorded_at)?;
    let lifetime = (at(&fields.expires)? - start).whole_seconds();
    (lifetime > 0).then_some(lifetime)
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

/// The journal alone, for the handlers that read or clear it.
#[derive(Clone)]
pub(crate) struct JournalState(Option<Arc<Journal>>);

impl JournalState {
    /// The journal, or `None` when it is off (`--journal-size 0`).
    pub(crate) fn journal(&self) -> Option<&Journal> {
        self.0.as_deref()
    }
}

impl axum::extract::FromRef<AppState> for JournalState {
    fn from_ref(state: &AppState) -> Self {
        Self(state.0.journal.clone())
    }
}

/// The validating proxy alone, for the handlers of its summary.
#[derive(Clone)]
pub(crate) struct ProxyState(Option<Arc<crate::proxy::Proxy>>);

impl ProxyState {
    /// What the upstreams broke, or `None` when no contract is proxied.
    pub(crate) fn summary(&self) -> Option<std::sync::MutexGuard<'_, crate::proxy::Summary>> {
        self.0.as_deref().map(crate::proxy::Proxy::summary)
    }
}

impl axum::extract::FromRef<AppState> for ProxyState {
    fn from_ref(state: &AppState) -> Self {
        Self(state.0.proxy.clone())
    }
}

/// The mock's clock alone, for the handler that reads it.
#[derive(Clone)]
pub(crate) struct ClockState(Arc<Clock>);

impl ClockState {
    pub(crate) fn clock(&self) -> &Clock {
        &self.0
    }
}

impl axum::extract::FromRef<AppState> for ClockState {
    fn from_ref(state: &AppState) -> Self {
        Self(Arc::clone(&state.0.clock))
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
