//! `--state FILE`: the sessions kept across restarts, as a log of changes.
//!
//! The file is JSON Lines: a header (`{"session-mock-state":2}`), then one
//! line per change: a session as it now is, or the ending of one whose
//! record the store let go of. Read back, the last line of each id wins.
//!
//! - A change (a session made, ended, updated) is appended before its
//!   answer is sent: one `write` of one line, whatever the file's size.
//! - Activity (last activity, a sliding expiry) is batched: sessions read
//!   since the last batch are written once a second, and at shutdown.
//! - When the lines outnumber twice the records held, the file is rewritten
//!   whole (a temporary file, synced, renamed over it), so it stays in
//!   proportion to what is held and each change costs O(1) on average.
//!
//! Crash safety: a killed process (SIGKILL) loses at most the activity of
//! its last second; every change it answered is in the file, which the
//! kernel writes out even if the process is gone. A half-written last line
//! (the machine lost power mid-write) is skipped with a warning at start;
//! any other unreadable line stops the start, naming it.
//!
//! The version 1 format (one JSON document rewritten on every change) is
//! still read, and rewritten as version 2 at start.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::store::{Ending, Session, SessionStore};

/// How often the activity of sessions read is written.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Lines appended before a rewrite is considered at all.
const COMPACT_AFTER: usize = 4096;
const VERSION: u32 = 2;

/// A state file that cannot be used.
#[derive(Debug, Error)]
pub enum StateFileError {
    #[error("cannot read the state file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the state file {path} is not a session-mock state file (line {line}, column {column}): {message}; move it away to start afresh"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot write the state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    #[serde(rename = "session-mock-state")]
    version: u32,
}

/// One line after the header, as read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
enum Line {
    Session(Session),
    Ended {
        id: String,
        #[serde(flatten)]
        ending: Ending,
    },
}

/// A line as written: borrowed, so a rewrite copies no session.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
enum LineOut<'a> {
    Session(&'a Session),
    Ended {
        id: &'a str,
        #[serde(flatten)]
        ending: Ending,
    },
}

/// The version 1 file: every session in one document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionOne {
    version: u32,
    sessions: Vec<Session>,
}

/// What a state file held.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub(crate) sessions: Vec<Session>,
    pub(crate) endings: Vec<(String, Ending)>,
    /// A half-written last line was skipped.
    pub(crate) torn: bool,
}

/// The open state file.
#[derive(Debug)]
pub(crate) struct StateLog {
    path: PathBuf,
    writer: Mutex<Writer>,
    /// Sessions read since the last batch (their activity to write).
    dirty: Mutex<HashSet<String>>,
}

#[derive(Debug)]
struct Writer {
    file: File,
    /// Lines appended since the file was last written whole.
    appended: usize,
    /// Records the file held when it was last written whole.
    held: usize,
    /// Text of the lines of one change, reused.
    buffer: Vec<u8>,
}

impl StateLog {
    /// Reads `path` (nothing when it does not exist yet), then writes it
    /// whole in the current format, so a path that cannot be written stops
    /// the start instead of every later change failing quietly.
    pub(crate) fn open(path: &Path) -> Result<(Self, Loaded), StateFileError> {
        let loaded = load(path)?;
        let write_error = |source| StateFileError::Write {
            path: path.to_owned(),
            source,
        };
        let held = rewrite(path, &loaded.sessions, &loaded.endings).map_err(write_error)?;
        let file = append_to(path).map_err(write_error)?;
        let log = Self {
            path: path.to_owned(),
            writer: Mutex::new(Writer {
                file,
                appended: 0,
                held,
                buffer: Vec::new(),
            }),
            dirty: Mutex::new(HashSet::new()),
        };
        Ok((log, loaded))
    }

    fn writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a change of the store and appends the sessions it reports
    /// changed, under one lock, so the file sees changes in the order the
    /// store made them.
    pub(crate) fn change<T>(
        &self,
        store: &dyn SessionStore,
        change: impl FnOnce(&mut Vec<Session>) -> T,
    ) -> T {
        let mut writer = self.writer();
        let mut changed = Vec::new();
        let result = change(&mut changed);
        if !changed.is_empty() {
            self.append(&mut writer, store, changed.iter().map(LineOut::Session));
        }
        result
    }

    /// Notes that a session was read: its activity goes in the next batch.
    pub(crate) fn touched(&self, id: &str) {
        let mut dirty = self.dirty.lock().unwrap_or_else(PoisonError::into_inner);
        if !dirty.contains(id) {
            dirty.insert(id.to_owned());
        }
    }

    /// Writes the activity of the sessions read since the last batch.
    pub(crate) fn flush(&self, store: &dyn SessionStore) {
        let dirty = std::mem::take(&mut *self.dirty.lock().unwrap_or_else(PoisonError::into_inner));
        if dirty.is_empty() {
            return;
        }
        let mut writer = self.writer();
        // Read under the writer's lock: no change can slip in between.
        let sessions: Vec<Session> = dirty.iter().filter_map(|id| store.get(id)).collect();
        self.append(&mut writer, store, sessions.iter().map(LineOut::Session));
    }

    fn append<'a>(
        &self,
        writer: &mut Writer,
        store: &dyn SessionStore,
        lines: impl Iterator<Item = LineOut<'a>>,
    ) {
        writer.buffer.clear();
        let mut count = 0;
        for line in lines {
            if serde_json::to_writer(&mut writer.buffer, &line).is_ok() {
                writer.buffer.push(b'\n');
                count += 1;
            }
        }
        if count == 0 {
            return;
        }
        let Writer { file, buffer, .. } = &mut *writer;
        if let Err(error) = file.write_all(buffer) {
            tracing::warn!(path = %self.path.display(), %error, "cannot write the session state file");
            return;
        }
        writer.appended += count;
        if writer.appended > COMPACT_AFTER.max(writer.held.saturating_mul(2)) {
            self.compact(writer, store);
        }
    }

    /// Writes the file whole from what the store holds.
    fn compact(&self, writer: &mut Writer, store: &dyn SessionStore) {
        let written = rewrite(&self.path, &store.list(), &store.endings())
            .and_then(|held| Ok((held, append_to(&self.path)?)));
        match written {
            Ok((held, file)) => {
                writer.file = file;
                writer.held = held;
                writer.appended = 0;
            }
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "cannot rewrite the session state file");
                // Tried again after as many lines more.
                writer.appended = 0;
            }
        }
    }
}

fn append_to(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().append(true).open(path)
}

/// Writes `sessions` and `endings` to `path` through a synced temporary
/// file renamed over it; returns how many records it holds.
fn rewrite(
    path: &Path,
    sessions: &[Session],
    endings: &[(String, Ending)],
) -> std::io::Result<usize> {
    let mut text = Vec::with_capacity(64 + sessions.len() * 400 + endings.len() * 80);
    serde_json::to_writer(&mut text, &Header { version: VERSION })
        .map_err(std::io::Error::other)?;
    text.push(b'\n');
    let lines = sessions
        .iter()
        .map(LineOut::Session)
        .chain(endings.iter().map(|(id, ending)| LineOut::Ended {
            id,
            ending: *ending,
        }));
    for line in lines {
        serde_json::to_writer(&mut text, &line).map_err(std::io::Error::other)?;
        text.push(b'\n');
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    {
        let mut file = File::create(&temporary)?;
        file.write_all(&text)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)?;
    Ok(sessions.len() + endings.len())
}

/// Reads a state file of either version; nothing when it does not exist.
pub(crate) fn load(path: &Path) -> Result<Loaded, StateFileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(source) => {
            return Err(StateFileError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let parse_error = |line: usize, column: usize, message: String| StateFileError::Parse {
        path: path.to_owned(),
        line,
        column,
        message,
    };
    let first = text.lines().next().unwrap_or_default();
    if serde_json::from_str::<Header>(first).is_err() {
        // Version 1, or not a state file at all.
        let file: VersionOne = serde_json::from_str(&text)
            .map_err(|e| parse_error(e.line(), e.column(), e.to_string()))?;
        if file.version != 1 {
            return Err(parse_error(
                1,
                1,
                format!("version {} is not 1", file.version),
            ));
        }
        return Ok(Loaded {
            sessions: file.sessions,
            ..Loaded::default()
        });
    }
    let header: Header =
        serde_json::from_str(first).map_err(|e| parse_error(1, e.column(), e.to_string()))?;
    if header.version != VERSION {
        return Err(parse_error(
            1,
            1,
            format!("version {} is not {VERSION}", header.version),
        ));
    }
    let mut latest: HashMap<String, (usize, Line)> = HashMap::new();
    let mut torn = false;
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in lines.iter().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line = match serde_json::from_str(line) {
            Ok(parsed) => parsed,
            Err(_) if n + 1 == lines.len() && !complete => {
                torn = true;
                continue;
            }
            Err(e) => return Err(parse_error(n + 1, e.column(), e.to_string())),
        };
        let id = match &parsed {
            Line::Session(s) => s.id.clone(),
            Line::Ended { id, .. } => id.clone(),
        };
        latest.insert(id, (n, parsed));
    }
    let mut ordered: Vec<(usize, Line)> = latest.into_values().collect();
    ordered.sort_unstable_by_key(|(n, _)| *n);
    let mut loaded = Loaded {
        torn,
        ..Loaded::default()
    };
    for (_, line) in ordered {
        match line {
            Line::Session(session) => loaded.sessions.push(session),
            Line::Ended { id, ending } => loaded.endings.push((id, ending)),
        }
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{id, session};
    use crate::store::{MemoryStore, State};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "session-mock-persist-{}-{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        dir.join("state.jsonl")
    }

    fn unrevised(sessions: Vec<Session>) -> Vec<Session> {
        sessions
            .into_iter()
            .map(|s| Session { revision: 0, ..s })
            .collect()
    }

    #[test]
    fn changes_and_endings_round_trip_and_the_last_line_of_an_id_wins() {
        let path = scratch("round-trip");
        let store = MemoryStore::new(10);
        let (log, loaded) = StateLog::open(&path).expect("open");
        assert!(loaded.sessions.is_empty() && !loaded.torn);
        let first = session(&id(1), State::Active, 100);
        log.change(&store, |changed| {
            store.insert(first.clone(), 0).expect("insert");
            changed.push(first.clone());
        });
        log.change(&store, |changed| {
            let ended = store
                .modify(&id(1), &mut |s| {
                    s.state = State::Revoked;
                    s.ended_at = Some(5);
                })
                .expect("held");
            changed.push(ended);
        });
        store.restore(
            Vec::new(),
            vec![(
                id(2),
                Ending {
                    state: State::SignedOut,
                    until: 90,
                },
            )],
        );
        // Activity goes in batches: nothing of it is written until flushed.
        store.change(&id(1), &mut |s| s.last_activity_at = 7);
        log.touched(&id(1));
        let before = load(&path).expect("load");
        assert_eq!(before.sessions[0].last_activity_at, 0);
        log.flush(&store);
        let after = load(&path).expect("load");
        assert_eq!(after.sessions.len(), 1, "one session, however many lines");
        assert_eq!(unrevised(after.sessions), unrevised(store.list()));
        // A rewrite keeps the endings too.
        log.compact(&mut log.writer(), &store);
        drop(log);
        let (_log, reopened) = StateLog::open(&path).expect("reopen");
        assert_eq!(reopened.endings, store.endings());
        assert_eq!(
            std::fs::read_to_string(&path)
                .expect("read")
                .lines()
                .count(),
            3,
            "header, the session, the ending"
        );
        std::fs::remove_dir_all(path.parent().expect("dir")).ok();
    }

    #[test]
    fn a_cut_last_line_is_skipped_and_any_other_bad_line_is_named() {
        let path = scratch("torn");
        let store = MemoryStore::new(10);
        let (log, _) = StateLog::open(&path).expect("open");
        let one = session(&id(1), State::Active, 100);
        log.change(&store, |changed| changed.push(one.clone()));
        drop(log);
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("{\"session\":{\"id\":\"cut");
        std::fs::write(&path, &text).expect("write");
        let loaded = load(&path).expect("a torn last line is not an error");
        assert!(loaded.torn);
        assert_eq!(loaded.sessions.len(), 1);
        text.push_str("\n{\"session\": 1}\n");
        std::fs::write(&path, &text).expect("write");
        let error = load(&path).expect_err("a bad line").to_string();
        assert!(error.contains("line 3"), "{error}");
        std::fs::write(&path, "{\"session-mock-state\": 3}\n").expect("write");
        let error = load(&path).expect_err("a later version").to_string();
        assert!(error.contains("version 3"), "{error}");
        std::fs::write(&path, "{\"version\": 1, \"sessions\": [}").expect("write");
        let error = load(&path).expect_err("garbage").to_string();
        assert!(error.contains("line 1, column"), "{error}");
        std::fs::write(&path, "not json").expect("write");
        assert!(load(&path).is_err());
        assert!(
            load(&path.with_file_name("absent.jsonl"))
                .expect("absent")
                .sessions
                .is_empty()
        );
        std::fs::remove_dir_all(path.parent().expect("dir")).ok();
    }

    #[test]
    fn a_version_one_file_is_read_and_written_anew() {
        let path = scratch("v1");
        let old = session(&id(1), State::Active, 100);
        let text = serde_json::json!({"version": 1, "sessions": [old]}).to_string();
        std::fs::write(&path, text).expect("write");
        let (_log, loaded) = StateLog::open(&path).expect("open");
        assert_eq!(unrevised(loaded.sessions), vec![old]);
        let first = std::fs::read_to_string(&path).expect("read");
        assert!(first.starts_with("{\"session-mock-state\":2}\n"), "{first}");
        std::fs::remove_dir_all(path.parent().expect("dir")).ok();
    }

    #[test]
    fn the_file_stays_in_proportion_to_what_is_held() {
        let path = scratch("compact");
        let store = MemoryStore::new(10);
        let (log, _) = StateLog::open(&path).expect("open");
        let one = session(&id(1), State::Active, 1_000_000);
        log.change(&store, |changed| {
            store.insert(one.clone(), 0).expect("insert");
            changed.push(one.clone());
        });
        for n in 0..(3 * COMPACT_AFTER as i64) {
            log.change(&store, |changed| {
                changed.extend(store.modify(&id(1), &mut |s| s.last_activity_at = n));
            });
        }
        let lines = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .count();
        assert!(lines <= COMPACT_AFTER + 2, "{lines} lines for one session");
        let loaded = load(&path).expect("load");
        assert_eq!(
            loaded.sessions[0].last_activity_at,
            3 * COMPACT_AFTER as i64 - 1
        );
        std::fs::remove_dir_all(path.parent().expect("dir")).ok();
    }
}
