//! The request journal: recent requests, bounded, credentials never stored.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use crate::resolve::{QUERY_PARAMETER, Reason};

/// One request as the journal keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub at: String,
    pub method: String,
    pub path: String,
    /// Query parameters, every value but `__scenario` redacted.
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
    /// A session's life event (sign-in, sign-out, revoke, expire...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<crate::lifecycle::Event>,
    /// The held session the request was about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    entries: Mutex<(VecDeque<Entry>, u64)>,
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
            entries: Mutex::new((VecDeque::with_capacity(capacity.min(1024)), 0)),
        }
    }

    pub fn record(&self, entry: Entry) {
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.0.len() == self.capacity {
            guard.0.pop_front();
            guard.1 += 1;
        }
        guard.0.push_back(entry);
    }

    pub fn listing(&self) -> Listing {
        let guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        Listing {
            capacity: self.capacity,
            dropped: guard.1,
            entries: guard.0.iter().cloned().collect(),
        }
    }

    pub fn clear(&self) {
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        guard.0.clear();
        guard.1 = 0;
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

    fn entry(n: u16) -> Entry {
        Entry {
            at: String::new(),
            method: "GET".into(),
            path: "/".into(),
            query: None,
            contract: "c".into(),
            scenario: None,
            reason: None,
            status: n,
            off_contract: false,
            credential: "none".into(),
            event: None,
            session: None,
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
