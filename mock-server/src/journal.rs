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
pub(crate) struct Record {
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

impl Record {
    /// A request's record before what it got is known: when (`at`), what
    /// was asked, the credential's fingerprint only.
    pub(crate) fn of(
        parts: &axum::http::request::Parts,
        path: Option<&Arc<str>>,
        contract: Cow<'static, str>,
        credential: Fingerprint,
        status: u16,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            at,
            method: parts.method.clone(),
            path: path.map_or_else(|| Arc::from(parts.uri.path()), Arc::clone),
            query: parts.uri.query().map(|q| redact_query(q).into_boxed_str()),
            contract,
            scenario: None,
            reason: None,
            status,
            off_contract: false,
            credential,
            event: None,
            session: None,
            proxy: None,
        }
    }
}

/// Where a proxied mount's answer came from (`Mock-Source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Source {
    /// The upstream's answer, passed through.
    Upstream,
    /// The mock's, asked for (a scenario).
    Mock,
    /// The mock's, because the upstream failed (`--proxy-fallback`).
    Fallback,
}

impl Source {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Upstream => "upstream",
            Self::Mock => "mock",
            Self::Fallback => "fallback",
        }
    }
}

/// A proxied request's note in the journal.
#[derive(Debug, Clone)]
pub(crate) struct ProxyNote {
    pub source: Source,
    /// The upstream's answer's violations, judged as the runner judges.
    pub violations: Vec<Violation>,
}

/// One broken check of an upstream answer: the check, its rule (what broke,
/// without values) and the finding, redacted.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Violation {
    pub check: session_schemas::judge::CheckId,
    pub severity: session_schemas::judge::Severity,
    pub rule: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// One request as `GET /__mock/requests` shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Entry {
    /// Its place in the order of every request since the mock started:
    /// never reused, not reset by a clear (`?after=` reads from it).
    pub seq: u64,
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
    pub(crate) fn entry(&self, seq: u64) -> Entry {
        Entry {
            seq,
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
pub(crate) struct Journal {
    capacity: usize,
    ring: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    records: Vec<Record>,
    /// Where the next record goes once the ring is full (the oldest).
    next: usize,
    dropped: u64,
    /// Records ever recorded: the newest one's `seq`.
    recorded: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Listing {
    pub capacity: usize,
    /// Entries pushed out by newer ones since the last clear.
    pub dropped: u64,
    /// The `seq` of the oldest entry held (`next` when none is): a reader
    /// polling with `?after=` forgets what it holds below it, so a clear or
    /// a full ring shows on every reader.
    pub first: u64,
    /// The `seq` the next request gets.
    pub next: u64,
    pub entries: Vec<Entry>,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            ring: Mutex::new(Ring {
                records: Vec::with_capacity(capacity.min(1024)),
                ..Ring::default()
            }),
        }
    }

    pub(crate) fn record(&self, record: Record) {
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.recorded += 1;
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

    /// Oldest first, formatted now: the entries after `after` (a `seq`),
    /// or all of them. Only those are copied out of the lock.
    pub(crate) fn listing(&self, after: Option<u64>) -> Listing {
        let (records, dropped, first, next) = {
            let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
            let held = ring.records.len() as u64;
            let first = ring.recorded - held + 1;
            let skip = after.map_or(0, |after| after.saturating_add(1).saturating_sub(first));
            let (newer, older) = ring.records.split_at(ring.next);
            let records: Vec<Record> = older
                .iter()
                .chain(newer)
                .skip(usize::try_from(skip).unwrap_or(usize::MAX))
                .cloned()
                .collect();
            (records, ring.dropped, first, ring.recorded + 1)
        };
        let start = next - records.len() as u64;
        Listing {
            capacity: self.capacity,
            dropped,
            first,
            next,
            entries: records
                .iter()
                .zip(start..)
                .map(|(record, seq)| record.entry(seq))
                .collect(),
        }
    }

    pub(crate) fn clear(&self) {
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.records.clear();
        ring.next = 0;
        ring.dropped = 0;
    }
}

/// The query string with every value but the scenario's replaced.
pub(crate) fn redact_query(query: &str) -> String {
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
        let listing = journal.listing(None);
        assert_eq!(
            listing.entries.iter().map(|e| e.status).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        assert_eq!(
            listing.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [3, 4, 5]
        );
        assert_eq!((listing.first, listing.next), (3, 6));
        assert_eq!(listing.dropped, 2);
        // Once more round the ring: still oldest first.
        (5..9).for_each(|n| journal.record(entry(n)));
        let listing = journal.listing(None);
        assert_eq!(
            listing.entries.iter().map(|e| e.status).collect::<Vec<_>>(),
            [6, 7, 8]
        );
        assert_eq!(listing.dropped, 6);
        assert_eq!(listing.entries[0].at, "1970-01-01T00:00:00Z");
        assert_eq!(listing.entries[0].credential, "none");
        journal.clear();
        let listing = journal.listing(None);
        assert!(listing.entries.is_empty());
        // A clear keeps the numbering: a reader's cursor stays valid.
        assert_eq!((listing.first, listing.next), (10, 10));
    }

    #[test]
    fn a_cursor_reads_only_what_came_after_it() {
        let journal = Journal::new(4);
        (0..6).for_each(|n| journal.record(entry(n)));
        let seqs = |after| {
            journal
                .listing(after)
                .entries
                .iter()
                .map(|e| (e.seq, e.status))
                .collect::<Vec<_>>()
        };
        assert_eq!(seqs(None), [(3, 2), (4, 3), (5, 4), (6, 5)]);
        assert_eq!(seqs(Some(4)), [(5, 4), (6, 5)]);
        assert_eq!(seqs(Some(6)), []);
        // Behind the ring: what is still held; ahead of it: nothing.
        assert_eq!(seqs(Some(1)).len(), 4);
        assert_eq!(seqs(Some(0)).len(), 4);
        assert_eq!(seqs(Some(99)), []);
        assert_eq!(seqs(Some(u64::MAX)), []);
    }

    #[test]
    fn query_values_are_redacted_except_the_scenario() {
        assert_eq!(
            redact_query("access_token=secret&__scenario=401&flag"),
            "access_token=(redacted)&__scenario=401&flag"
        );
    }
}
