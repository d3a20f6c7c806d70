//! The request space: what a case varies, the proptest strategy over it, and
//! the outcome the contract promises for each case (the oracle).
//!
//! A case is data (`RequestCase`), rendered to a request by `wire.rs`. It
//! never holds a credential, only which credential and how it was altered,
//! so a case can be printed, shrunk and turned into a reproduction freely.

use std::fmt;

use proptest::prelude::*;
use session_schemas::{Outcome, authjs};

use crate::target::{Carrier, Target};

/// Which credential a case sends, and in what state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialCase {
    /// No credential at all.
    Absent,
    /// The valid credential, untouched.
    Valid,
    /// The carrier with an empty value (`Authorization:` / `name=`).
    Empty,
    Malformed(Malformed),
    /// The valid credential, altered.
    Tampered(Tamper),
    /// The revoked credential.
    Revoked,
}

/// Garbage in the credential's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// The scheme alone (`Bearer`), or for cookies the name without `=`.
    SchemeOnly,
    /// The valid credential under another scheme (`Basic <token>`); for
    /// cookie contracts, sent as a bearer token instead of a cookie.
    WrongScheme(&'static str),
    /// A random token-shaped string.
    Random(String),
    /// Bytes outside ASCII.
    NonAscii(Vec<u8>),
    /// A very long token: this many `A`s.
    VeryLong(usize),
    /// The carrier twice, both garbage.
    Duplicated(String, String),
}

/// How the valid credential was altered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tamper {
    /// The character at this position (modulo the length) replaced by another.
    Flip { at: u32, with: char },
    /// Cut short to `keep` (modulo the length) characters, at least one kept.
    Truncate { keep: u32 },
    /// Characters appended.
    Extend(String),
}

/// Where a cookie credential travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// The carrier's usual place, alone.
    Alone,
    /// A cookie among unrelated cookies (they come first).
    AmongCookies(Vec<(String, String)>),
    /// A cookie under a name the endpoint must ignore.
    WrongCookieName(u32),
}

/// One generated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCase {
    pub credential: CredentialCase,
    pub placement: Placement,
    pub accept: &'static str,
    /// Unrelated headers.
    pub headers: Vec<(String, String)>,
    /// Unrelated query parameters.
    pub query: Vec<(String, String)>,
}

/// `Accept` values real clients send; the first is reqwest's and curl's default.
pub const ACCEPTS: [&str; 5] = [
    "*/*",
    "application/json",
    "application/json, text/plain, */*",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/json;q=0.9, */*;q=0.1",
];

/// The schemes a wrong-scheme case uses.
const WRONG_SCHEMES: [&str; 3] = ["Basic", "Digest", "Token"];

/// What the request space may contain for one target.
#[derive(Debug, Clone)]
pub struct CaseSpace {
    pub cookies: bool,
    pub has_valid: bool,
    pub has_revoked: bool,
}

impl CaseSpace {
    pub fn of(target: &Target) -> Self {
        Self {
            cookies: matches!(target.carrier, Carrier::Cookie { .. }),
            has_valid: target.credential.is_some(),
            has_revoked: target.revoked.is_some(),
        }
    }
}

impl RequestCase {
    /// The plain request with the valid credential, used for the preflight.
    pub fn plain(credential: CredentialCase) -> Self {
        Self {
            credential,
            placement: Placement::Alone,
            accept: ACCEPTS[0],
            headers: Vec::new(),
            query: Vec::new(),
        }
    }

    /// The outcome class the contract promises for this case.
    pub fn expected(&self) -> Outcome {
        if matches!(self.placement, Placement::WrongCookieName(_)) {
            return Outcome::Unauthenticated;
        }
        match self.credential {
            CredentialCase::Valid => Outcome::Authenticated,
            CredentialCase::Revoked => Outcome::Revoked,
            _ => Outcome::Unauthenticated,
        }
    }

    /// Whether the client sent garbage: a 5xx is never a fair answer to it.
    pub fn is_client_garbage(&self) -> bool {
        self.expected() != Outcome::Authenticated
    }

    /// Garbage tokens this case sends (not secrets): a body that echoes one
    /// reflects its input.
    pub fn garbage_tokens(&self) -> Vec<&str> {
        match &self.credential {
            CredentialCase::Malformed(Malformed::Random(t)) => vec![t],
            CredentialCase::Malformed(Malformed::Duplicated(a, b)) => vec![a, b],
            _ => Vec::new(),
        }
    }

    /// Whether a cross-response check may compare this case's answers: the
    /// valid credential in its usual place.
    pub fn is_valid_credential(&self) -> bool {
        self.expected() == Outcome::Authenticated
    }
}

impl fmt::Display for RequestCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.credential {
            CredentialCase::Absent => f.write_str("no credential")?,
            CredentialCase::Valid => f.write_str("the valid credential")?,
            CredentialCase::Empty => f.write_str("an empty credential")?,
            CredentialCase::Revoked => f.write_str("the revoked credential")?,
            CredentialCase::Malformed(m) => match m {
                Malformed::SchemeOnly => f.write_str("the scheme with no credential")?,
                Malformed::WrongScheme(s) => {
                    write!(f, "the valid credential under the wrong scheme ({s})")?;
                }
                Malformed::Random(t) => write!(f, "a random token ({} chars)", t.len())?,
                Malformed::NonAscii(b) => write!(f, "a token of {} non-ASCII bytes", b.len())?,
                Malformed::VeryLong(n) => write!(f, "a very long token ({n} chars)")?,
                Malformed::Duplicated(..) => f.write_str("two garbage credentials")?,
            },
            CredentialCase::Tampered(t) => match t {
                Tamper::Flip { .. } => {
                    f.write_str("the valid credential with one character changed")?
                }
                Tamper::Truncate { .. } => f.write_str("the valid credential cut short")?,
                Tamper::Extend(s) => {
                    write!(
                        f,
                        "the valid credential with {} characters appended",
                        s.len()
                    )?;
                }
            },
        }
        match &self.placement {
            Placement::Alone => {}
            Placement::AmongCookies(c) => write!(f, ", among {} other cookies", c.len())?,
            Placement::WrongCookieName(_) => f.write_str(", under a wrong cookie name")?,
        }
        if self.accept != ACCEPTS[0] {
            write!(f, ", Accept: {}", self.accept)?;
        }
        if !self.headers.is_empty() {
            write!(f, ", {} unrelated headers", self.headers.len())?;
        }
        if !self.query.is_empty() {
            write!(f, ", {} query parameters", self.query.len())?;
        }
        Ok(())
    }
}

/// The proptest strategy over the request space. Alternatives are listed
/// simplest first: proptest shrinks toward earlier alternatives, shorter
/// collections and `Alone`. Random contents (garbage tokens, header values)
/// do not shrink: each shrinking step costs a request, and "a random token
/// one character shorter" teaches nothing.
pub fn strategy(space: &CaseSpace) -> SBoxedStrategy<RequestCase> {
    let placement = if space.cookies {
        prop_oneof![
            6 => Just(Placement::Alone),
            3 => prop::collection::vec(unrelated_cookie().no_shrink(), 1..4)
                .prop_map(Placement::AmongCookies),
            1 => any::<u32>().prop_map(Placement::WrongCookieName),
        ]
        .sboxed()
    } else {
        Just(Placement::Alone).sboxed()
    };
    (
        credential(space),
        placement,
        prop::sample::select(&ACCEPTS[..]),
        prop::collection::vec(unrelated_header().no_shrink(), 0..4),
        prop::collection::vec(
            (chars(LOWER, 1..=8), chars(ALNUM, 0..=12)).no_shrink(),
            0..3,
        ),
    )
        .prop_map(|(credential, placement, accept, headers, query)| {
            // A wrong cookie name only means something for a real credential.
            let placement = match (&credential, placement) {
                (
                    CredentialCase::Valid | CredentialCase::Revoked,
                    p @ Placement::WrongCookieName(_),
                ) => p,
                (_, Placement::WrongCookieName(_)) => Placement::Alone,
                (_, p) => p,
            };
            RequestCase {
                credential,
                placement,
                accept,
                headers,
                query,
            }
        })
        .sboxed()
}

fn credential(space: &CaseSpace) -> SBoxedStrategy<CredentialCase> {
    // Shrinking moves one alternative down at a time and stops at the first
    // that passes, so the order is a chain from garbage to nothing: a bypass
    // found with a tampered token shrinks through malformed and empty to
    // absent for as long as each still gets in. The valid credential comes
    // last: nothing shrinks into it, and its own failures keep it.
    let mut options: Vec<(u32, SBoxedStrategy<CredentialCase>)> = vec![
        (10, Just(CredentialCase::Absent).sboxed()),
        (5, Just(CredentialCase::Empty).sboxed()),
        (
            25,
            malformed(space.has_valid)
                .prop_map(CredentialCase::Malformed)
                .sboxed(),
        ),
    ];
    if space.has_valid {
        options.push((20, tamper().prop_map(CredentialCase::Tampered).sboxed()));
    }
    if space.has_revoked {
        options.push((10, Just(CredentialCase::Revoked).sboxed()));
    }
    if space.has_valid {
        options.push((30, Just(CredentialCase::Valid).sboxed()));
    }
    proptest::strategy::Union::new_weighted(options).sboxed()
}

/// A string of `length` characters drawn from `set`. Two value trees (the
/// length and a seed) instead of one per character, as a regex strategy
/// would make: the cases' random contents never shrink, and drawing them was
/// a large part of the runner's time. (A bare `&str` pattern is worse still:
/// proptest parses it again for every value.)
fn chars(
    set: &'static [u8],
    length: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = String> + Clone {
    (length, any::<u64>()).prop_map(move |(n, seed)| {
        let mut x = seed;
        (0..n)
            .map(|_| {
                // SplitMix64: a fresh 64 bits per character.
                x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                char::from(set[(z % set.len() as u64) as usize])
            })
            .collect()
    })
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// The characters of bearer tokens and cookie values.
const TOKEN: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/-";
const HEADER_VALUE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-";
const USER_AGENT: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./ ()-";
const HEX: &[u8] = b"0123456789abcdef";
const COOKIE_VALUE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%._-";

fn malformed(has_valid: bool) -> SBoxedStrategy<Malformed> {
    let mut options: Vec<(u32, SBoxedStrategy<Malformed>)> = vec![
        (2, Just(Malformed::SchemeOnly).sboxed()),
        (
            4,
            // Token-shaped garbage.
            chars(TOKEN, 1..=64)
                .no_shrink()
                .prop_map(Malformed::Random)
                .sboxed(),
        ),
        (
            2,
            prop::collection::vec(0x80u8..=0xff, 1..24)
                .no_shrink()
                .prop_map(Malformed::NonAscii)
                .sboxed(),
        ),
        (
            1,
            // Long, but under common header limits (8 KiB a line): a 431
            // here would be the server's framing, not its contract.
            (1024usize..4000)
                .no_shrink()
                .prop_map(Malformed::VeryLong)
                .sboxed(),
        ),
        (
            2,
            (chars(TOKEN, 1..=32), chars(TOKEN, 1..=32))
                .no_shrink()
                .prop_map(|(a, b)| Malformed::Duplicated(a, b))
                .sboxed(),
        ),
    ];
    if has_valid {
        options.push((
            2,
            prop::sample::select(&WRONG_SCHEMES[..])
                .prop_map(Malformed::WrongScheme)
                .sboxed(),
        ));
    }
    proptest::strategy::Union::new_weighted(options).sboxed()
}

fn tamper() -> SBoxedStrategy<Tamper> {
    prop_oneof![
        (any::<u32>(), chars(ALNUM, 1..=1))
            .no_shrink()
            .prop_map(|(at, with)| Tamper::Flip {
                at,
                with: with.chars().next().unwrap_or('x'),
            }),
        any::<u32>()
            .no_shrink()
            .prop_map(|keep| Tamper::Truncate { keep }),
        chars(ALNUM, 1..=8).no_shrink().prop_map(Tamper::Extend),
    ]
    .sboxed()
}

fn unrelated_header() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (
            chars(LOWER, 1..=10).prop_map(|name| format!("x-{name}")),
            chars(HEADER_VALUE, 0..=24)
        ),
        (Just("user-agent".to_owned()), chars(USER_AGENT, 1..=40)),
        (Just("x-request-id".to_owned()), chars(HEX, 32..=32)),
        (
            Just("x-forwarded-for".to_owned()),
            (prop::sample::select(&[10u8, 192][..]), any::<[u8; 3]>())
                .prop_map(|(a, [b, c, d])| format!("{a}.{b}.{c}.{d}"))
        ),
        (
            Just("accept-language".to_owned()),
            prop::sample::select(vec!["en-US,en;q=0.9", "fr-FR", "*"]).prop_map(str::to_owned)
        ),
    ]
}

fn unrelated_cookie() -> impl Strategy<Value = (String, String)> {
    (
        prop::sample::select(vec![
            "theme",
            "_ga",
            "locale",
            "csrftoken",
            // The Auth.js flow's own cookies sit beside the session cookie.
            authjs::cookie::CSRF_TOKEN,
            authjs::cookie::CALLBACK_URL,
        ])
        .prop_map(str::to_owned),
        chars(COOKIE_VALUE, 1..=24),
    )
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};

    use super::*;

    fn cases(space: &CaseSpace, n: usize, seed: u8) -> Vec<RequestCase> {
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[seed; 32]),
        );
        let strategy = strategy(space);
        (0..n)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    #[test]
    fn drawn_strings_keep_to_their_characters_and_lengths() {
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[3; 32]),
        );
        let strategy = chars(HEX, 2..=5);
        let drawn: Vec<String> = (0..500)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect();
        assert!(
            drawn
                .iter()
                .all(|s| (2..=5).contains(&s.len()) && s.bytes().all(|b| HEX.contains(&b)))
        );
        // Every length and every character comes up.
        for n in 2..=5 {
            assert!(drawn.iter().any(|s| s.len() == n), "length {n}");
        }
        for c in HEX {
            assert!(
                drawn.iter().any(|s| s.as_bytes().contains(c)),
                "{}",
                char::from(*c)
            );
        }
    }

    #[test]
    fn same_seed_same_cases() {
        let space = CaseSpace {
            cookies: true,
            has_valid: true,
            has_revoked: true,
        };
        assert_eq!(cases(&space, 64, 7), cases(&space, 64, 7));
        assert_ne!(cases(&space, 64, 7), cases(&space, 64, 8));
    }

    #[test]
    fn the_space_covers_every_credential_state() {
        let space = CaseSpace {
            cookies: true,
            has_valid: true,
            has_revoked: true,
        };
        let all = cases(&space, 512, 1);
        let has = |p: fn(&RequestCase) -> bool| all.iter().any(p);
        assert!(has(|c| c.credential == CredentialCase::Valid));
        assert!(has(|c| c.credential == CredentialCase::Absent));
        assert!(has(|c| c.credential == CredentialCase::Revoked));
        assert!(has(|c| matches!(c.credential, CredentialCase::Tampered(_))));
        assert!(has(|c| matches!(
            c.credential,
            CredentialCase::Malformed(Malformed::NonAscii(_))
        )));
        assert!(has(|c| matches!(
            c.placement,
            Placement::WrongCookieName(_)
        )));
        assert!(has(|c| matches!(c.placement, Placement::AmongCookies(_))));
        assert!(has(|c| !c.query.is_empty()));
    }

    #[test]
    fn without_credentials_only_unauthenticated_cases() {
        let space = CaseSpace {
            cookies: false,
            has_valid: false,
            has_revoked: false,
        };
        for case in cases(&space, 256, 3) {
            assert_eq!(case.expected(), Outcome::Unauthenticated, "{case}");
        }
    }

    #[test]
    fn the_oracle_follows_the_credential() {
        let mut case = RequestCase::plain(CredentialCase::Valid);
        assert_eq!(case.expected(), Outcome::Authenticated);
        case.placement = Placement::WrongCookieName(0);
        assert_eq!(case.expected(), Outcome::Unauthenticated);
        assert_eq!(
            RequestCase::plain(CredentialCase::Revoked).expected(),
            Outcome::Revoked
        );
        assert_eq!(
            RequestCase::plain(CredentialCase::Tampered(Tamper::Extend("a".into()))).expected(),
            Outcome::Unauthenticated
        );
    }
}
