//! A reference implementation of both session contracts, small enough to
//! read in one sitting and copy as a starting point.
//!
//! - `GET /auth/session` (session-api): `Authorization: Bearer <token>`;
//!   200 with the session, 401 when the token is missing, malformed,
//!   unknown or expired, 404 when the session was revoked.
//! - `GET /api/auth/session` (authjs): the session cookie; 200 with the
//!   session, or 200 `{}` for anything else, as Auth.js does.
//! - `DELETE /auth/session` signs the bearer's session out (revokes it).
//!
//! Every answer is built from [`store::Store`]; nothing is cached, and both
//! endpoints tell caches not to keep what they send.

pub mod store;

use std::sync::Arc;

use axum::Router;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, COOKIE, EXPIRES, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, extract::State};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use store::{Lifetimes, Lookup, Session, Store, User};

/// The names Auth.js gives its session cookie, in the order they are tried.
pub const COOKIE_NAMES: [&str; 3] = [
    "authjs.session-token",
    "__Secure-authjs.session-token",
    "next-auth.session-token",
];

/// The router serving both contracts from one store.
pub fn app(store: Arc<Store>) -> Router {
    Router::new()
        .route("/auth/session", get(bearer_session).delete(sign_out))
        .route("/api/auth/session", get(cookie_session))
        .with_state(store)
}

/// `GET /auth/session`.
async fn bearer_session(State(store): State<Arc<Store>>, headers: HeaderMap) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return unauthorized("Authentication required", "Bearer");
    };
    match store.touch(token, OffsetDateTime::now_utc()) {
        Lookup::Active(session) => {
            let body = json!({
                "session_id": session.id,
                "user_id": session.user.id,
                "expires_at": timestamp(session.expires_at),
                "created_at": timestamp(session.created_at),
                "last_activity_at": timestamp(session.last_activity_at),
                "state": "active",
            });
            (
                [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
                Json(body),
            )
                .into_response()
        }
        Lookup::Revoked => error(StatusCode::NOT_FOUND, "not_found", "Session not found"),
        Lookup::Unknown => invalid_token(),
    }
}

/// `DELETE /auth/session`: 204 when a live session was signed out.
async fn sign_out(State(store): State<Arc<Store>>, headers: HeaderMap) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return unauthorized("Authentication required", "Bearer");
    };
    match store.touch(token, OffsetDateTime::now_utc()) {
        Lookup::Active(_) if store.revoke(token) => StatusCode::NO_CONTENT.into_response(),
        Lookup::Revoked | Lookup::Active(_) => {
            error(StatusCode::NOT_FOUND, "not_found", "Session not found")
        }
        Lookup::Unknown => invalid_token(),
    }
}

/// `GET /api/auth/session`: Auth.js answers 200 either way; `{}` means signed out.
async fn cookie_session(State(store): State<Arc<Store>>, headers: HeaderMap) -> Response {
    let session = session_cookie(&headers).and_then(|token| {
        match store.touch(token, OffsetDateTime::now_utc()) {
            Lookup::Active(session) => Some(session),
            Lookup::Revoked | Lookup::Unknown => None,
        }
    });
    let body = match session {
        Some(session) => json!({
            "user": {
                "id": session.user.id,
                "email": session.user.email,
                "name": session.user.name,
                "username": session.user.username,
            },
            "session_id": session.id,
            "login_method": session.login_method,
            "expires": timestamp(session.expires_at),
        }),
        None => json!({}),
    };
    (
        [
            (
                CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache, no-store"),
            ),
            (PRAGMA, HeaderValue::from_static("no-cache")),
            (EXPIRES, HeaderValue::from_static("0")),
        ],
        Json(body),
    )
        .into_response()
}

/// The token of the one `Authorization: Bearer` header; `None` for a missing,
/// repeated or malformed header, or another scheme.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next()?.to_str().ok()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim_matches(' ');
    let valid = scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_graphic());
    valid.then_some(token)
}

/// The value of the first session cookie present, by the order of [`COOKIE_NAMES`].
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    let pairs: Vec<(&str, &str)> = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .collect();
    COOKIE_NAMES.iter().find_map(|name| {
        pairs
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| *v)
    })
}

/// 401 for a token that is not (or no longer) a session's.
fn invalid_token() -> Response {
    unauthorized(
        "Invalid or expired token",
        r#"Bearer error="invalid_token""#,
    )
}

fn unauthorized(message: &str, challenge: &'static str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, "unauthorized", message);
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    response
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body: Value = json!({ "error": code, "message": message });
    (
        status,
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response()
}

/// RFC 3339 in UTC (sessions are kept to whole milliseconds).
fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(&Rfc3339).unwrap_or_default()
}
