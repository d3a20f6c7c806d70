//! A case rendered for one target: the URL and headers, with credentials as
//! references. The same rendering feeds the request that is sent and the
//! `curl` command that reproduces it, so the two cannot drift; in the
//! command, credentials are shell variable references (`$SESSION_TOKEN`,
//! `${SESSION_TOKEN:0:5}`), never values.

use std::fmt::Write as _;

use crate::case::{CredentialCase, Malformed, Placement, RequestCase, Tamper};
use crate::secret::Secret;
use crate::shell::quote as shell_quote;
use crate::target::{Carrier, Target};

/// Which of the target's credentials a piece stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Valid,
    Revoked,
}

/// What part of the credential a piece uses (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    Whole,
    /// The first `n` characters.
    Prefix(usize),
    /// From character `n` on.
    From(usize),
}

/// A part of a header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(Vec<u8>),
    /// `n` copies of an ASCII letter (a very long token, short to print).
    Repeat(u8, usize),
    Secret(Which, Cut),
}

/// A request ready to send or to print.
#[derive(Debug, Clone)]
pub struct Wire {
    pub url: String,
    pub headers: Vec<(String, Vec<Piece>)>,
}

fn text(s: impl AsRef<[u8]>) -> Piece {
    Piece::Text(s.as_ref().to_vec())
}

impl Wire {
    /// Renders `case` for `target`. Cases that need a credential the target
    /// lacks are never generated; if one comes anyway it is sent without.
    pub fn build(case: &RequestCase, target: &Target) -> Self {
        let mut url = target.url();
        for (i, (name, value)) in case.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            let _ = write!(url, "{name}={value}");
        }
        let mut headers = vec![("accept".to_owned(), vec![text(case.accept)])];
        headers.extend(
            case.headers
                .iter()
                .map(|(name, value)| (name.clone(), vec![text(value)])),
        );
        let value = credential_value(case, target);
        match &target.carrier {
            Carrier::Bearer => bearer(case, value, &mut headers),
            Carrier::Cookie { name } => cookie(case, target, name, value, &mut headers),
        }
        Self { url, headers }
    }

    /// The header values as bytes, credentials filled in.
    pub fn header_bytes<'a>(
        &'a self,
        target: &'a Target,
    ) -> impl Iterator<Item = (&'a str, Vec<u8>)> + 'a {
        self.headers.iter().map(move |(name, pieces)| {
            let mut value = Vec::new();
            for piece in pieces {
                match piece {
                    Piece::Text(bytes) => value.extend_from_slice(bytes),
                    Piece::Repeat(byte, n) => value.extend(std::iter::repeat_n(*byte, *n)),
                    Piece::Secret(which, cut) => {
                        if let Some(secret) = secret(target, *which) {
                            value.extend_from_slice(cut_str(secret.expose(), *cut).as_bytes());
                        }
                    }
                }
            }
            (name.as_str(), value)
        })
    }

    /// A bash command that sends the same request, reading credentials from
    /// the environment.
    pub fn curl(&self, target: &Target) -> String {
        let mut preamble = String::new();
        for secret in [Which::Valid, Which::Revoked]
            .into_iter()
            .filter(|w| self.uses(*w))
            .filter_map(|w| secret(target, w))
        {
            if let Some(p) = secret.shell_preamble() {
                preamble.push_str(&p);
            }
        }
        let mut command = format!("{preamble}curl -sS -i {}", shell_quote(self.url.as_bytes()));
        for (name, pieces) in &self.headers {
            command.push_str(" -H ");
            let mut word = String::new();
            let mut pending: Vec<u8> = format!("{name}: ").into_bytes();
            for piece in pieces {
                match piece {
                    Piece::Text(bytes) => pending.extend_from_slice(bytes),
                    Piece::Repeat(byte, n) => {
                        if !pending.is_empty() {
                            word.push_str(&shell_quote(&pending));
                            pending.clear();
                        }
                        let _ = write!(word, "\"$(printf '%{n}s' | tr ' ' {})\"", *byte as char);
                    }
                    Piece::Secret(which, cut) => {
                        if !pending.is_empty() {
                            word.push_str(&shell_quote(&pending));
                            pending.clear();
                        }
                        if let Some(secret) = secret(target, *which) {
                            let var = secret.shell_name();
                            match cut {
                                Cut::Whole => {
                                    let _ = write!(word, "\"${var}\"");
                                }
                                Cut::Prefix(n) => {
                                    let _ = write!(word, "\"${{{var}:0:{n}}}\"");
                                }
                                Cut::From(n) => {
                                    let _ = write!(word, "\"${{{var}:{n}}}\"");
                                }
                            }
                        }
                    }
                }
            }
            if !pending.is_empty() {
                word.push_str(&shell_quote(&pending));
            }
            // `'name: '` followed by an empty value: curl drops a header
            // given as `name:`, and sends an empty one for `name;`.
            if pieces
                .iter()
                .all(|p| matches!(p, Piece::Text(t) if t.is_empty()))
            {
                word = shell_quote(format!("{name};").as_bytes());
            }
            command.push_str(&word);
        }
        command
    }

    fn uses(&self, which: Which) -> bool {
        self.headers
            .iter()
            .flat_map(|(_, p)| p)
            .any(|p| matches!(p, Piece::Secret(w, _) if *w == which))
    }
}

/// The credential's value pieces, or None when nothing is sent in the
/// carrier's place.
fn credential_value(case: &RequestCase, target: &Target) -> Option<Vec<Piece>> {
    let valid = target.credential.as_ref().map_or("", |s| s.expose());
    match &case.credential {
        CredentialCase::Absent => None,
        CredentialCase::Valid => Some(vec![Piece::Secret(Which::Valid, Cut::Whole)]),
        CredentialCase::Revoked => Some(vec![Piece::Secret(Which::Revoked, Cut::Whole)]),
        CredentialCase::Empty => Some(vec![]),
        CredentialCase::Tampered(t) => Some(tampered(t, valid)),
        CredentialCase::Malformed(m) => match m {
            Malformed::Random(t) => Some(vec![text(t)]),
            Malformed::VeryLong(n) => Some(vec![Piece::Repeat(b'A', *n)]),
            Malformed::NonAscii(bytes) => Some(vec![text(bytes)]),
            Malformed::SchemeOnly | Malformed::WrongScheme(_) | Malformed::Duplicated(..) => None,
        },
    }
}

/// The `Authorization` headers of a case on a bearer target.
fn bearer(case: &RequestCase, value: Option<Vec<Piece>>, headers: &mut Vec<(String, Vec<Piece>)>) {
    let auth = |pieces: Vec<Piece>| ("authorization".to_owned(), pieces);
    match &case.credential {
        CredentialCase::Empty => headers.push(auth(vec![])),
        CredentialCase::Malformed(Malformed::SchemeOnly) => {
            headers.push(auth(vec![text("Bearer")]));
        }
        CredentialCase::Malformed(Malformed::WrongScheme(scheme)) => {
            headers.push(auth(vec![
                text(format!("{scheme} ")),
                Piece::Secret(Which::Valid, Cut::Whole),
            ]));
        }
        CredentialCase::Malformed(Malformed::Duplicated(a, b)) => {
            headers.push(auth(vec![text(format!("Bearer {a}"))]));
            headers.push(auth(vec![text(format!("Bearer {b}"))]));
        }
        _ => {
            if let Some(mut pieces) = value {
                pieces.insert(0, text("Bearer "));
                headers.push(auth(pieces));
            }
        }
    }
}

/// The `Cookie` header (or the stray `Authorization`) of a case on a
/// cookie target.
fn cookie(
    case: &RequestCase,
    target: &Target,
    name: &str,
    value: Option<Vec<Piece>>,
    headers: &mut Vec<(String, Vec<Piece>)>,
) {
    let mut cookie: Vec<Piece> = Vec::new();
    if let Placement::AmongCookies(others) = &case.placement {
        for (k, v) in others {
            cookie.push(text(format!("{k}={v}; ")));
        }
    }
    let name = match case.placement {
        Placement::WrongCookieName(i) => {
            let wrong = target.wrong_cookie_names();
            wrong[i as usize % wrong.len()].clone()
        }
        _ => name.to_owned(),
    };
    let mut sends_cookie = true;
    match &case.credential {
        CredentialCase::Malformed(Malformed::SchemeOnly) => cookie.push(text(&name)),
        CredentialCase::Malformed(Malformed::WrongScheme(_)) => {
            // The session cookie's value as a bearer token: a
            // cookie-authenticated route must ignore it.
            headers.push((
                "authorization".to_owned(),
                vec![text("Bearer "), Piece::Secret(Which::Valid, Cut::Whole)],
            ));
            sends_cookie = false;
        }
        CredentialCase::Malformed(Malformed::Duplicated(a, b)) => {
            cookie.push(text(format!("{name}={a}; {name}={b}")));
        }
        _ => match value {
            Some(pieces) => {
                cookie.push(text(format!("{name}=")));
                cookie.extend(pieces);
            }
            None => sends_cookie = false,
        },
    }
    if sends_cookie || !cookie.is_empty() {
        if !sends_cookie {
            // Only the unrelated cookies: drop the last separator.
            if let Some(Piece::Text(last)) = cookie.last_mut() {
                last.truncate(last.len().saturating_sub(2));
            }
        }
        headers.push(("cookie".to_owned(), cookie));
    }
}

fn secret(target: &Target, which: Which) -> Option<&Secret> {
    match which {
        Which::Valid => target.credential.as_ref(),
        Which::Revoked => target.revoked.as_ref(),
    }
}

/// The pieces of a tampered credential. Positions are taken modulo the
/// credential's length, so a case means the same on any target.
fn tampered(tamper: &Tamper, credential: &str) -> Vec<Piece> {
    let valid = |cut| Piece::Secret(Which::Valid, cut);
    let len = credential.chars().count();
    match tamper {
        Tamper::Flip { at, with } if len > 0 => {
            let at = *at as usize % len;
            let original = credential.chars().nth(at);
            let with = match (*with, original) {
                (w, Some(o)) if w != o => w,
                (_, Some('A')) => 'B',
                _ => 'A',
            };
            vec![
                valid(Cut::Prefix(at)),
                text(with.to_string()),
                valid(Cut::From(at + 1)),
            ]
        }
        Tamper::Truncate { keep } if len > 1 => {
            vec![valid(Cut::Prefix(1 + *keep as usize % (len - 1)))]
        }
        Tamper::Extend(suffix) => vec![valid(Cut::Whole), text(suffix)],
        _ => vec![text("x")],
    }
}

fn cut_str(value: &str, cut: Cut) -> &str {
    let byte_at = |n: usize| value.char_indices().nth(n).map_or(value.len(), |(i, _)| i);
    match cut {
        Cut::Whole => value,
        Cut::Prefix(n) => &value[..byte_at(n)],
        Cut::From(n) => &value[byte_at(n)..],
    }
}
