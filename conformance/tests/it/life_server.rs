//! A backend with a session's whole life, built on wiremock-rs: sign-in,
//! session reads, sign-out, an expired credential. For authjs it speaks
//! Auth.js's protocol (CSRF double-submit cookie, `callback/credentials`,
//! `signout`, `X-Auth-Return-Redirect`, session cookies chunked as `.0`,
//! `.1` when long); for session-api it has two plain routes a sign-in and a
//! sign-out command can call. Correct by default, with one planted defect
//! at a time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

use crate::backend::Api;

pub(crate) const USER: &str = "ada";
pub(crate) const PASSWORD: &str = "correct horse battery";
/// A credential the server issued once and considers expired.
pub(crate) const EXPIRED: &str = "sess-expired-7f3a9c2b1d4e5f60";
const COOKIE: &str = "authjs.session-token";
const CSRF_COOKIE: &str = "authjs.csrf-token";
/// Auth.js splits a cookie value longer than this into chunks.
const CHUNK: usize = 3_900;

/// What the server gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Defect {
    None,
    /// Sign-out clears the cookie but the credential stays valid (JWT style).
    SignOutForgetsNothing,
    /// Sign-in and sign-out work without the CSRF token.
    CsrfNotChecked,
    /// Every sign-in issues the same credential.
    SameCredentialTwice,
    /// The expired credential still gets a session.
    ExpiredAccepted,
}

#[derive(Debug, Default)]
struct State {
    issued: u64,
    live: HashSet<String>,
    csrf_issued: u64,
}

#[derive(Debug, Clone)]
struct Life {
    api: Api,
    defect: Defect,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Clone, Copy)]
enum Route {
    Session,
    Csrf,
    Callback,
    SignOut,
    PlainSignIn,
    PlainSignOut,
}

struct Handler {
    life: Life,
    route: Route,
}

/// Serves `api` with `defect` on 127.0.0.1.
pub(crate) async fn start(api: Api, defect: Defect) -> MockServer {
    let server = MockServer::start().await;
    let life = Life {
        api,
        defect,
        state: Arc::new(Mutex::new(State::default())),
    };
    let routes: &[(&str, &str, Route)] = match api {
        Api::Authjs => &[
            ("GET", "/api/auth/session", Route::Session),
            ("GET", "/api/auth/csrf", Route::Csrf),
            ("POST", "/api/auth/callback/credentials", Route::Callback),
            ("POST", "/api/auth/signout", Route::SignOut),
        ],
        Api::SessionApi => &[
            ("GET", "/auth/session", Route::Session),
            ("POST", "/test/sign-in", Route::PlainSignIn),
            ("POST", "/test/sign-out", Route::PlainSignOut),
        ],
    };
    for (method, path, route) in routes {
        Mock::given(matchers::method(*method))
            .and(matchers::path(*path))
            .respond_with(Handler {
                life: life.clone(),
                route: *route,
            })
            .mount(&server)
            .await;
    }
    server
}

fn cookies(request: &Request) -> Vec<(String, String)> {
    request
        .headers
        .get_all("cookie")
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn form(request: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn json_response(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_raw(body.to_string().into_bytes(), "application/json")
        .insert_header("cache-control", "private, no-cache, no-store")
}

/// The CSRF cookie's hash of a token (a test server's stand-in for Auth.js's SHA-256).
fn csrf_hash(token: &str) -> String {
    token.chars().rev().collect()
}

impl Life {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session credential a request carries: the cookie, or its chunks joined.
    fn credential(&self, request: &Request) -> Option<String> {
        match self.api {
            Api::SessionApi => request
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::to_owned),
            Api::Authjs => {
                let cookies = cookies(request);
                if let Some(value) = field(&cookies, COOKIE) {
                    return Some(value.to_owned());
                }
                let mut chunks: Vec<(usize, &str)> = cookies
                    .iter()
                    .filter_map(|(n, v)| {
                        let index = n.strip_prefix(COOKIE)?.strip_prefix('.')?.parse().ok()?;
                        Some((index, v.as_str()))
                    })
                    .collect();
                chunks.sort();
                (!chunks.is_empty()).then(|| chunks.iter().map(|(_, v)| *v).collect())
            }
        }
    }

    fn csrf_verified(&self, request: &Request, pairs: &[(String, String)]) -> bool {
        if self.defect == Defect::CsrfNotChecked {
            return true;
        }
        let cookies = cookies(request);
        let Some(cookie) = field(&cookies, CSRF_COOKIE) else {
            return false;
        };
        let Some((token, hash)) = cookie.split_once("%7C") else {
            return false;
        };
        hash == csrf_hash(token) && field(pairs, "csrfToken") == Some(token)
    }

    fn issue(&self) -> String {
        let mut state = self.lock();
        state.issued += 1;
        let token = if self.defect == Defect::SameCredentialTwice {
            "sess-0000".to_owned()
        } else {
            format!("sess-{:04}", state.issued)
        };
        // Long, like a real Auth.js JWE with a rich profile: chunked on the wire.
        let token = match self.api {
            Api::Authjs => format!("{token}.{}", "Q7xZ".repeat(1_200)),
            Api::SessionApi => format!("{token}.{}", "k9Fw".repeat(8)),
        };
        state.live.insert(token.clone());
        token
    }

    fn session(&self, token: &str) -> Value {
        let now = OffsetDateTime::now_utc();
        let at = |offset: time::Duration| (now + offset).format(&Rfc3339).expect("format");
        let id = format!(
            "8d2f3c4e-1a2b-4c3d-9e8f-{:012x}",
            token
                .bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
                & 0xffff_ffff_ffff
        );
        match self.api {
            Api::SessionApi => json!({
                "session_id": id,
                "user_id": "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e",
                "expires_at": at(time::Duration::hours(1)),
                "created_at": at(time::Duration::hours(-2)),
                "last_activity_at": at(time::Duration::minutes(-5)),
                "state": "active",
            }),
            Api::Authjs => crate::backend::authjs_session(&id, &at(time::Duration::days(30))),
        }
    }

    fn read(&self, request: &Request) -> ResponseTemplate {
        let token = self.credential(request);
        let live = token.as_deref().is_some_and(|t| {
            self.lock().live.contains(t) || t == EXPIRED && self.defect == Defect::ExpiredAccepted
        });
        match (self.api, live, token) {
            (_, true, Some(token)) => json_response(200, &self.session(&token)),
            (Api::Authjs, _, _) => json_response(200, &json!({})),
            (Api::SessionApi, _, _) => json_response(
                401,
                &json!({"error": "unauthorized", "message": "Authentication required"}),
            )
            .insert_header("www-authenticate", "Bearer"),
        }
    }

    /// An Auth.js action's answer: `{"url"}` for a client that asked for it, else a 302.
    fn redirect(request: &Request, url: &str, cookies: &[String]) -> ResponseTemplate {
        let mut response = if request.headers.contains_key("x-auth-return-redirect") {
            json_response(200, &json!({ "url": url }))
        } else {
            ResponseTemplate::new(302)
        };
        response = response.insert_header("location", url);
        for cookie in cookies {
            response = response.append_header("set-cookie", cookie.as_str());
        }
        response
    }

    /// Auth.js's answer to an action without a verified CSRF token: nothing changes.
    fn missing_csrf(request: &Request, origin: &str) -> ResponseTemplate {
        Self::redirect(
            request,
            &format!("{origin}/api/auth/signin?error=MissingCSRF"),
            &[],
        )
    }

    fn origin(request: &Request) -> String {
        format!(
            "http://{}",
            request
                .headers
                .get("host")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("127.0.0.1")
        )
    }

    fn csrf(&self, request: &Request) -> ResponseTemplate {
        let cookies = cookies(request);
        let existing = field(&cookies, CSRF_COOKIE)
            .and_then(|c| c.split_once("%7C"))
            .filter(|(token, hash)| *hash == csrf_hash(token))
            .map(|(token, _)| token.to_owned());
        let mut response;
        match existing {
            Some(token) => response = json_response(200, &json!({ "csrfToken": token })),
            None => {
                let token = {
                    let mut state = self.lock();
                    state.csrf_issued += 1;
                    format!(
                        "{:064x}",
                        u128::from(state.csrf_issued) * 0x9e37_79b9_7f4a_7c15
                    )
                };
                response = json_response(200, &json!({ "csrfToken": token }));
                response = response.append_header(
                    "set-cookie",
                    format!(
                        "{CSRF_COOKIE}={token}%7C{}; Path=/; HttpOnly; SameSite=Lax",
                        csrf_hash(&token)
                    )
                    .as_str(),
                );
            }
        }
        response
    }

    fn sign_in(&self, request: &Request) -> ResponseTemplate {
        let origin = Self::origin(request);
        let pairs = form(request);
        if !self.csrf_verified(request, &pairs) {
            return Self::missing_csrf(request, &origin);
        }
        if field(&pairs, "username") != Some(USER) || field(&pairs, "password") != Some(PASSWORD) {
            return Self::redirect(
                request,
                &format!("{origin}/api/auth/signin?error=CredentialsSignin&code=credentials"),
                &[],
            );
        }
        let token = self.issue();
        let chunks: Vec<String> = token
            .as_bytes()
            .chunks(CHUNK)
            .enumerate()
            .map(|(i, chunk)| {
                format!(
                    "{COOKIE}.{i}={}; Path=/; HttpOnly; SameSite=Lax",
                    String::from_utf8_lossy(chunk)
                )
            })
            .collect();
        let url = field(&pairs, "callbackUrl").unwrap_or("/").to_owned();
        Self::redirect(request, &url, &chunks)
    }

    fn sign_out(&self, request: &Request) -> ResponseTemplate {
        let origin = Self::origin(request);
        let pairs = form(request);
        if !self.csrf_verified(request, &pairs) {
            return Self::missing_csrf(request, &origin);
        }
        self.end(request);
        let cleared: Vec<String> = cookies(request)
            .into_iter()
            .filter(|(n, _)| n.starts_with(COOKIE))
            .map(|(n, _)| format!("{n}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"))
            .collect();
        let url = field(&pairs, "callbackUrl").unwrap_or("/").to_owned();
        Self::redirect(request, &url, &cleared)
    }

    fn end(&self, request: &Request) {
        if let Some(token) = self.credential(request)
            && self.defect != Defect::SignOutForgetsNothing
        {
            self.lock().live.remove(&token);
        }
    }
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let life = &self.life;
        match self.route {
            Route::Session => life.read(request),
            Route::Csrf => life.csrf(request),
            Route::Callback => life.sign_in(request),
            Route::SignOut => life.sign_out(request),
            Route::PlainSignIn => ResponseTemplate::new(200).set_body_string(life.issue()),
            Route::PlainSignOut => {
                life.end(request);
                ResponseTemplate::new(204)
            }
        }
    }
}
