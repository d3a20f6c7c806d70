//! The session's life: creating sessions, finding the one a credential
//! belongs to, sliding its activity and expiry, ending it. Generic over
//! contracts: where a session's values show in a body is the manifest's
//! business (`render`), how a user signs in is a protocol's (`authjs`).
//!
//! A session credential is `sms1.<claims>.<signature>`: base64url JSON naming
//! the contract, the session and its user, signed with the signing key. The
//! store decides whether the session is still live; the claims let a mock
//! restarted without a state file take a session back, as a server with
//! signed tokens would (revocations then last until the restart only; with
//! `--state FILE` everything is kept).

use std::hash::{BuildHasher, RandomState};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use session_schemas::{Contract, Expiry};
use thiserror::Error;

use crate::config::User;
use crate::credentials::Keyring;
use crate::memo::Memo;
use crate::store::{self, MemoryStore, Session, SessionStore, State, StoreFull};

const TOKEN_PREFIX: &str = "sms1.";
const SEAL: &str = "session";
/// Session credentials whose signature check is remembered at once: enough
/// for every client of a mock with tens of thousands of sessions to skip
/// the check. Only credentials that verified are remembered, so garbage
/// cannot fill it.
const TOKEN_CACHE: usize = 1 << 16;
/// The most profile JSON a session carries: it travels in the credential.
pub const MAX_PROFILE_BYTES: usize = 2048;

/// What a session credential says about itself (signed).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Claims {
    /// Contract.
    c: String,
    /// Session id.
    s: String,
    /// User login.
    u: String,
    /// User id.
    i: String,
    /// Created, expires (unix seconds), lifetime (seconds).
    t: i64,
    e: i64,
    l: i64,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    p: Map<String, Value>,
}

/// The session a credential belongs to, as of now.
#[derive(Debug, Clone, PartialEq)]
pub enum Held {
    Live(Session),
    /// Signed out or revoked.
    Ended(Session),
    Expired(Session),
}

/// Something that happened to a session, for the journal and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    Created,
    SignIn,
    SignInFailed,
    SignOut,
    Revoke,
    Expire,
    Update,
    /// Taken back from its credential after a restart.
    Restored,
}

fn touched(s: &mut Session, now: i64, expiry: Expiry) {
    if s.state != State::Active {
        return;
    }
    s.last_activity_at = s.last_activity_at.max(now);
    if expiry == Expiry::Sliding {
        s.expires_at = s.expires_at.max(now.saturating_add(s.lifetime));
    }
}

/// A session that cannot be created or changed as asked.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LifecycleError {
    #[error(transparent)]
    Full(#[from] StoreFull),
    #[error("{0}")]
    Invalid(String),
}

/// Sessions of every mounted contract, their store and their credentials.
#[derive(Debug)]
pub struct Sessions {
    store: Box<dyn SessionStore>,
    keyring: Keyring,
    state_file: Option<PathBuf>,
    /// Serializes state-file writes so the last one written is the newest.
    saving: Mutex<()>,
    tokens: Memo<u128, Arc<Claims>>,
    /// Two independently keyed SipHashes: a token's 128-bit key in `tokens`.
    /// Remembering 16 bytes per token rather than the token (about 250)
    /// keeps 10,000 sessions' memory down; finding another token with the
    /// same key would take forging a keyed hash whose keys never leave the
    /// process.
    token_keys: (RandomState, RandomState),
}

impl Sessions {
    /// Sessions in memory, loaded from and saved to `state_file` if given.
    pub fn new(
        keyring: Keyring,
        capacity: usize,
        state_file: Option<PathBuf>,
    ) -> Result<Self, store::StateFileError> {
        let store = MemoryStore::new(capacity);
        if let Some(path) = &state_file {
            for session in store::load_state(path)? {
                // Loaded sessions are not refused: the file was written under a limit.
                let _ = store.insert(session, i64::MIN);
            }
            // Written once now, so a path that cannot be written (no such
            // directory, no permission) stops the start instead of every
            // later save failing quietly.
            store::save_state(path, store.list()).map_err(|source| {
                store::StateFileError::Write {
                    path: path.clone(),
                    source,
                }
            })?;
        }
        Ok(Self {
            store: Box::new(store),
            keyring,
            state_file,
            saving: Mutex::new(()),
            tokens: Memo::new(TOKEN_CACHE),
            token_keys: (RandomState::new(), RandomState::new()),
        })
    }

    /// Starts a session for `user` on `contract` at `now`.
    pub fn create(
        &self,
        contract: &Contract,
        user: &User,
        lifetime: i64,
        state: State,
        now: i64,
    ) -> Result<(Session, String), LifecycleError> {
        check_profile(&user.profile).map_err(LifecycleError::Invalid)?;
        let user_id = user
            .id
            .clone()
            .unwrap_or_else(|| self.keyring.uuid_for("user", &user.username));
        let mut session = Session::start(
            random_uuid(),
            &contract.name,
            &user.username,
            user_id,
            user.profile.clone(),
            now,
            lifetime,
        );
        let token = self.credential(&session);
        if state != State::Active {
            end(&mut session, state, now);
        }
        self.store.insert(session.clone(), now)?;
        self.save();
        Ok((session, token))
    }

    /// A credential for `session`, carrying its current expiry. Auth.js
    /// re-signs its session token on every read; so does the mock.
    pub fn credential(&self, session: &Session) -> String {
        let claims = Claims {
            c: session.contract.clone(),
            s: session.id.clone(),
            u: session.user.clone(),
            i: session.user_id.clone(),
            t: session.created_at,
            e: session.expires_at,
            l: session.lifetime,
            p: session.profile.clone(),
        };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signature = self.keyring.seal(SEAL, payload.as_bytes());
        format!("{TOKEN_PREFIX}{payload}.{signature}")
    }

    fn claims(&self, token: &str) -> Option<Arc<Claims>> {
        let rest = token.strip_prefix(TOKEN_PREFIX)?;
        let key = (u128::from(self.token_keys.0.hash_one(token)) << 64)
            | u128::from(self.token_keys.1.hash_one(token));
        if let Some(claims) = self.tokens.get(&key) {
            return Some(claims);
        }
        let (payload, signature) = rest.rsplit_once('.')?;
        if !self
            .keyring
            .verify_seal(SEAL, payload.as_bytes(), signature)
        {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let claims: Arc<Claims> = Arc::new(serde_json::from_slice(&bytes).ok()?);
        self.tokens.insert(key, Arc::clone(&claims));
        Some(claims)
    }

    /// The session `token` belongs to on `contract`, as of `now`, and what
    /// finding it did (an expiry noticed, a session taken back after a
    /// restart). `None`: not a session credential of this mock and contract.
    pub fn find(&self, contract: &str, token: &str, now: i64) -> Option<(Held, Option<Event>)> {
        let claims = self.claims(token)?;
        if claims.c != contract {
            return None;
        }
        let mut event = None;
        let mut expired_now = false;
        let mut notice_expiry = |s: &mut Session| {
            if s.state == State::Active && now >= s.expires_at {
                s.state = State::Expired;
                s.ended_at = Some(s.expires_at);
                expired_now = true;
            }
        };
        let session = match self.store.modify(&claims.s, &mut notice_expiry) {
            Some(session) => session,
            // With a state file the file is the truth: a session it does
            // not hold was cleared on purpose.
            None if self.state_file.is_some() => return None,
            None => {
                let mut session = Session::start(
                    claims.s.clone(),
                    &claims.c,
                    &claims.u,
                    claims.i.clone(),
                    claims.p.clone(),
                    claims.t,
                    claims.l,
                );
                session.expires_at = claims.e;
                notice_expiry(&mut session);
                self.store.insert(session.clone(), now).ok()?;
                event = Some(Event::Restored);
                session
            }
        };
        if expired_now {
            event = Some(Event::Expire);
            self.save();
        }
        let held = match session.state {
            State::Active => Held::Live(session),
            State::Expired => Held::Expired(session),
            State::SignedOut | State::Revoked => Held::Ended(session),
        };
        Some((held, event))
    }

    /// Records an authenticated request: last activity moves to `now`
    /// (never backwards) and a sliding expiry is extended.
    pub fn touch(&self, id: &str, now: i64, expiry: Expiry) -> Option<Session> {
        self.store.modify(id, &mut |s| touched(s, now, expiry))
    }

    /// The same for a session just found: the stored one and `session`
    /// (the copy `find` gave) are touched alike, with no second copy.
    pub fn touch_found(&self, session: &mut Session, now: i64, expiry: Expiry) {
        self.store
            .change(&session.id, &mut |s| touched(s, now, expiry));
        touched(session, now, expiry);
    }

    /// Ends a session (sign-out, revocation, expiry on purpose). Ending an
    /// ended session changes nothing.
    pub fn end(&self, id: &str, state: State, now: i64) -> Option<Session> {
        let session = self.store.modify(id, &mut |s| {
            if s.state == State::Active {
                end(s, state, now);
            }
        })?;
        self.save();
        Some(session)
    }

    /// Applies `change` to a session (its profile, its lifetime...), then saves.
    pub fn update(&self, id: &str, change: &mut dyn FnMut(&mut Session)) -> Option<Session> {
        let session = self.store.modify(id, &mut |s| {
            change(s);
            s.revision = store::next_revision();
        })?;
        self.save();
        Some(session)
    }

    pub fn get(&self, id: &str) -> Option<Session> {
        self.store.get(id)
    }

    pub fn list(&self) -> Vec<Session> {
        self.store.list()
    }

    /// Ends every live session as revoked; returns how many.
    pub fn revoke_all(&self, now: i64) -> usize {
        let mut count = 0;
        for session in self.store.list() {
            // Ended in between by someone else: left as it is, not counted.
            self.store.modify(&session.id, &mut |s| {
                if s.state == State::Active {
                    end(s, State::Revoked, now);
                    count += 1;
                }
            });
        }
        self.save();
        count
    }

    fn save(&self) {
        let Some(path) = &self.state_file else {
            return;
        };
        let _guard = self.saving.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = store::save_state(path, self.store.list()) {
            tracing::warn!(path = %path.display(), %error, "cannot save the session state file");
        }
    }
}

/// A profile small enough to travel in a credential (a cookie stays under 4 KB).
pub fn check_profile(profile: &Map<String, Value>) -> Result<(), String> {
    let size = serde_json::to_vec(profile).map_or(0, |b| b.len());
    if size > MAX_PROFILE_BYTES {
        return Err(format!(
            "the user's fields are {size} bytes of JSON; a session carries at most {MAX_PROFILE_BYTES}"
        ));
    }
    Ok(())
}

fn end(session: &mut Session, state: State, now: i64) {
    session.state = state;
    session.ended_at = Some(now);
    if state == State::Expired {
        session.expires_at = session.expires_at.min(now);
    }
}

/// A random (version 4) UUID.
pub fn random_uuid() -> String {
    session_schemas::uuid_v4(random_bytes())
}

/// Random bytes from the operating system. Should it ever fail, a clock and
/// counter based fallback still gives distinct values.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if getrandom::fill(&mut bytes).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = ((nanos >> ((i % 16) * 8)) as u8) ^ (n.rotate_left(i as u32) as u8);
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AuthMode;
    use session_schemas::Registry;

    fn sessions() -> Sessions {
        Sessions::new(
            Keyring::new("a-long-enough-key", AuthMode::Known, vec![], vec![], vec![]),
            100,
            None,
        )
        .expect("sessions")
    }

    fn user() -> User {
        User {
            username: "alice".into(),
            password: "secret".into(),
            id: None,
            profile: Map::new(),
        }
    }

    #[test]
    fn a_session_lives_slides_and_ends() {
        let sessions = sessions();
        let api = Registry::builtin().get("session-api").expect("api");
        let (session, token) = sessions
            .create(api, &user(), 3600, State::Active, 1_000)
            .expect("created");
        assert!(matches!(
            sessions.find("session-api", &token, 1_500),
            Some((Held::Live(_), None))
        ));
        assert!(
            sessions.find("authjs", &token, 1_500).is_none(),
            "another contract's session"
        );
        let touched = sessions
            .touch(&session.id, 1_500, Expiry::Fixed)
            .expect("touched");
        assert_eq!(
            (touched.last_activity_at, touched.expires_at),
            (1_500, 4_600)
        );
        assert_eq!(
            sessions
                .touch(&session.id, 1_200, Expiry::Fixed)
                .expect("t")
                .last_activity_at,
            1_500,
            "never backwards"
        );
        let slid = sessions
            .touch(&session.id, 2_000, Expiry::Sliding)
            .expect("slid");
        assert_eq!(slid.expires_at, 5_600);
        sessions.end(&session.id, State::SignedOut, 2_100);
        assert!(matches!(
            sessions.find("session-api", &token, 2_200),
            Some((Held::Ended(_), None))
        ));
    }

    #[test]
    fn expiry_is_noticed_once_and_tampered_credentials_are_not_sessions() {
        let sessions = sessions();
        let api = Registry::builtin().get("session-api").expect("api");
        let (_, token) = sessions
            .create(api, &user(), 60, State::Active, 0)
            .expect("created");
        assert!(matches!(
            sessions.find("session-api", &token, 60),
            Some((Held::Expired(_), Some(Event::Expire)))
        ));
        assert!(matches!(
            sessions.find("session-api", &token, 61),
            Some((Held::Expired(_), None))
        ));
        let mut tampered = token.clone().into_bytes();
        let middle = tampered.len() / 2;
        tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        assert!(sessions.find("session-api", &tampered, 1).is_none());
        assert!(
            sessions
                .find("session-api", &token[..token.len() - 1], 1)
                .is_none()
        );
        assert!(sessions.find("session-api", "sms1.x.y", 1).is_none());
    }

    #[test]
    fn a_restarted_mock_takes_a_session_back_from_its_credential() {
        let api = Registry::builtin().get("session-api").expect("api");
        let (session, token) = sessions()
            .create(api, &user(), 3600, State::Active, 0)
            .expect("created");
        let restarted = sessions();
        match restarted.find("session-api", &token, 10) {
            Some((Held::Live(back), Some(Event::Restored))) => {
                assert_eq!((back.id, back.user_id), (session.id, session.user_id));
            }
            other => panic!("not restored: {other:?}"),
        }
        let other_key = Sessions::new(
            Keyring::new("another-long-key", AuthMode::Known, vec![], vec![], vec![]),
            100,
            None,
        )
        .expect("sessions");
        assert!(other_key.find("session-api", &token, 10).is_none());
    }
}
