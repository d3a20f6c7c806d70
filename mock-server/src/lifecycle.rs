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
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use session_schemas::{Contract, Expiry};
use thiserror::Error;

use crate::credentials::Keyring;
use crate::memo::Memo;
use crate::persist::{StateFileError, StateLog};
use crate::store::{self, MemoryStore, Session, SessionStore, State, StoreFull};
use crate::users::User;

const TOKEN_PREFIX: &str = "sms1.";
const SEAL: &str = "session";
/// Session credentials whose signature check is remembered at once: enough
/// for every client of a mock with tens of thousands of sessions to skip
/// the check. Only credentials that verified are remembered, so garbage
/// cannot fill it.
const TOKEN_CACHE: usize = 1 << 16;
/// The most profile JSON a session carries: it travels in the credential.
pub(crate) const MAX_PROFILE_BYTES: usize = 2048;

/// What a session credential says about itself: signed in an `sms1`
/// token, encrypted in an Auth.js cookie (`tokens`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct SessionClaims {
    /// Contract.
    pub(crate) c: String,
    /// Session id.
    pub(crate) s: String,
    /// User login.
    pub(crate) u: String,
    /// User id.
    pub(crate) i: String,
    /// Created, expires (unix seconds), lifetime (seconds).
    pub(crate) t: i64,
    pub(crate) e: i64,
    pub(crate) l: i64,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) p: Map<String, Value>,
    /// The process that issued it (absent in credentials of versions
    /// before it: those are an earlier process's).
    #[serde(default)]
    pub(crate) n: u64,
}

/// The session a credential belongs to, as of now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Held {
    Live(Session),
    /// Signed out or revoked.
    Ended(Session),
    Expired(Session),
}

/// Something that happened to a session, for the journal and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Event {
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
pub(crate) enum LifecycleError {
    #[error(transparent)]
    Full(#[from] StoreFull),
    #[error("{0}")]
    Invalid(String),
}

/// Sessions of every mounted contract, their store and their credentials.
#[derive(Debug)]
pub(crate) struct Sessions {
    store: Arc<dyn SessionStore>,
    keyring: Keyring,
    /// `--state FILE`: every change written, activity in batches.
    log: Option<Arc<StateLog>>,
    /// This process, in every credential it issues: a credential of this
    /// process whose session the store does not know was let go of after
    /// it ended, never one to take back.
    instance: u64,
    tokens: Memo<u128, Arc<SessionClaims>>,
    /// Two independently keyed SipHashes: a token's 128-bit key in `tokens`.
    /// Remembering 16 bytes per token rather than the token (about 250)
    /// keeps 10,000 sessions' memory down; finding another token with the
    /// same key would take forging a keyed hash whose keys never leave the
    /// process.
    token_keys: (RandomState, RandomState),
}

impl Sessions {
    /// Sessions in memory, loaded from and saved to `state_file` if given.
    pub(crate) fn new(
        keyring: Keyring,
        capacity: usize,
        state_file: Option<PathBuf>,
    ) -> Result<Self, StateFileError> {
        let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new(capacity));
        let log = match &state_file {
            Some(path) => {
                let (log, loaded) = StateLog::open(path)?;
                if loaded.torn {
                    tracing::warn!(path = %path.display(), "the state file's last line was cut short (a crash mid-write); it was skipped");
                }
                store.restore(loaded.sessions, loaded.endings);
                let log = Arc::new(log);
                flush_in_batches(&log, &store);
                Some(log)
            }
            None => None,
        };
        Ok(Self {
            store,
            keyring,
            log,
            instance: u64::from_le_bytes(random_bytes()),
            tokens: Memo::new(TOKEN_CACHE),
            token_keys: (RandomState::new(), RandomState::new()),
        })
    }

    /// Runs a change of the store; with a state file, the sessions it
    /// reports changed are written before it returns.
    fn change<T>(&self, change: impl FnOnce(&mut Vec<Session>) -> T) -> T {
        match &self.log {
            Some(log) => log.change(&*self.store, change),
            None => change(&mut Vec::new()),
        }
    }

    /// Writes the activity not yet written (also done once a second, and
    /// when the sessions are dropped).
    pub(crate) fn flush(&self) {
        if let Some(log) = &self.log {
            log.flush(&*self.store);
        }
    }

    /// A new session for `user` on `contract` at `now`, not yet held: a
    /// fresh id, the user's id (or one derived from the login).
    pub(crate) fn start(
        &self,
        contract: &Contract,
        user: &User,
        lifetime: i64,
        now: i64,
    ) -> Session {
        let user_id = user
            .id
            .clone()
            .unwrap_or_else(|| self.keyring.uuid_for("user", &user.username));
        Session::start(
            random_uuid(),
            &contract.name,
            &user.username,
            user_id,
            user.profile.clone(),
            now,
            lifetime,
        )
    }

    /// Starts a session for `user` on `contract` at `now`.
    pub(crate) fn create(
        &self,
        contract: &Contract,
        user: &User,
        lifetime: i64,
        state: State,
        now: i64,
    ) -> Result<(Session, String), LifecycleError> {
        check_profile(&user.profile).map_err(LifecycleError::Invalid)?;
        let mut session = self.start(contract, user, lifetime, now);
        let token = self.credential(&session);
        if state != State::Active {
            end(&mut session, state, now);
        }
        self.change(|changed| {
            self.store.insert(session.clone(), now)?;
            changed.push(session.clone());
            Ok::<_, StoreFull>(())
        })?;
        Ok((session, token))
    }

    /// The process's mark in every credential it issues.
    pub(crate) fn instance(&self) -> u64 {
        self.instance
    }

    /// What a credential of `session` says, as of now (its current expiry).
    pub(crate) fn claims_of(&self, session: &Session) -> SessionClaims {
        SessionClaims {
            c: session.contract.clone(),
            s: session.id.clone(),
            u: session.user.clone(),
            i: session.user_id.clone(),
            t: session.created_at,
            e: session.expires_at,
            l: session.lifetime,
            p: session.profile.clone(),
            n: self.instance,
        }
    }

    /// A credential for `session`, carrying its current expiry. Auth.js
    /// re-signs its session token on every read; so does the mock.
    pub(crate) fn credential(&self, session: &Session) -> String {
        let claims = self.claims_of(session);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signature = self.keyring.seal(SEAL, payload.as_bytes());
        format!("{TOKEN_PREFIX}{payload}.{signature}")
    }

    fn claims(&self, token: &str) -> Option<Arc<SessionClaims>> {
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
        let claims: Arc<SessionClaims> = Arc::new(serde_json::from_slice(&bytes).ok()?);
        self.tokens.insert(key, Arc::clone(&claims));
        Some(claims)
    }

    /// The session `token` belongs to on `contract`, as of `now`, and what
    /// finding it did (an expiry noticed, a session taken back after a
    /// restart). `None`: not a session credential of this mock and contract.
    ///
    /// An ending is forever: a credential whose session ended (signed out,
    /// revoked, expired) is answered as such until it expires itself,
    /// whether the store still holds the session whole, remembers only how
    /// it ended, or (with a state file, or for a credential of this
    /// process) no longer knows it at all. Only a credential of an earlier
    /// process, restarted without a state file, is taken back from its
    /// signed claims.
    pub(crate) fn find(
        &self,
        contract: &str,
        token: &str,
        now: i64,
    ) -> Option<(Held, Option<Event>)> {
        let claims = self.claims(token)?;
        self.held(contract, &claims, claims.e, now)
    }

    /// The session credential `claims` (verified; expiring at `exp`) speak
    /// of, as `find` says.
    pub(crate) fn held(
        &self,
        contract: &str,
        claims: &SessionClaims,
        exp: i64,
        now: i64,
    ) -> Option<(Held, Option<Event>)> {
        if claims.c != contract {
            return None;
        }
        let mut expired_now = false;
        let mut notice_expiry = |s: &mut Session| {
            if s.state == State::Active && now >= s.expires_at {
                s.state = State::Expired;
                s.ended_at = Some(s.expires_at);
                expired_now = true;
            }
        };
        let Some(session) = self.store.modify(&claims.s, &mut notice_expiry) else {
            return self.find_unheld(claims, exp, now);
        };
        let event = expired_now.then(|| {
            if let Some(log) = &self.log {
                log.touched(&session.id);
            }
            Event::Expire
        });
        let held = match session.state {
            State::Active => Held::Live(session),
            State::Expired => Held::Expired(session),
            State::SignedOut | State::Revoked => Held::Ended(session),
        };
        Some((held, event))
    }

    /// A signed credential whose session the store does not hold whole.
    fn find_unheld(
        &self,
        claims: &SessionClaims,
        exp: i64,
        now: i64,
    ) -> Option<(Held, Option<Event>)> {
        let mut session = Session::start(
            claims.s.clone(),
            &claims.c,
            &claims.u,
            claims.i.clone(),
            claims.p.clone(),
            claims.t,
            claims.l,
        );
        session.expires_at = exp;
        let ended = |mut session: Session, state: State| {
            session.state = state;
            session.ended_at = Some(now.min(session.expires_at));
            session
        };
        if let Some(ending) = self.store.ending(&claims.s, now) {
            let held = match ending.state {
                State::Expired => Held::Expired(ended(session, State::Expired)),
                state => Held::Ended(ended(session, state)),
            };
            return Some((held, None));
        }
        if now >= exp {
            return Some((Held::Expired(ended(session, State::Expired)), None));
        }
        // With a state file the file is the truth: a session it does not
        // hold is gone. A credential of this process was let go of after
        // its session ended (the store forgets nothing earlier).
        if self.log.is_some() || claims.n == self.instance {
            return Some((Held::Ended(ended(session, State::Revoked)), None));
        }
        self.change(|changed| {
            self.store.insert(session.clone(), now).ok()?;
            changed.push(session.clone());
            Some(())
        })?;
        Some((Held::Live(session), Some(Event::Restored)))
    }

    /// Records an authenticated request: last activity moves to `now`
    /// (never backwards) and a sliding expiry is extended.
    pub(crate) fn touch(&self, id: &str, now: i64, expiry: Expiry) -> Option<Session> {
        let session = self.store.modify(id, &mut |s| touched(s, now, expiry))?;
        if let Some(log) = &self.log {
            log.touched(id);
        }
        Some(session)
    }

    /// The same for a session just found: the stored one and `session`
    /// (the copy `find` gave) are touched alike, with no second copy.
    pub(crate) fn touch_found(&self, session: &mut Session, now: i64, expiry: Expiry) {
        self.store
            .change(&session.id, &mut |s| touched(s, now, expiry));
        touched(session, now, expiry);
        if let Some(log) = &self.log {
            log.touched(&session.id);
        }
    }

    /// Ends a session (sign-out, revocation, expiry on purpose). Ending an
    /// ended session changes nothing.
    pub(crate) fn end(&self, id: &str, state: State, now: i64) -> Option<Session> {
        self.change(|changed| {
            let session = self.store.modify(id, &mut |s| {
                if s.state == State::Active {
                    end(s, state, now);
                }
            })?;
            changed.push(session.clone());
            Some(session)
        })
    }

    /// Applies `change` to a session (its profile, its lifetime...), then saves.
    pub(crate) fn update(&self, id: &str, change: &mut dyn FnMut(&mut Session)) -> Option<Session> {
        self.change(|changed| {
            let session = self.store.modify(id, &mut |s| {
                change(s);
                s.revision = store::next_revision();
            })?;
            changed.push(session.clone());
            Some(session)
        })
    }

    pub(crate) fn get(&self, id: &str) -> Option<Session> {
        self.store.get(id)
    }

    pub(crate) fn list(&self) -> Vec<Session> {
        self.store.list()
    }

    /// Ends every live session as revoked; returns how many.
    pub(crate) fn revoke_all(&self, now: i64) -> usize {
        self.change(|changed| {
            for session in self.store.list() {
                // Ended in between by someone else: left as it is, not counted.
                let mut revoked = false;
                let session = self.store.modify(&session.id, &mut |s| {
                    if s.state == State::Active {
                        end(s, State::Revoked, now);
                        revoked = true;
                    }
                });
                if let Some(session) = session.filter(|_| revoked) {
                    changed.push(session);
                }
            }
            changed.len()
        })
    }
}

impl Drop for Sessions {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Writes the state file's batches of activity once a second, for as long
/// as the sessions exist.
fn flush_in_batches(log: &Arc<StateLog>, store: &Arc<dyn SessionStore>) {
    let (log, store) = (Arc::downgrade(log), Arc::downgrade(store));
    let spawned = std::thread::Builder::new()
        .name("session-mock-state".into())
        .spawn(move || {
            loop {
                std::thread::sleep(crate::persist::FLUSH_EVERY);
                let (Some(log), Some(store)) = (log.upgrade(), store.upgrade()) else {
                    return;
                };
                log.flush(&*store);
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the state file's writer; activity is written at shutdown only");
    }
}

/// A profile small enough to travel in a credential (a cookie stays under 4 KB).
pub(crate) fn check_profile(profile: &Map<String, Value>) -> Result<(), String> {
    let size = serde_json::to_vec(profile).map_or(0, |b| b.len());
    if size > MAX_PROFILE_BYTES {
        return Err(format!(
            "the user's fields are {size} bytes of JSON; a session carries at most {MAX_PROFILE_BYTES}"
        ));
    }
    Ok(())
}

/// Ends an active session at `now`. Its expiry stays: it is when the last
/// credential issued for it expires, until which the ending is remembered.
fn end(session: &mut Session, state: State, now: i64) {
    session.state = state;
    session.ended_at = Some(now);
}

/// A random (version 4) UUID.
pub(crate) fn random_uuid() -> String {
    session_schemas::uuid_v4(random_bytes())
}

/// Random bytes from the operating system. Should it ever fail, a clock and
/// counter based fallback still gives distinct values.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
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
    use crate::settings::AuthMode;
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

    /// What the property test does to the sessions.
    #[derive(Debug, Clone)]
    enum Step {
        Create,
        Read(usize),
        SignOut(usize),
        Revoke(usize),
        /// Expire on purpose (the admin API's PATCH).
        Expire(usize),
        Advance(i64),
        Restart,
    }

    fn step() -> impl proptest::strategy::Strategy<Value = Step> {
        use proptest::prelude::*;
        prop_oneof![
            4 => Just(Step::Create),
            4 => (0usize..64).prop_map(Step::Read),
            2 => (0usize..64).prop_map(Step::SignOut),
            2 => (0usize..64).prop_map(Step::Revoke),
            1 => (0usize..64).prop_map(Step::Expire),
            1 => (0i64..2_000).prop_map(Step::Advance),
            1 => Just(Step::Restart),
        ]
    }

    /// One credential the test was given, and what it knows of it.
    struct Issued {
        token: String,
        id: String,
        expires_at: i64,
        /// Ended by the test (and not since forgotten by a restart
        /// without a state file, which the README says forgets endings).
        ended: bool,
    }

    fn run(steps: &[Step], state_file: Option<PathBuf>) -> Result<(), String> {
        const LIFETIME: i64 = 3_600;
        let api = Registry::builtin().get("session-api").expect("api");
        let open = || {
            Sessions::new(
                Keyring::new("a-long-enough-key", AuthMode::Known, vec![], vec![], vec![]),
                2,
                state_file.clone(),
            )
            .expect("sessions")
        };
        let mut sessions = open();
        let mut issued: Vec<Issued> = Vec::new();
        let mut now = 1_000;
        for step in steps {
            let pick = |k: &usize| (!issued.is_empty()).then(|| k % issued.len());
            match step {
                Step::Create => {
                    if let Ok((session, token)) =
                        sessions.create(api, &user(), LIFETIME, State::Active, now)
                    {
                        issued.push(Issued {
                            token,
                            id: session.id,
                            expires_at: session.expires_at,
                            ended: false,
                        });
                    }
                }
                Step::Read(k) => {
                    if let Some(k) = pick(k)
                        && let Some((Held::Live(s), _)) =
                            sessions.find("session-api", &issued[k].token, now)
                    {
                        sessions.touch(&s.id, now, Expiry::Fixed);
                    }
                }
                Step::SignOut(k) | Step::Revoke(k) | Step::Expire(k) => {
                    let Some(k) = pick(k) else { continue };
                    let to = match step {
                        Step::SignOut(_) => State::SignedOut,
                        Step::Revoke(_) => State::Revoked,
                        _ => State::Expired,
                    };
                    if sessions.end(&issued[k].id, to, now).is_some() {
                        issued[k].ended = true;
                    }
                }
                Step::Advance(seconds) => now += seconds,
                Step::Restart => {
                    drop(sessions);
                    sessions = open();
                    if state_file.is_none() {
                        issued.iter_mut().for_each(|i| i.ended = false);
                    }
                }
            }
            for (k, credential) in issued.iter().enumerate() {
                let found = sessions.find("session-api", &credential.token, now);
                let live = matches!(found, Some((Held::Live(_), _)));
                if credential.ended && live {
                    return Err(format!(
                        "credential {k}, ended, answered as live after {step:?} at {now}"
                    ));
                }
                if live && now >= credential.expires_at {
                    return Err(format!("credential {k} live past its expiry at {now}"));
                }
                // Without a state file, a restarted store may be too full
                // to take a session back: then it is no session at all.
                if found.is_none() && state_file.is_some() {
                    return Err(format!("credential {k} not recognised at all at {now}"));
                }
            }
        }
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 48,
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// An ending is forever: through a tiny store's churn, restarts and
        /// the clock, no ended credential answers as a live session.
        #[test]
        fn no_ended_credential_comes_back_in_memory(steps in proptest::collection::vec(step(), 1..120)) {
            proptest::prop_assert_eq!(run(&steps, None), Ok(()));
        }

        /// The same with a state file, across restarts too.
        #[test]
        fn no_ended_credential_comes_back_with_a_state_file(steps in proptest::collection::vec(step(), 1..80)) {
            let dir = std::env::temp_dir().join(format!(
                "session-mock-lifecycle-{}-{}",
                std::process::id(),
                random_uuid()
            ));
            std::fs::create_dir_all(&dir).expect("dir");
            let result = run(&steps, Some(dir.join("state.jsonl")));
            std::fs::remove_dir_all(&dir).ok();
            proptest::prop_assert_eq!(result, Ok(()));
        }
    }

    #[test]
    fn the_issue_reproduction_stays_revoked_through_churn() {
        let sessions = Sessions::new(
            Keyring::new("a-long-enough-key", AuthMode::Known, vec![], vec![], vec![]),
            2,
            None,
        )
        .expect("sessions");
        let api = Registry::builtin().get("session-api").expect("api");
        let (first, token) = sessions
            .create(api, &user(), 3_600, State::Active, 0)
            .expect("created");
        sessions.end(&first.id, State::Revoked, 0);
        for n in 1..=5_000 {
            let Ok((other, _)) = sessions.create(api, &user(), 3_600, State::Active, n / 10) else {
                // Refused once its endings fill: never by forgetting one.
                break;
            };
            sessions.end(&other.id, State::Revoked, n / 10);
            assert!(
                matches!(
                    sessions.find("session-api", &token, n / 10),
                    Some((Held::Ended(_), None))
                ),
                "revived after {n} cycles"
            );
        }
    }
}
