//! Sessions in memory. Only a SHA-256 digest of each token is kept, so a dump
//! of the store cannot be replayed as credentials.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

/// Someone who can sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub username: String,
}

/// One signed-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub user: User,
    /// How the user signed in (`credentials`, `google`, ...).
    pub login_method: String,
    pub created_at: OffsetDateTime,
    pub last_activity_at: OffsetDateTime,
    /// Sliding: moves forward with activity, up to `created_at + absolute`.
    pub expires_at: OffsetDateTime,
    pub revoked: bool,
}

/// What a presented token turns out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A live session; its last activity was just recorded.
    Active(Session),
    /// A session that was signed out or revoked.
    Revoked,
    /// A session that expired, or a token never issued.
    Unknown,
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Inactivity after which a session expires.
    pub idle: Duration,
    /// A session never outlives this, active or not.
    pub absolute: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// The session store.
#[derive(Debug, Default)]
pub struct Store {
    lifetimes: Lifetimes,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
}

impl Store {
    pub fn new(lifetimes: Lifetimes) -> Self {
        Self {
            lifetimes,
            sessions: Mutex::default(),
        }
    }

    /// Starts a session for `user` now; returns the token, shown only this once.
    pub fn sign_in(&self, user: User, login_method: &str) -> Result<String, getrandom::Error> {
        self.sign_in_at(user, login_method, OffsetDateTime::now_utc())
    }

    /// Starts a session as if signed in at `at` (for tests and seeding).
    pub fn sign_in_at(
        &self,
        user: User,
        login_method: &str,
        at: OffsetDateTime,
    ) -> Result<String, getrandom::Error> {
        let token = hex(&random::<32>()?);
        let at = whole_milliseconds(at);
        let session = Session {
            id: uuid_v4(random::<16>()?),
            user,
            login_method: login_method.to_owned(),
            created_at: at,
            last_activity_at: at,
            expires_at: at + self.lifetimes.idle.min(self.lifetimes.absolute),
            revoked: false,
        };
        self.lock().insert(digest(&token), session);
        Ok(token)
    }

    /// Revokes the session of `token`; false if there is none.
    pub fn revoke(&self, token: &str) -> bool {
        self.lock()
            .get_mut(&digest(token))
            .map(|s| s.revoked = true)
            .is_some()
    }

    /// Looks a token up at `now`, recording activity on a live session.
    pub fn touch(&self, token: &str, now: OffsetDateTime) -> Lookup {
        let mut sessions = self.lock();
        let Some(session) = sessions.get_mut(&digest(token)) else {
            return Lookup::Unknown;
        };
        if session.revoked {
            return Lookup::Revoked;
        }
        if now >= session.expires_at {
            return Lookup::Unknown;
        }
        // Activity never goes backwards, even if the clock does.
        let now = whole_milliseconds(now).max(session.last_activity_at);
        session.last_activity_at = now;
        session.expires_at = (now + self.lifetimes.idle)
            .min(session.created_at + self.lifetimes.absolute)
            .max(session.expires_at);
        Lookup::Active(session.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        // Every critical section leaves the map consistent, so a panic
        // elsewhere does not make it unusable.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn random<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Timestamps are served with millisecond precision; keep them so.
fn whole_milliseconds(at: OffsetDateTime) -> OffsetDateTime {
    let millis = at.millisecond();
    at.replace_millisecond(millis).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> User {
        User {
            id: "u1".into(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            username: "ada".into(),
        }
    }

    #[test]
    fn sessions_live_slide_expire_and_revoke() {
        let store = Store::new(Lifetimes {
            idle: Duration::minutes(30),
            absolute: Duration::hours(1),
        });
        let t0 = OffsetDateTime::now_utc();
        let token = store.sign_in_at(ada(), "credentials", t0).unwrap();
        assert_eq!(token.len(), 64);
        let Lookup::Active(first) = store.touch(&token, t0 + Duration::minutes(20)) else {
            panic!("a fresh session is active");
        };
        assert_eq!(
            first.expires_at,
            whole_milliseconds(t0 + Duration::minutes(50))
        );
        // Activity keeps it alive past the idle limit, not past the absolute one.
        assert!(matches!(
            store.touch(&token, t0 + Duration::minutes(45)),
            Lookup::Active(_)
        ));
        assert_eq!(
            store.touch(&token, t0 + Duration::minutes(61)),
            Lookup::Unknown
        );
        // A clock going backwards does not move activity backwards.
        let other = store.sign_in_at(ada(), "google", t0).unwrap();
        let Lookup::Active(later) = store.touch(&other, t0 + Duration::minutes(10)) else {
            panic!()
        };
        let Lookup::Active(earlier) = store.touch(&other, t0 + Duration::minutes(5)) else {
            panic!()
        };
        assert_eq!(earlier.last_activity_at, later.last_activity_at);
        assert!(store.revoke(&other));
        assert_eq!(store.touch(&other, t0), Lookup::Revoked);
        assert!(!store.revoke("never-issued"));
        assert_eq!(store.touch("never-issued", t0), Lookup::Unknown);
        assert_ne!(token, other);
    }

    #[test]
    fn uuids_are_version_4() {
        let id = uuid_v4([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }
}
