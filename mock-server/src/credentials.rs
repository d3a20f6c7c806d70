//! Credentials in auth-aware mode: where they are found, whether they are
//! valid, and the stable identity a valid one maps to.
//!
//! Tokens the mock issues are `smk1.<label>.<signature>`, the signature an
//! HMAC-SHA256 of the label under the signing key; a tampered, truncated or
//! extended copy fails verification as it would on a real server. Nothing
//! here ever logs or returns a credential: only a keyed fingerprint.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use hmac::{Hmac, Mac};
use session_schemas::{Auth, Outcome};
use sha2::Sha256;

use crate::memo::Memo;
use crate::settings::AuthMode;

type HmacSha256 = Hmac<Sha256>;

const ISSUED_PREFIX: &str = "smk1.";
const SIGNATURE_HEX: usize = 32;

/// What the request carries, as the contract's carrier sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Absent,
    /// Something is there but it is not a credential (no token after `Bearer`,
    /// another scheme, two Authorization headers, bytes that are not text...).
    Malformed(&'static str),
    Present(String),
}

/// Finds the credential the contract's carrier would read.
pub(crate) fn extract(auth: &Auth, headers: &HeaderMap) -> Credential {
    match auth {
        Auth::Bearer => {
            let mut values = headers.get_all(AUTHORIZATION).iter();
            let Some(value) = values.next() else {
                return Credential::Absent;
            };
            if values.next().is_some() {
                return Credential::Malformed("several Authorization headers");
            }
            // One pass over the bytes: visible ASCII (as `to_str` checks) and
            // where the whitespace is.
            let bytes = value.as_bytes();
            if bytes.iter().any(|&b| (b < 0x20 && b != b'\t') || b >= 0x7f) {
                return Credential::Malformed("Authorization is not visible ASCII");
            }
            let Some(space) = bytes.iter().position(|&b| b == b' ') else {
                return Credential::Malformed("no token after the scheme");
            };
            let (scheme, token) = (&bytes[..space], bytes[space + 1..].trim_ascii());
            if !scheme.eq_ignore_ascii_case(b"bearer") {
                Credential::Malformed("not a Bearer credential")
            } else if token.is_empty() || token.iter().any(u8::is_ascii_whitespace) {
                Credential::Malformed("not a single bearer token")
            } else {
                // Visible ASCII is UTF-8.
                Credential::Present(String::from_utf8_lossy(token).into_owned())
            }
        }
        Auth::Cookie { names } => {
            if !crate::http::cookie_headers_are_text(headers) {
                return Credential::Malformed("Cookie is not visible ASCII");
            }
            // Auth.js splits a session cookie over 4 KB into `NAME.0`, `NAME.1`...
            let mut chunks: Vec<(usize, &str)> = Vec::new();
            for (name, value) in crate::http::cookie_pairs(headers) {
                let value = value.trim_matches('"');
                if names.iter().any(|n| n == name) {
                    return if value.is_empty() {
                        Credential::Malformed("empty session cookie")
                    } else {
                        Credential::Present(value.to_owned())
                    };
                }
                if let Some((base, index)) = name.rsplit_once('.')
                    && names.iter().any(|n| n == base)
                    && let Ok(index) = index.parse::<usize>()
                {
                    chunks.push((index, value));
                }
            }
            if chunks.is_empty() {
                return Credential::Absent;
            }
            chunks.sort_unstable_by_key(|(index, _)| *index);
            let joined: String = chunks.iter().map(|(_, value)| *value).collect();
            if joined.is_empty() {
                Credential::Malformed("empty session cookie")
            } else {
                Credential::Present(joined)
            }
        }
    }
}

/// The stable identity of a valid credential: the same credential, the same ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity(pub [u8; 32]);

/// Who the mock lets in.
#[derive(Clone)]
pub struct Keyring {
    /// The HMAC with the key already absorbed: cloned per use, so the key
    /// schedule is not redone on every request.
    keyed: HmacSha256,
    mode: AuthMode,
    tokens: Vec<String>,
    cookies: Vec<String>,
    revoked: Vec<String>,
    /// Verdicts on valid and revoked credentials already seen, so that a
    /// load test with one credential verifies it once, not once a request.
    /// One memo per carrier: a token valid as a bearer is not thereby a
    /// valid cookie.
    verdicts: Arc<[Memo<String, Verdict>; 2]>,
    /// The key of the fingerprints: SipHash with a key drawn at start, so a
    /// fingerprint follows one credential through a run's journal and logs
    /// and says nothing about it. (Cheaper than the HMAC per request it
    /// replaced, and with nothing to remember per credential.)
    fingerprints: std::collections::hash_map::RandomState,
}

/// What the journal and the logs show for a credential: never the
/// credential. `none`, `malformed (why)`, or `fp:` and 8 hex digits of a
/// keyed hash, so the same credential can be followed across the requests
/// of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fingerprint {
    Absent,
    Malformed(&'static str),
    Keyed([u8; 4]),
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Absent => f.write_str("none"),
            Self::Malformed(why) => write!(f, "malformed ({why})"),
            Self::Keyed(short) => write!(f, "fp:{}", hex(short)),
        }
    }
}

/// Shows the mode and counts only: a keyring holds secrets.
impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("mode", &self.mode)
            .field("tokens", &self.tokens.len())
            .field("cookies", &self.cookies.len())
            .field("revoked", &self.revoked.len())
            .finish_non_exhaustive()
    }
}

/// What a credential is judged to be.
type Verdict = (Outcome, Option<Identity>);

/// Credentials whose verdict is remembered at once.
const VERDICT_CACHE: usize = 4096;

impl Keyring {
    pub fn new(
        key: &str,
        mode: AuthMode,
        tokens: Vec<String>,
        cookies: Vec<String>,
        revoked: Vec<String>,
    ) -> Self {
        Self {
            keyed: HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes any key length"),
            mode,
            tokens,
            cookies,
            revoked,
            verdicts: Arc::new([Memo::new(VERDICT_CACHE), Memo::new(VERDICT_CACHE)]),
            fingerprints: std::collections::hash_map::RandomState::new(),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        for part in parts {
            mac.update(part);
            mac.update(&[0]);
        }
        mac.finalize().into_bytes().into()
    }

    /// A token this mock accepts in `known` mode, for `label` (e.g. a user name).
    pub fn issue(&self, label: &str) -> String {
        let signature = self.seal("issue", label.as_bytes());
        format!("{ISSUED_PREFIX}{label}.{signature}")
    }

    fn is_issued(&self, credential: &str) -> bool {
        let Some(rest) = credential.strip_prefix(ISSUED_PREFIX) else {
            return false;
        };
        let Some((label, signature)) = rest.rsplit_once('.') else {
            return false;
        };
        self.verify_seal("issue", label.as_bytes(), signature)
    }

    /// The outcome class for a request's credential.
    pub fn judge(&self, auth: &Auth, credential: &Credential) -> (Outcome, Option<Identity>) {
        let Credential::Present(value) = credential else {
            return (Outcome::Unauthenticated, None);
        };
        let memo = &self.verdicts[usize::from(matches!(auth, Auth::Cookie { .. }))];
        if let Some(verdict) = memo.get(value.as_str()) {
            return verdict;
        }
        let verdict = self.verify(auth, value);
        // Only credentials that get in (or are revoked), and short ones:
        // garbage from a fuzzer must not fill memory.
        if verdict.0 == Outcome::Unauthenticated || value.len() > 512 {
            return verdict;
        }
        memo.insert(value.clone(), verdict);
        verdict
    }

    fn verify(&self, auth: &Auth, value: &str) -> (Outcome, Option<Identity>) {
        if self.revoked.iter().any(|r| r == value) {
            return (Outcome::Revoked, None);
        }
        let configured = match auth {
            Auth::Bearer => &self.tokens,
            Auth::Cookie { .. } => &self.cookies,
        };
        let valid = match self.mode {
            AuthMode::Any => true,
            AuthMode::Known | AuthMode::Off => {
                configured.iter().any(|c| c == value) || self.is_issued(value)
            }
        };
        if valid {
            (
                Outcome::Authenticated,
                Some(Identity(self.mac(&[b"identity", value.as_bytes()]))),
            )
        } else {
            (Outcome::Unauthenticated, None)
        }
    }

    /// A keyed signature of `payload` for `purpose`, as hex.
    pub fn seal(&self, purpose: &str, payload: &[u8]) -> String {
        hex(&self.mac(&[purpose.as_bytes(), payload])[..SIGNATURE_HEX / 2])
    }

    /// Whether `signature` is `seal(purpose, payload)`, compared in constant time.
    pub fn verify_seal(&self, purpose: &str, payload: &[u8], signature: &str) -> bool {
        same_secret(signature, &self.seal(purpose, payload))
    }

    /// A full keyed digest (64 hex), e.g. the hash half of an Auth.js CSRF cookie.
    pub fn digest(&self, purpose: &str, payload: &[u8]) -> String {
        hex(&self.mac(&[purpose.as_bytes(), payload]))
    }

    /// A stable UUID for `parts` under this key (e.g. a user's id from the login).
    pub fn uuid_for(&self, purpose: &str, value: &str) -> String {
        let digest = self.mac(&[purpose.as_bytes(), value.as_bytes()]);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        session_schemas::uuid_v4(bytes)
    }

    /// A keyed, truncated hash to tell credentials apart in the journal
    /// without revealing them.
    pub fn fingerprint(&self, credential: &Credential) -> Fingerprint {
        use std::hash::BuildHasher;
        match credential {
            Credential::Absent => Fingerprint::Absent,
            Credential::Malformed(why) => Fingerprint::Malformed(why),
            Credential::Present(value) => {
                let hash = self.fingerprints.hash_one(value.as_bytes());
                let mut short = [0; 4];
                short.copy_from_slice(&hash.to_le_bytes()[..4]);
                Fingerprint::Keyed(short)
            }
        }
    }

    /// A UUID derived from an identity and the UUID it replaces.
    /// An identity's own value in place of `original`, in its shape: a
    /// prefix up to the last `_` kept (`usr_`), then each digit, lower- and
    /// upper-case letter replaced by one of its kind; other characters kept.
    /// So a schema's length, pattern and prefix rules still hold.
    pub fn derive_like(&self, identity: &Identity, original: &str) -> String {
        let digest = self.mac(&[b"like", &identity.0, original.as_bytes()]);
        let keep = original.rfind('_').map_or(0, |i| i + 1);
        let mut out = String::with_capacity(original.len());
        for (i, c) in original.char_indices() {
            let byte = digest[i % digest.len()] ^ (i / digest.len()) as u8;
            out.push(match c {
                _ if i < keep => c,
                '0'..='9' => char::from(b'0' + byte % 10),
                'a'..='z' => char::from(b'a' + byte % 26),
                'A'..='Z' => char::from(b'A' + byte % 26),
                other => other,
            });
        }
        out
    }

    pub fn derive_uuid(&self, identity: &Identity, original: &str) -> String {
        let digest = self.mac(&[b"uuid", &identity.0, original.as_bytes()]);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        session_schemas::uuid_v4(bytes)
    }
}

/// Compares two secrets in constant time: a mock, but it teaches the right habit.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// The same for bytes (a MAC tag).
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        map
    }

    #[test]
    fn bearer_extraction_tells_absent_malformed_and_present_apart() {
        let auth = Auth::Bearer;
        assert_eq!(extract(&auth, &headers(&[])), Credential::Absent);
        assert_eq!(
            extract(&auth, &headers(&[("authorization", "Bearer abc")])),
            Credential::Present("abc".into())
        );
        assert_eq!(
            extract(&auth, &headers(&[("authorization", "bearer abc")])),
            Credential::Present("abc".into())
        );
        assert!(matches!(
            extract(&auth, &headers(&[("authorization", "Bearer")])),
            Credential::Malformed(_)
        ));
        assert!(matches!(
            extract(&auth, &headers(&[("authorization", "Bearer ")])),
            Credential::Malformed(_)
        ));
        assert!(matches!(
            extract(&auth, &headers(&[("authorization", "Basic YTpi")])),
            Credential::Malformed(_)
        ));
        assert!(matches!(
            extract(
                &auth,
                &headers(&[("authorization", "Bearer a"), ("authorization", "Bearer b")])
            ),
            Credential::Malformed(_)
        ));
    }

    #[test]
    fn cookie_extraction_finds_the_session_cookie_among_others() {
        let auth = Auth::Cookie {
            names: vec![
                "authjs.session-token".into(),
                "next-auth.session-token".into(),
            ],
        };
        assert_eq!(
            extract(
                &auth,
                &headers(&[("cookie", "theme=dark; authjs.session-token=v1; x=y")])
            ),
            Credential::Present("v1".into())
        );
        assert_eq!(
            extract(&auth, &headers(&[("cookie", "next-auth.session-token=v4")])),
            Credential::Present("v4".into())
        );
        assert_eq!(
            extract(&auth, &headers(&[("cookie", "session-token=v1")])),
            Credential::Absent
        );
        assert_eq!(
            extract(
                &auth,
                &headers(&[(
                    "cookie",
                    "authjs.session-token.1=def; a=b; authjs.session-token.0=abc"
                )])
            ),
            Credential::Present("abcdef".into()),
            "chunks joined in order"
        );
        assert!(matches!(
            extract(&auth, &headers(&[("cookie", "authjs.session-token=")])),
            Credential::Malformed(_)
        ));
    }

    #[test]
    fn issued_tokens_verify_and_any_alteration_fails() {
        let keyring = Keyring::new("a-long-enough-key", AuthMode::Known, vec![], vec![], vec![]);
        let token = keyring.issue("dev");
        let judge = |t: &str| {
            keyring
                .judge(&Auth::Bearer, &Credential::Present(t.to_owned()))
                .0
        };
        assert_eq!(judge(&token), Outcome::Authenticated);
        let mut flipped = token.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            judge(&String::from_utf8(flipped).expect("ascii")),
            Outcome::Unauthenticated
        );
        assert_eq!(judge(&token[..token.len() - 1]), Outcome::Unauthenticated);
        assert_eq!(judge(&format!("{token}0")), Outcome::Unauthenticated);
        assert_eq!(
            judge(&token.replace(".dev.", ".admin.")),
            Outcome::Unauthenticated
        );
        let other_key = Keyring::new("another-long-key", AuthMode::Known, vec![], vec![], vec![]);
        assert_eq!(
            other_key
                .judge(&Auth::Bearer, &Credential::Present(token))
                .0,
            Outcome::Unauthenticated
        );
    }

    #[test]
    fn remembered_verdicts_stay_per_carrier_and_the_keyring_never_shows_secrets() {
        let keyring = Keyring::new(
            "a-long-enough-key",
            AuthMode::Known,
            vec!["configured-token-1".into()],
            vec![],
            vec![],
        );
        let present = Credential::Present("configured-token-1".into());
        let cookie = Auth::Cookie {
            names: vec!["authjs.session-token".into()],
        };
        for _ in 0..2 {
            assert_eq!(
                keyring.judge(&Auth::Bearer, &present).0,
                Outcome::Authenticated
            );
            // Configured as a token only: the cached bearer verdict must not leak to cookies.
            assert_eq!(keyring.judge(&cookie, &present).0, Outcome::Unauthenticated);
        }
        let shown = format!("{keyring:?}");
        assert!(!shown.contains("configured-token-1"), "{shown}");
        assert!(!shown.contains("a-long-enough-key"), "{shown}");
    }

    #[test]
    fn identities_are_stable_per_credential_and_distinct_across_them() {
        let keyring = Keyring::new(
            "a-long-enough-key",
            AuthMode::Any,
            vec![],
            vec![],
            vec!["gone".into()],
        );
        let id = |t: &str| {
            keyring
                .judge(&Auth::Bearer, &Credential::Present(t.to_owned()))
                .1
        };
        assert_eq!(id("one"), id("one"));
        assert_ne!(id("one"), id("two"));
        assert_eq!(
            keyring
                .judge(&Auth::Bearer, &Credential::Present("gone".into()))
                .0,
            Outcome::Revoked
        );
        let a = keyring.derive_uuid(
            &id("one").expect("valid"),
            "123e4567-e89b-12d3-a456-426614174000",
        );
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        let shown = |value: &str| {
            keyring
                .fingerprint(&Credential::Present(value.into()))
                .to_string()
        };
        let first = shown("secret-value");
        assert!(!first.contains("secret"), "{first}");
        assert!(first.starts_with("fp:") && first.len() == 11, "{first}");
        // Remembered or computed, the same credential shows the same.
        assert_eq!(shown("secret-value"), first);
        assert_ne!(shown("secret-value2"), first);
        assert_eq!(keyring.fingerprint(&Credential::Absent).to_string(), "none");
    }
}
