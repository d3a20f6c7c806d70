//! A session backend built on wiremock-rs, correct by default, with one
//! deliberate fault at a time. It decides like a real server: it reads the
//! credential from the contract's carrier and compares it with the one
//! valid and the one revoked credential it knows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

pub(crate) const VALID: &str = "tok_live_4f9a8b7c6d5e4f3a2b1c0d9e";
pub(crate) const REVOKED: &str = "tok_revoked_0a1b2c3d4e5f6a7b";
pub(crate) const COOKIE: &str = "authjs.session-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    SessionApi,
    Authjs,
}

/// One thing the backend gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    /// Revoked gets 401 instead of the documented 404.
    RevokedGets401,
    /// Unauthenticated gets 403, a status the contract does not document.
    UnauthenticatedGets403,
    /// Unauthenticated gets a redirect to a login page.
    RedirectToLogin,
    /// The session lacks the required `state` (session-api).
    MissingField,
    /// `session_id` is not a UUID.
    BadUuid,
    /// The 401 body is plain text, though declared JSON.
    NonJsonError,
    /// The 401 is declared `text/html`.
    HtmlContentType,
    /// Any credential that is neither valid nor revoked gets a 500.
    ServerErrorOnGarbage,
    /// Only the first 12 characters of the token are checked.
    PrefixAuthentication,
    /// The revoked credential still gets a session.
    RevokedAccepted,
    /// No credential gets a session.
    AbsentAccepted,
    /// A new `session_id` on every answer.
    UnstableSessionId,
    /// `last_activity_at` goes backwards from answer to answer.
    ActivityGoesBackwards,
    /// `state: active` with `expires_at` an hour ago.
    ActiveButExpired,
    /// `created_at` later than `last_activity_at`.
    CreatedAfterActivity,
    /// authjs: unauthenticated gets `null` (Auth.js v5's answer).
    NullWhenUnauthenticated,
    /// authjs: what a real Auth.js v5 server answered: `null` when signed
    /// out, and a session whose user lacks `id` and `username`.
    LikeRealAuthjs,
    /// authjs: unauthenticated gets 401.
    Authjs401,
    /// No Cache-Control on the authenticated answer.
    NoCacheHeaders,
    /// A 401 without WWW-Authenticate.
    NoWwwAuthenticate,
    /// Every answer to a request without the valid credential takes this
    /// long (the preflight, with it, is fast).
    Slow(Duration),
    /// The 401 message repeats the token it rejected.
    EchoesToken,
    /// The 401 body is 2 MiB long.
    HugeBody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Valid,
    Revoked,
    Absent,
    Garbage,
}

#[derive(Debug, Clone)]
pub(crate) struct Backend {
    api: Api,
    fault: Fault,
    counter: Arc<AtomicU64>,
}

impl Backend {
    /// Serves `api` with `fault` on 127.0.0.1.
    pub(crate) async fn start(api: Api, fault: Fault) -> MockServer {
        let server = MockServer::start().await;
        let path = match api {
            Api::SessionApi => "/auth/session",
            Api::Authjs => "/api/auth/session",
        };
        Mock::given(matchers::method("GET"))
            .and(matchers::path(path))
            .respond_with(Backend {
                api,
                fault,
                counter: Arc::new(AtomicU64::new(0)),
            })
            .mount(&server)
            .await;
        server
    }

    fn classify(&self, request: &Request) -> (Class, Option<String>) {
        match self.api {
            Api::SessionApi => {
                let values: Vec<_> = request.headers.get_all("authorization").iter().collect();
                let [value] = values.as_slice() else {
                    return (
                        if values.is_empty() {
                            Class::Absent
                        } else {
                            Class::Garbage
                        },
                        None,
                    );
                };
                let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
                let Some(token) = text.strip_prefix("Bearer ") else {
                    return (Class::Garbage, Some(text));
                };
                (self.judge(token), Some(token.to_owned()))
            }
            Api::Authjs => {
                for header in request.headers.get_all("cookie") {
                    let text = String::from_utf8_lossy(header.as_bytes()).into_owned();
                    for pair in text.split(';') {
                        if let Some((name, value)) = pair.trim().split_once('=')
                            && name == COOKIE
                        {
                            return (self.judge(value), Some(value.to_owned()));
                        }
                    }
                }
                (Class::Absent, None)
            }
        }
    }

    fn judge(&self, token: &str) -> Class {
        if token == VALID
            || (self.fault == Fault::PrefixAuthentication
                && token.len() >= 12
                && token.starts_with(&VALID[..12]))
        {
            Class::Valid
        } else if token == REVOKED {
            Class::Revoked
        } else if token.is_empty() {
            Class::Absent
        } else {
            Class::Garbage
        }
    }

    fn session(&self) -> Value {
        let now = OffsetDateTime::now_utc();
        let at = |offset: time::Duration| (now + offset).format(&Rfc3339).expect("format");
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut created = at(time::Duration::hours(-2));
        let mut activity = at(time::Duration::minutes(-5));
        let mut expires = at(time::Duration::hours(1));
        match self.fault {
            Fault::ActiveButExpired => {
                expires = at(time::Duration::hours(-1));
                activity = at(time::Duration::minutes(-90));
            }
            Fault::CreatedAfterActivity => {
                created = at(time::Duration::minutes(-1));
            }
            Fault::ActivityGoesBackwards => {
                activity = at(time::Duration::minutes(-10) - time::Duration::seconds(n as i64));
            }
            _ => {}
        }
        let session_id = match self.fault {
            Fault::BadUuid => "session-1".to_owned(),
            Fault::UnstableSessionId => format!("8d2f3c4e-1a2b-4c3d-9e8f-{:012x}", n),
            _ => "8d2f3c4e-1a2b-4c3d-9e8f-0123456789ab".to_owned(),
        };
        match self.api {
            Api::SessionApi => {
                let mut body = json!({
                    "session_id": session_id,
                    "user_id": "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e",
                    "expires_at": expires,
                    "created_at": created,
                    "last_activity_at": activity,
                    "state": "active",
                });
                if self.fault == Fault::MissingField {
                    body.as_object_mut().expect("object").remove("state");
                }
                body
            }
            Api::Authjs if self.fault == Fault::LikeRealAuthjs => json!({
                "user": {"name": "Ada Lovelace", "email": "ada.lovelace@example.com"},
                "expires": expires,
            }),
            Api::Authjs => authjs_session(&session_id, &expires),
        }
    }
}

/// A valid authjs session body, as the test backends serve it.
pub(crate) fn authjs_session(session_id: &str, expires: &str) -> Value {
    json!({
        "session_id": session_id,
        "login_method": "credentials",
        "expires": expires,
        "user": {
            "id": "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e",
            "email": "ada.lovelace@example.com",
            "name": "Ada Lovelace",
            "username": "ada.lovelace",
            "tenant": "4b1e2c3d-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
            "user_type": "internal",
            "plan": "pro",
            "addons": [],
            "trial_end": null,
            "subscription_status": "active",
            "solo_pro_trial_end": null,
            "premium_trial_end": null,
            "premium_trial_effective_date": null,
            "product_code": "psa"
        }
    })
}

fn json_response(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string().into_bytes(), "application/json")
}

impl Respond for Backend {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let (mut class, token) = self.classify(request);
        if class == Class::Revoked && self.fault == Fault::RevokedAccepted
            || class == Class::Absent && self.fault == Fault::AbsentAccepted
        {
            class = Class::Valid;
        }
        let response = match (self.api, class) {
            (_, Class::Valid) => {
                let response = json_response(200, &self.session());
                if self.fault == Fault::NoCacheHeaders {
                    response
                } else {
                    response.insert_header("cache-control", "private, no-cache, no-store")
                }
            }
            (_, Class::Garbage) if self.fault == Fault::ServerErrorOnGarbage => json_response(
                500,
                &match self.api {
                    Api::SessionApi => {
                        json!({"error": "internal_error", "message": "An internal error occurred"})
                    }
                    Api::Authjs => json!({"error": "failed_to_get_session"}),
                },
            ),
            (Api::SessionApi, Class::Revoked) if self.fault != Fault::RevokedGets401 => {
                json_response(
                    404,
                    &json!({"error": "not_found", "message": "Session not found"}),
                )
            }
            (Api::SessionApi, _) => {
                let message = match (self.fault, &token) {
                    (Fault::EchoesToken, Some(t)) => format!("Invalid token: {t}"),
                    _ => "Authentication required".to_owned(),
                };
                let body = json!({"error": "unauthorized", "message": message});
                let mut response = match self.fault {
                    Fault::UnauthenticatedGets403 => json_response(403, &body),
                    Fault::RedirectToLogin => {
                        ResponseTemplate::new(302).insert_header("location", "/login")
                    }
                    Fault::NonJsonError => ResponseTemplate::new(401)
                        .set_body_raw(b"Unauthorized".to_vec(), "application/json"),
                    Fault::HtmlContentType => ResponseTemplate::new(401)
                        .set_body_raw(body.to_string().into_bytes(), "text/html; charset=utf-8"),
                    Fault::HugeBody => {
                        let mut big = body.clone();
                        big["details"] = json!({"padding": "x".repeat(2 * 1024 * 1024)});
                        json_response(401, &big)
                    }
                    _ => json_response(401, &body),
                };
                if self.fault != Fault::NoWwwAuthenticate && self.fault != Fault::RedirectToLogin {
                    response = response.insert_header("www-authenticate", "Bearer");
                }
                response
            }
            (Api::Authjs, _) => match self.fault {
                Fault::NullWhenUnauthenticated | Fault::LikeRealAuthjs => {
                    ResponseTemplate::new(200).set_body_raw(b"null".to_vec(), "application/json")
                }
                Fault::Authjs401 => json_response(401, &json!({"error": "unauthorized"}))
                    .insert_header("www-authenticate", "Bearer"),
                _ => json_response(200, &json!({}))
                    .insert_header("cache-control", "private, no-cache, no-store"),
            },
        };
        match self.fault {
            Fault::Slow(delay) if class != Class::Valid => response.set_delay(delay),
            _ => response,
        }
    }
}
