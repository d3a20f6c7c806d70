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
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum State {
    Active,
    /// Ended by the user (Auth.js sign-out).
    SignedOut,
    /// Ended by an administrator (`DELETE /__mock/sessions/{id}`).
    Revoked,
    /// Past its expiry, or expired on purpose.
    Expired,
}

impl State {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::SignedOut => "signed-out",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        [Self::Active, Self::SignedOut, Self::Revoked, Self::Expired]
            .into_iter()
            .find(|s| s.name() == text)
    }
}

/// One session. Times are unix seconds: the mock shows whole seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Session {
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
    /// A session known only from its credential: an Auth.js cookie the app
    /// wrote itself, its claims as written (re-encrypted on each read, as
    /// Auth.js's JWT sessions are). Never held by the store.
    #[serde(skip)]
    pub stateless: Option<Arc<Map<String, Value>>>,
}

/// A revision no session has had before.
pub(crate) fn next_revision() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Session {
    /// A new active session: created and last active `now`, expiring
    /// `lifetime` seconds later.
    pub(crate) fn start(
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
            stateless: None,
        }
    }

    /// What a session for `user` would look like, to check its body before
    /// it exists (placeholder ids, or the user's own).
    pub(crate) fn preview(
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
    pub(crate) fn state_at(&self, now: i64) -> State {
        if self.state == State::Active && now >= self.expires_at {
            State::Expired
        } else {
            self.state
        }
    }

    pub(crate) fn is_live(&self, now: i64) -> bool {
        self.state_at(now) == State::Active
    }
}

/// How a session ended, remembered after its record is let go: enough to
/// refuse its credentials with the right answer until the last of them
/// expires (`until`, the session's expiry when it ended). 16 bytes, kept
/// in a map under the session id's 128 bits: 32 bytes a slot, 40 to 70
/// bytes of memory each with the map's spare room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ending {
    pub state: State,
    pub until: i64,
}

impl Session {
    /// What is remembered of this session once its record goes, if
    /// anything must be: an ended session whose credentials may still be
    /// presented before they expire.
    pub(crate) fn ending(&self, now: i64) -> Option<Ending> {
        let state = self.state_at(now);
        (state != State::Active && self.expires_at > now).then_some(Ending {
            state,
            until: self.expires_at,
        })
    }
}

/// The 128 bits of a session id (a UUID as the mock writes them), the key
/// an ending is remembered by; `None` for any other text.
pub(crate) fn id_bits(id: &str) -> Option<u128> {
    if !session_schemas::is_uuid(id) {
        return None;
    }
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    let bits = u128::from_str_radix(&hex, 16).ok()?;
    // Only the lower-case v4 form the mock writes, so that the id read back
    // from the bits is the same text.
    (id_text(bits) == id).then_some(bits)
}

/// The id whose bits these are.
pub(crate) fn id_text(bits: u128) -> String {
    session_schemas::uuid_v4(bits.to_be_bytes())
}

/// Why the store refuses a new session.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub(crate) enum StoreFull {
    #[error(
        "the mock holds {capacity} live sessions, its limit (--max-sessions); end some (DELETE /__mock/sessions) or raise the limit"
    )]
    Live { capacity: usize },
    /// Forgetting an ended session would let its credentials back in.
    #[error(
        "the mock remembers {capacity} ended sessions whose credentials have not expired yet (10 x --max-sessions), so that none of them is let back in; new sessions are refused until the oldest expire (move the clock: PUT /__mock/clock), or raise --max-sessions"
    )]
    Endings { capacity: usize },
}

/// The operations the mock needs from a session store.
pub(crate) trait SessionStore: Send + Sync + std::fmt::Debug {
    /// Adds a session; fails when the store holds its limit of live ones,
    /// or could make room only by forgetting how sessions ended.
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
    /// Every session held whole, oldest first.
    fn list(&self) -> Vec<Session>;
    /// How the session `id`, no longer held whole, ended, while its
    /// credentials could still be presented (before `until`).
    fn ending(&self, id: &str, now: i64) -> Option<Ending>;
    /// Every ending remembered, by session id (for the state file).
    fn endings(&self) -> Vec<(String, Ending)>;
    /// Puts back what a state file held, without limits (it was written under them).
    fn restore(&self, sessions: Vec<Session>, endings: Vec<(String, Ending)>);
}

/// The default store: a map in memory.
///
/// Bounds: at most `capacity` live sessions (a new one past that is refused
/// with [`StoreFull::Live`]), and about as many ended ones kept whole (the
/// admin API lists them). Past that the oldest ended records are let go,
/// each leaving an [`Ending`] until its credentials expire; at most
/// ten times `capacity` of those, after which new sessions are refused
/// ([`StoreFull::Endings`]) rather than an ending forgotten.
#[derive(Debug)]
pub(crate) struct MemoryStore {
    sessions: RwLock<HashMap<String, Arc<Mutex<Session>>>>,
    endings: Mutex<HashMap<u128, Ending>>,
    capacity: usize,
}

/// Endings remembered per live session allowed.
pub(crate) const ENDINGS_PER_SESSION: usize = 10;

impl MemoryStore {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            sessions: RwLock::new(HashMap::new()),
            endings: Mutex::new(HashMap::new()),
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

    fn endings_lock(&self) -> std::sync::MutexGuard<'_, HashMap<u128, Ending>> {
        self.endings.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes room among the ended records of a full map: the oldest go,
    /// leaving their endings. Nothing changes when that would take more
    /// endings than the store may remember.
    fn let_go_of_ended(
        &self,
        map: &mut HashMap<String, Arc<Mutex<Session>>>,
        now: i64,
    ) -> Result<(), StoreFull> {
        let mut live = 0;
        // (when it ended, its id, the ending to remember if any)
        let mut ended: Vec<(i64, String, Option<Remembered>)> = Vec::new();
        for (id, cell) in map.iter() {
            let s = lock(cell);
            if s.is_live(now) {
                live += 1;
                continue;
            }
            let kept = match s.ending(now) {
                None => None,
                Some(ending) => match id_bits(id) {
                    Some(bits) => Some((bits, ending)),
                    // Not an id the mock makes: never let go of.
                    None => continue,
                },
            };
            ended.push((s.ended_at.unwrap_or(s.expires_at), id.clone(), kept));
        }
        if live >= self.capacity {
            return Err(StoreFull::Live {
                capacity: self.capacity,
            });
        }
        if ended.len() < self.capacity {
            return Ok(());
        }
        ended.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        ended.truncate(ended.len() - self.capacity / 2);
        let mut endings = self.endings_lock();
        let limit = self.capacity.saturating_mul(ENDINGS_PER_SESSION);
        let needed = ended.iter().filter(|(.., kept)| kept.is_some()).count();
        if endings.len() + needed > limit {
            endings.retain(|_, e| e.until > now);
            if endings.len() + needed > limit {
                return Err(StoreFull::Endings { capacity: limit });
            }
        }
        for (_, id, kept) in ended {
            map.remove(&id);
            if let Some((bits, ending)) = kept {
                endings.insert(bits, ending);
            }
        }
        Ok(())
    }
}

/// An ending to remember, under its id's bits.
type Remembered = (u128, Ending);

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
            self.let_go_of_ended(&mut map, now)?;
        }
        if let Some(bits) = id_bits(&session.id) {
            self.endings_lock().remove(&bits);
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

    fn ending(&self, id: &str, now: i64) -> Option<Ending> {
        let bits = id_bits(id)?;
        self.endings_lock()
            .get(&bits)
            .copied()
            .filter(|e| e.until > now)
    }

    fn endings(&self) -> Vec<(String, Ending)> {
        let mut all: Vec<(String, Ending)> = self
            .endings_lock()
            .iter()
            .map(|(bits, ending)| (id_text(*bits), *ending))
            .collect();
        all.sort_unstable_by(|a, b| (a.1.until, &a.0).cmp(&(b.1.until, &b.0)));
        all
    }

    fn restore(&self, sessions: Vec<Session>, endings: Vec<(String, Ending)>) {
        let mut map = self
            .sessions
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut remembered = self.endings_lock();
        for (id, ending) in endings {
            if let Some(bits) = id_bits(&id) {
                remembered.insert(bits, ending);
            }
        }
        for session in sessions {
            if let Some(bits) = id_bits(&session.id) {
                remembered.remove(&bits);
            }
            map.insert(session.id.clone(), Arc::new(Mutex::new(session)));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The id of session `n`: a UUID as the mock writes them.
    pub(crate) fn id(n: u128) -> String {
        id_text(n)
    }

    pub(crate) fn session(id: &str, state: State, expires_at: i64) -> Session {
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
            stateless: None,
        }
    }

    #[test]
    fn ids_are_kept_as_their_bits_and_read_back_the_same() {
        let text = crate::lifecycle::random_uuid();
        assert_eq!(id_bits(&text).map(id_text), Some(text.clone()));
        for other in ["a", "", &text.to_uppercase(), &text.replace('-', "")] {
            assert_eq!(id_bits(other), None, "{other}");
        }
    }

    #[test]
    fn the_live_limit_is_kept_and_expired_sessions_make_room() {
        let store = MemoryStore::new(2);
        store
            .insert(session(&id(1), State::Active, 100), 0)
            .expect("a");
        store
            .insert(session(&id(2), State::Active, 100), 0)
            .expect("b");
        assert_eq!(
            store.insert(session(&id(3), State::Active, 100), 0),
            Err(StoreFull::Live { capacity: 2 })
        );
        // Later, the first two are past their expiry: they no longer count.
        store
            .insert(session(&id(3), State::Active, 500), 200)
            .expect("c");
        assert!(store.get(&id(3)).is_some());
        assert!(
            store.get(&id(2)).is_some(),
            "ended sessions are kept to answer as such, up to the limit"
        );
    }

    #[test]
    fn ended_records_let_go_of_leave_their_ending_until_their_credentials_expire() {
        let store = MemoryStore::new(4);
        for n in 0..4 {
            let mut s = session(&id(n), State::Revoked, 100);
            s.ended_at = Some(i64::try_from(n).expect("small"));
            store.insert(s, 0).expect("ended");
        }
        store
            .insert(session(&id(10), State::Active, 100), 0)
            .expect("room made");
        assert!(store.get(&id(0)).is_none() && store.get(&id(1)).is_none());
        assert!(store.get(&id(3)).is_some() && store.get(&id(10)).is_some());
        let remembered = Ending {
            state: State::Revoked,
            until: 100,
        };
        assert_eq!(store.ending(&id(0), 50), Some(remembered));
        assert_eq!(store.ending(&id(1), 99), Some(remembered));
        assert_eq!(
            store.ending(&id(1), 100),
            None,
            "its credentials have expired"
        );
        assert_eq!(store.ending(&id(3), 50), None, "held whole");
        assert_eq!(store.endings().len(), 2);
    }

    #[test]
    fn the_store_refuses_new_sessions_rather_than_forget_an_ending() {
        // One live session allowed: ten endings remembered at most.
        let store = MemoryStore::new(1);
        let mut n = 0;
        let refused = loop {
            n += 1;
            let made = store.insert(session(&id(n), State::Active, 1_000), 0);
            if let Err(full) = made {
                break full;
            }
            store.change(&id(n), &mut |s| {
                s.state = State::SignedOut;
                s.ended_at = Some(0);
            });
            assert!(n < 100, "never refused");
        };
        assert_eq!(refused, StoreFull::Endings { capacity: 10 });
        // Every ended session is still answered as ended.
        for k in 1..n {
            let held = store.get(&id(k)).map(|s| s.state);
            let ending = store.ending(&id(k), 0).map(|e| e.state);
            assert_eq!(held.or(ending), Some(State::SignedOut), "session {k}");
        }
        // Once their credentials have expired, the endings make room.
        store
            .insert(session(&id(n), State::Active, 2_000), 1_000)
            .expect("room once the endings expired");
    }

    #[test]
    fn modify_changes_one_session_in_place() {
        let store = MemoryStore::new(10);
        store
            .insert(session(&id(1), State::Active, 100), 0)
            .expect("a");
        let changed = store
            .modify(&id(1), &mut |s| s.state = State::Revoked)
            .expect("known");
        assert_eq!(changed.state, State::Revoked);
        assert!(store.modify(&id(2), &mut |_| {}).is_none());
    }
}
