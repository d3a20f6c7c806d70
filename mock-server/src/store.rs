//! Sessions the mock holds, behind a small interface.
//!
//! A session is an id, a user, created / last-activity / expiry times and a
//! state. [`SessionStore`] is what the rest of the mock asks; [`MemoryStore`]
//! (one process, memory, optionally saved to a state file) is the default, and
//! a shared store could back several replicas behind the same trait.
//!
//! Bounds: at most `capacity` live sessions (a new one past that is refused
//! with [`StoreFull`]), and at most as many ended ones kept to answer their
//! credentials as revoked; past that the oldest ended are forgotten.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Active,
    /// Ended by the user (Auth.js sign-out).
    SignedOut,
    /// Ended by an administrator (`DELETE /__mock/sessions/{id}`).
    Revoked,
    /// Past its expiry, or expired on purpose.
    Expired,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::SignedOut => "signed-out",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Active, Self::SignedOut, Self::Revoked, Self::Expired]
            .into_iter()
            .find(|s| s.name() == text)
    }
}

/// One session. Times are unix seconds: the mock shows whole seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub contract: String,
    /// The user's login name.
    pub user: String,
    pub user_id: String,
    /// Profile fields merged into the contract's user object.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub profile: Map<String, Value>,
    pub created_at: i64,
    pub last_activity_at: i64,
    pub expires_at: i64,
    /// Seconds a sliding expiry is extended by on each read.
    pub lifetime: i64,
    pub state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// Unique to this session's identity and profile as last changed (a new
    /// number at start, on loading and at every `Sessions::update`): what a
    /// rendered body can be remembered by. Not saved.
    #[serde(skip, default = "next_revision")]
    pub revision: u64,
}

/// A revision no session has had before.
pub fn next_revision() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Session {
    /// A new active session: created and last active `now`, expiring
    /// `lifetime` seconds later.
    pub fn start(
        id: String,
        contract: &str,
        user: &str,
        user_id: String,
        profile: Map<String, Value>,
        now: i64,
        lifetime: i64,
    ) -> Self {
        Self {
            id,
            contract: contract.to_owned(),
            user: user.to_owned(),
            user_id,
            profile,
            created_at: now,
            last_activity_at: now,
            expires_at: now.saturating_add(lifetime),
            lifetime,
            state: State::Active,
            ended_at: None,
            revision: next_revision(),
        }
    }

    /// What a session for `user` would look like, to check its body before
    /// it exists (placeholder ids, or the user's own).
    pub fn preview(
        contract: &str,
        user: &str,
        user_id: Option<&str>,
        profile: &Map<String, Value>,
        now: i64,
        lifetime: i64,
    ) -> Self {
        Self::start(
            "00000000-0000-4000-8000-000000000000".to_owned(),
            contract,
            user,
            user_id
                .unwrap_or("00000000-0000-4000-8000-000000000001")
                .to_owned(),
            profile.clone(),
            now,
            lifetime,
        )
    }

    /// The state as of `now`: an active session past its expiry is expired,
    /// whether or not anyone has noticed yet.
    pub fn state_at(&self, now: i64) -> State {
        if self.state == State::Active && now >= self.expires_at {
            State::Expired
        } else {
            self.state
        }
    }

    pub fn is_live(&self, now: i64) -> bool {
        self.state_at(now) == State::Active
    }
}

/// The store holds as many live sessions as it may.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error(
    "the mock holds {capacity} live sessions, its limit (--max-sessions); end some (DELETE /__mock/sessions) or raise the limit"
)]
pub struct StoreFull {
    pub capacity: usize,
}

/// The operations the mock needs from a session store.
pub trait SessionStore: Send + Sync + std::fmt::Debug {
    /// Adds a session; fails when the store holds its limit of live ones.
    fn insert(&self, session: Session, now: i64) -> Result<(), StoreFull>;
    fn get(&self, id: &str) -> Option<Session>;
    /// Changes one session in place, without a copy; whether it was there.
    fn change(&self, id: &str, change: &mut dyn FnMut(&mut Session)) -> bool;
    /// Changes one session in place and returns it as changed.
    fn modify(&self, id: &str, change: &mut dyn FnMut(&mut Session)) -> Option<Session> {
        let mut changed = None;
        self.change(id, &mut |s| {
            change(s);
            changed = Some(s.clone());
        });
        changed
    }
    /// Every session, oldest first.
    fn list(&self) -> Vec<Session>;
}

/// The default store: a map in memory.
#[derive(Debug)]
pub struct MemoryStore {
    sessions: RwLock<HashMap<String, Arc<Mutex<Session>>>>,
    capacity: usize,
}

impl MemoryStore {
    pub fn new(capacity: usize) -> Self {
        Self {
            sessions: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    fn cell(&self, id: &str) -> Option<Arc<Mutex<Session>>> {
        self.sessions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }
}

fn lock(cell: &Mutex<Session>) -> std::sync::MutexGuard<'_, Session> {
    cell.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SessionStore for MemoryStore {
    fn insert(&self, session: Session, now: i64) -> Result<(), StoreFull> {
        let mut map = self
            .sessions
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if session.state == State::Active && map.len() >= self.capacity {
            // Full: count what is really live, and forget the oldest ended
            // sessions beyond the same number again.
            let mut ended: Vec<(i64, String)> = Vec::new();
            let mut live = 0;
            for (id, cell) in map.iter() {
                let s = lock(cell);
                if s.is_live(now) {
                    live += 1;
                } else {
                    ended.push((s.ended_at.unwrap_or(s.expires_at), id.clone()));
                }
            }
            if live >= self.capacity {
                return Err(StoreFull {
                    capacity: self.capacity,
                });
            }
            if ended.len() >= self.capacity {
                ended.sort_unstable();
                let forget = ended.len() - self.capacity / 2;
                for (_, id) in ended.into_iter().take(forget) {
                    map.remove(&id);
                }
            }
        }
        map.insert(session.id.clone(), Arc::new(Mutex::new(session)));
        Ok(())
    }

    fn get(&self, id: &str) -> Option<Session> {
        self.cell(id).map(|cell| lock(&cell).clone())
    }

    fn change(&self, id: &str, change: &mut dyn FnMut(&mut Session)) -> bool {
        let Some(cell) = self.cell(id) else {
            return false;
        };
        change(&mut lock(&cell));
        true
    }

    fn list(&self) -> Vec<Session> {
        let mut all: Vec<Session> = self
            .sessions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|cell| lock(cell).clone())
            .collect();
        all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        all
    }
}

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
struct StateFile {
    version: u32,
    sessions: Vec<Session>,
}

/// Reads the sessions saved in `path`; none when the file does not exist yet.
pub fn load_state(path: &Path) -> Result<Vec<Session>, StateFileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(StateFileError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let file: StateFile = serde_json::from_str(&text).map_err(|e| StateFileError::Parse {
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if file.version != 1 {
        return Err(StateFileError::Parse {
            path: path.to_owned(),
            line: 1,
            column: 1,
            message: format!("version {} is not 1", file.version),
        });
    }
    Ok(file.sessions)
}

/// Writes every session to `path` (a temporary file renamed over it, so a
/// crash mid-write leaves the previous state).
pub fn save_state(path: &Path, sessions: Vec<Session>) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(&StateFile {
        version: 1,
        sessions,
    })
    .map_err(std::io::Error::other)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, state: State, expires_at: i64) -> Session {
        Session {
            id: id.to_owned(),
            contract: "session-api".into(),
            user: "dev".into(),
            user_id: "u".into(),
            profile: Map::new(),
            created_at: 0,
            last_activity_at: 0,
            expires_at,
            lifetime: 3600,
            state,
            ended_at: (state != State::Active).then_some(1),
            revision: 0,
        }
    }

    #[test]
    fn the_live_limit_is_kept_and_expired_sessions_make_room() {
        let store = MemoryStore::new(2);
        store
            .insert(session("a", State::Active, 100), 0)
            .expect("a");
        store
            .insert(session("b", State::Active, 100), 0)
            .expect("b");
        assert_eq!(
            store.insert(session("c", State::Active, 100), 0),
            Err(StoreFull { capacity: 2 })
        );
        // Later, `a` and `b` are past their expiry: they no longer count.
        store
            .insert(session("c", State::Active, 500), 200)
            .expect("c");
        assert!(store.get("c").is_some());
        assert!(
            store.get("b").is_some(),
            "ended sessions are kept to answer as such, up to the limit"
        );
    }

    #[test]
    fn ended_sessions_are_bounded_oldest_first() {
        let store = MemoryStore::new(4);
        for n in 0..4 {
            let mut s = session(&format!("e{n}"), State::Revoked, 100);
            s.ended_at = Some(n);
            store.insert(s, 0).expect("ended");
        }
        store
            .insert(session("live", State::Active, 100), 0)
            .expect("room made");
        assert!(store.get("e0").is_none() && store.get("e1").is_none());
        assert!(store.get("e3").is_some() && store.get("live").is_some());
    }

    #[test]
    fn modify_changes_one_session_and_the_state_file_round_trips() {
        let store = MemoryStore::new(10);
        store
            .insert(session("a", State::Active, 100), 0)
            .expect("a");
        let changed = store
            .modify("a", &mut |s| s.state = State::Revoked)
            .expect("known");
        assert_eq!(changed.state, State::Revoked);
        assert!(store.modify("nope", &mut |_| {}).is_none());
        let dir = std::env::temp_dir().join(format!("session-mock-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("state.json");
        save_state(&path, store.list()).expect("save");
        // Everything but the revision, which is not saved: a loaded session
        // gets a new one, so no body rendered before can be taken for it.
        let loaded = load_state(&path).expect("load");
        assert_ne!(loaded[0].revision, store.list()[0].revision);
        let unrevised = |sessions: Vec<Session>| {
            sessions
                .into_iter()
                .map(|s| Session { revision: 0, ..s })
                .collect::<Vec<_>>()
        };
        assert_eq!(unrevised(loaded), unrevised(store.list()));
        std::fs::write(&path, "{\"version\": 1, \"sessions\": [}").expect("write");
        let error = load_state(&path).expect_err("garbage").to_string();
        assert!(error.contains("line 1, column"), "{error}");
        assert!(
            load_state(&dir.join("absent.json"))
                .expect("absent")
                .is_empty()
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
