//! The request journal: recent requests, bounded, credentials never stored.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::Method;
use serde::Serialize;
use time::OffsetDateTime;

use crate::credentials::Fingerprint;

use crate::resolve::{QUERY_PARAMETER, Reason};

/// One request as the journal keeps it: compact, nothing formatted. Texts
/// the mock already holds are shared, not copied; the time, the method and
/// the credential's fingerprint are rendered only when the journal is read
/// (`GET /__mock/requests`), so recording costs no formatting and, on a
/// contract endpoint, no allocation but the ring's own slot.
#[derive(Debug, Clone)]
pub struct Record {
    pub at: OffsetDateTime,
    pub method: Method,
    pub path: Arc<str>,
    /// Query parameters, every value but `__scenario` redacted.
    pub query: Option<Box<str>>,
    pub contract: Cow<'static, str>,
    pub scenario: Option<&'static str>,
    pub reason: Option<Reason>,
    pub status: u16,
    pub off_contract: bool,
    /// Never the credential: what `Keyring::fingerprint` renders.
    pub credential: Fingerprint,
    /// A session's life event (sign-in, sign-out, revoke, expire...).
    pub event: Option<crate::lifecycle::Event>,
    /// The held session the request was about.
    pub session: Option<Box<str>>,
    /// On a proxied mount: where the answer came from, and what broke.
    pub proxy: Option<Box<ProxyNote>>,
}

/// Where a proxied mount's answer came from (`Mock-Source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The upstream's answer, passed through.
    Upstream,
    /// The mock's, asked for (a scenario).
    Mock,
    /// The mock's, because the upstream failed (`--proxy-fallback`).
    Fallback,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Self::Upstream => "upstream",
            Self::Mock => "mock",
            Self::Fallback => "fallback",
        }
    }
}

/// A proxied request's note in the journal.
#[derive(Debug, Clone)]
pub struct ProxyNote {
    pub source: Source,
    /// The upstream's answer's violations, judged as the runner judges.
    pub violations: Vec<Violation>,
}

/// One broken check of an upstream answer: the check, its rule (what broke,
/// without values) and the finding, redacted.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub check: session_schemas::judge::CheckId,
    pub severity: session_schemas::judge::Severity,
    pub rule: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// One request as `GET /__mock/requests` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub at: String,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub contract: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    pub status: u16,
    pub off_contract: bool,
    /// `none`, `malformed (…)` or a keyed fingerprint: never the credential.
    pub credential: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<crate::lifecycle::Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<Violation>>,
}

impl Record {
    /// The entry as listed, formatted now.
    pub fn entry(&self) -> Entry {
        Entry {
            at: crate::clock::format(self.at),
            method: self.method.to_string(),
            path: self.path.to_string(),
            query: self.query.as_deref().map(str::to_owned),
            contract: self.contract.to_string(),
            scenario: self.scenario.map(str::to_owned),
            reason: self.reason,
            status: self.status,
            off_contract: self.off_contract,
            credential: self.credential.to_string(),
            event: self.event,
            session: self.session.as_deref().map(str::to_owned),
            source: self.proxy.as_ref().map(|p| p.source),
            violations: self
                .proxy
                .as_ref()
                .filter(|p| p.source == Source::Upstream)
                .map(|p| p.violations.clone()),
        }
    }
}

/// A fixed-size ring of records: the oldest is overwritten when full.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    ring: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    records: Vec<Record>,
    /// Where the next record goes once the ring is full (the oldest).
    next: usize,
    dropped: u64,
}

#[derive(Debug, Serialize)]
pub struct Listing {
    pub capacity: usize,
    /// Entries pushed out by newer ones since the last clear.
    pub dropped: u64,
    pub entries: Vec<Entry>,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            ring: Mutex::new(Ring {
                records: Vec::with_capacity(capacity.min(1024)),
                ..Ring::default()
            }),
        }
    }

    pub fn record(&self, record: Record) {
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        if ring.records.len() < self.capacity {
            ring.records.push(record);
            return;
        }
        let next = ring.next;
        // The old record is dropped outside the lock.
        let old = std::mem::replace(&mut ring.records[next], record);
        ring.next = (next + 1) % self.capacity;
        ring.dropped += 1;
        drop(ring);
        drop(old);
    }

    /// Oldest first, formatted now.
    pub fn listing(&self) -> Listing {
        let (records, dropped) = {
            let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
            let (newer, older) = ring.records.split_at(ring.next);
            (
                older.iter().chain(newer).cloned().collect::<Vec<_>>(),
                ring.dropped,
            )
        };
        Listing {
            capacity: self.capacity,
            dropped,
            entries: records.iter().map(Record::entry).collect(),
        }
    }

    pub fn clear(&self) {
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.records.clear();
        ring.next = 0;
        ring.dropped = 0;
    }
}

/// The query string with every value but the scenario's replaced.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if key == QUERY_PARAMETER => format!("{key}={value}"),
            Some((key, _)) => format!("{key}=(redacted)"),
            None => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u16) -> Record {
        Record {
            at: OffsetDateTime::UNIX_EPOCH,
            method: Method::GET,
            path: "/".into(),
            query: None,
            contract: "c".into(),
            scenario: None,
            reason: None,
            status: n,
            off_contract: false,
            credential: Fingerprint::Absent,
            event: None,
            session: None,
            proxy: None,
        }
    }

    #[test]
    fn keeps_only_the_most_recent_entries() {
        let journal = Journal::new(3);
        (0..5).for_each(|n| journal.record(entry(n)));
        let listing = journal.listing();
        assert_eq!(
            listing.entries.iter().map(|e| e.status).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        assert_eq!(listing.dropped, 2);
        // Once more round the ring: still oldest first.
        (5..9).for_each(|n| journal.record(entry(n)));
        let listing = journal.listing();
        assert_eq!(
            listing.entries.iter().map(|e| e.status).collect::<Vec<_>>(),
            [6, 7, 8]
        );
        assert_eq!(listing.dropped, 6);
        assert_eq!(listing.entries[0].at, "1970-01-01T00:00:00Z");
        assert_eq!(listing.entries[0].credential, "none");
        journal.clear();
        assert!(journal.listing().entries.is_empty());
    }

    #[test]
    fn query_values_are_redacted_except_the_scenario() {
        assert_eq!(
            redact_query("access_token=secret&__scenario=401&flag"),
            "access_token=(redacted)&__scenario=401&flag"
        );
    }
}
