//! The session cookie's value when the app's Auth.js secret is known: the
//! token Auth.js itself writes (`jwe`), with the claims its default `jwt`
//! callback gives a signed-in user, so the app's server reads the mock's
//! sessions; and the app's own tokens read back as sessions.
//!
//! Claims of a session the mock holds, as `@auth/core`'s credentials
//! callback writes them (`name`, `email`, `picture` from the user's image,
//! `sub` the user's id), then the user's profile fields (what the app's
//! `jwt` callback would add: roles, tenant...), then the mock's own:
//! `sid`, the session's id, and `session-mock`, what it needs to find the
//! session again (its contract, login, creation, lifetime, issuing process
//! and exact profile). The app's middleware re-encrypts the token on every
//! request with the claims unchanged (the default `jwt` callback returns
//! the token as it is), so the mock still knows the session it rotated.
//!
//! A token without those claims was written by the app alone (its own
//! provider, or a test's `encode`): a stateless session, as Auth.js's JWT
//! strategy has, built from its claims and expiring with them.

use std::sync::Arc;

use serde_json::{Map, Value, json};

pub(crate) mod jwe;

use crate::lifecycle::SessionClaims;
use crate::memo::Memo;
use crate::store::Session;
use jwe::{Codec, Flavour, Refused, check_window};

/// The claim naming the mock's session.
const SESSION_ID: &str = "sid";
/// The mock's own claims.
const MOCK: &str = "session-mock";
/// Claims Auth.js and JOSE write; never taken from a profile.
const RESERVED: [&str; 9] = [
    "name", "email", "picture", "sub", "iat", "exp", "jti", SESSION_ID, MOCK,
];

/// The app's secrets, and what the mock remembers to spare itself work.
#[derive(Debug)]
pub(crate) struct Tokens {
    codec: Codec,
    /// A held session's claims as JSON, by its revision (unique to its
    /// identity and profile as last changed): written once, not per read.
    claims: Memo<u64, Arc<Vec<u8>>>,
    /// What Auth.js hashes the CSRF token with: `options.secret`, which a
    /// template literal writes as the secrets joined by commas.
    csrf_secret: String,
}

/// What a cookie's token turned out to be.
#[derive(Debug, Clone)]
pub(crate) enum Decoded {
    /// A session the mock issued (its expiry is the token's `exp`).
    Mock(Arc<SessionClaims>, i64),
    /// A token the app wrote: its claims (times removed), and its expiry.
    App {
        claims: Map<String, Value>,
        exp: Option<i64>,
    },
}

/// Which library a session cookie's name belongs to: next-auth 4's
/// `next-auth.session-token` (and its `__Secure-` form), else Auth.js 5.
pub(crate) fn flavour_of(name: &str) -> Flavour {
    if name
        .trim_start_matches(session_schemas::authjs::cookie::SECURE_PREFIX)
        .starts_with("next-auth.")
    {
        Flavour::V4
    } else {
        Flavour::V5
    }
}

impl Tokens {
    pub(crate) fn new(secrets: Vec<String>) -> Self {
        Self {
            csrf_secret: secrets.join(","),
            codec: Codec::new(secrets),
            claims: Memo::new(1 << 14),
        }
    }

    /// The hash half of the CSRF cookie (`token|hash`), as Auth.js computes
    /// it (`createHash(`${csrfToken}${options.secret}`)`, SHA-256 in hex), so
    /// the app's own Auth.js takes the mock's CSRF cookie and the other way
    /// round.
    pub(crate) fn csrf_hash(&self, token: &str) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!("{token}{}", self.csrf_secret).as_bytes());
        crate::credentials::hex(&digest)
    }

    /// The token for the session cookie `name`, as Auth.js would write it
    /// for `session` at `now` (expiring with it).
    pub(crate) fn encode(&self, instance: u64, session: &Session, name: &str, now: i64) -> String {
        let flavour = flavour_of(name);
        let exp = session.expires_at;
        match &session.stateless {
            Some(claims) => {
                let json = serde_json::to_vec(&**claims).unwrap_or_default();
                self.codec.encode_json(flavour, name, &json, now, exp)
            }
            None => {
                let json = self.claims.get(&session.revision).unwrap_or_else(|| {
                    let json = Arc::new(
                        serde_json::to_vec(&mock_claims(instance, session)).unwrap_or_default(),
                    );
                    self.claims.insert(session.revision, Arc::clone(&json));
                    json
                });
                self.codec.encode_json(flavour, name, &json, now, exp)
            }
        }
    }

    /// The token `value` of the session cookie `name`, read at `now` as
    /// the library's `decode` reads it: decrypted on every request, as
    /// Auth.js does (the mock's own claims read straight into their
    /// fields, any other token's into a map).
    pub(crate) fn decode(&self, name: &str, value: &str, now: i64) -> Result<Decoded, Refused> {
        let plaintext = self.codec.decrypt(flavour_of(name), name, value)?;
        if let Ok(token) = serde_json::from_slice::<MockToken<'_>>(&plaintext)
            && let (Some(id), Some(sub), Some(mock)) = (token.sid, token.sub, token.mock)
        {
            check_window(token.exp, token.nbf, now)?;
            #[allow(clippy::cast_possible_truncation)]
            let exp = token.exp.map_or(i64::MAX, |exp| exp as i64);
            return Ok(Decoded::Mock(
                Arc::new(SessionClaims {
                    c: mock.c.into_owned(),
                    s: id.into_owned(),
                    u: mock.u.into_owned(),
                    i: sub.into_owned(),
                    t: mock.t,
                    e: exp,
                    l: mock.l,
                    p: mock.p.unwrap_or_default(),
                    n: mock.n,
                }),
                exp,
            ));
        }
        let mut claims: Map<String, Value> =
            serde_json::from_slice(&plaintext).map_err(|_| Refused::Claims)?;
        let time = |name: &str| match claims.get(name) {
            None => Ok(None),
            Some(value) => value.as_f64().map(Some).ok_or(Refused::Claims),
        };
        time("iat")?;
        let (exp, nbf) = (time("exp")?, time("nbf")?);
        check_window(exp, nbf, now)?;
        for time in ["iat", "exp", "jti"] {
            claims.remove(time);
        }
        #[allow(clippy::cast_possible_truncation)]
        Ok(Decoded::App {
            claims,
            exp: exp.map(|exp| exp as i64),
        })
    }
}

/// A token of the mock's, as far as the mock reads it: the rest of its
/// claims are the app's business.
#[derive(serde::Deserialize)]
struct MockToken<'a> {
    #[serde(borrow)]
    sid: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    sub: Option<std::borrow::Cow<'a, str>>,
    exp: Option<f64>,
    nbf: Option<f64>,
    #[serde(rename = "session-mock", borrow)]
    mock: Option<MockPart<'a>>,
}

#[derive(serde::Deserialize)]
struct MockPart<'a> {
    #[serde(borrow)]
    c: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    u: std::borrow::Cow<'a, str>,
    t: i64,
    l: i64,
    n: u64,
    p: Option<Map<String, Value>>,
}

/// A held session's claims: Auth.js's, the profile's, the mock's
/// (`instance`: the process that issues them).
fn mock_claims(instance: u64, session: &Session) -> Map<String, Value> {
    let (name, email) = crate::config::persona(&session.user, &session.profile);
    let mut claims = Map::new();
    claims.insert("name".into(), Value::String(name));
    claims.insert("email".into(), Value::String(email));
    if let Some(image) = session.profile.get("image").filter(|i| i.is_string()) {
        claims.insert("picture".into(), image.clone());
    }
    claims.insert("sub".into(), Value::String(session.user_id.clone()));
    for (key, value) in &session.profile {
        if !RESERVED.contains(&key.as_str()) && key != "image" {
            claims.insert(key.clone(), value.clone());
        }
    }
    claims.insert(SESSION_ID.into(), Value::String(session.id.clone()));
    let mut mock = json!({
        "c": session.contract,
        "u": session.user,
        "t": session.created_at,
        "l": session.lifetime,
        "n": instance,
    });
    if !session.profile.is_empty() {
        mock["p"] = Value::Object(session.profile.clone());
    }
    claims.insert(MOCK.into(), mock);
    claims
}

/// The session an app-written token stands for: its user from `sub`,
/// `name`, `email` and `picture`, its id stable for the same `sub`,
/// expiring `lifetime` after `now` as the next read will re-encrypt it.
pub(crate) fn stateless_session(
    keyring: &crate::credentials::Keyring,
    contract: &str,
    claims: Map<String, Value>,
    now: i64,
    exp: i64,
    lifetime: i64,
) -> Session {
    let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_owned);
    let sub = text("sub");
    let login = text("email")
        .or_else(|| text("name"))
        .or_else(|| sub.clone())
        .unwrap_or_else(|| "user".to_owned());
    let user_id = sub
        .clone()
        .unwrap_or_else(|| keyring.uuid_for("user", &login));
    let mut profile = Map::new();
    for (from, to) in [("name", "name"), ("email", "email"), ("picture", "image")] {
        if let Some(value) = claims.get(from).filter(|v| v.is_string()) {
            profile.insert(to.to_owned(), value.clone());
        }
    }
    let mut session = Session::start(
        keyring.uuid_for("stateless-session", sub.as_deref().unwrap_or(&login)),
        contract,
        &login,
        user_id,
        profile,
        now,
        lifetime,
    );
    session.expires_at = exp;
    session.stateless = Some(Arc::new(claims));
    session
}
