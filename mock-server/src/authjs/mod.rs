//! The Auth.js sign-in protocol, for a contract whose manifest says
//! `"protocol": "authjs"`: the routes next-auth's client calls under the
//! session route's base path, answered as a real Auth.js server answers
//! (@auth/core's `Auth()`; the observed answers are in shared/CONTRACTS.md).
//!
//! - `GET csrf`: `{"csrfToken"}` and the double-submit cookie `token|hash`.
//! - `GET providers`: one credentials provider.
//! - `POST callback/credentials`: CSRF-checked sign-in with a configured
//!   user; a session cookie and a redirect (or `{"url"}` when the client sends
//!   `X-Auth-Return-Redirect`, or next-auth v4's form field `json=true`);
//!   errors redirect to `signin?error=...`.
//! - `POST signout`: CSRF-checked; the session ends on the mock's side and
//!   its cookie is cleared.
//! - `POST session` (next-auth's `update()`): CSRF-checked, 400 `null`
//!   without; the update's `data.user` merged into the session's user.
//! - `GET signin`, `GET signout`, `GET error`: small HTML pages, so the
//!   redirects a browser follows land somewhere useful.
//!
//! All protocol knowledge lives here; sessions themselves are `lifecycle`'s.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, EXPIRES, HOST, LOCATION, PRAGMA, SET_COOKIE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use session_schemas::{Auth, Contract, Outcome};
use time::OffsetDateTime;

use crate::config::SessionStrategy;
use crate::credentials::{self, Credential};
use crate::lifecycle::{Event, Held, random_bytes};
use crate::render::merge_patch;
use crate::state::{AppState, Inner, MountState};
use crate::store::State as SessionState;
use crate::tokens;
use session_schemas::authjs::{cookie, error, field, route};

/// Request bodies larger than this are refused (413).
const MAX_BODY: usize = 64 * 1024;
const CSRF_COOKIE: &str = cookie::CSRF_TOKEN;
const CALLBACK_COOKIE: &str = cookie::CALLBACK_URL;
const RETURN_REDIRECT: &str = field::RETURN_REDIRECT_HEADER;

/// The routes beside the session route at `base` (e.g. `/api/auth`).
pub(crate) fn routes(index: usize, base: &str) -> Router<AppState> {
    let on = move |handler: Handler| {
        move |State(state): State<AppState>, request: Request| handler.call(state, index, request)
    };
    Router::new()
        .route(&format!("{base}/{}", route::CSRF), get(on(Handler::Csrf)))
        .route(
            &format!("{base}/{}", route::PROVIDERS),
            get(on(Handler::Providers)),
        )
        .route(
            &format!("{base}/{}", route::SIGN_IN),
            get(on(Handler::SignInPage)),
        )
        .route(
            &format!("{base}/{}", route::CALLBACK_CREDENTIALS),
            axum::routing::post(on(Handler::Callback)),
        )
        .route(
            &format!("{base}/{}", route::SIGN_OUT),
            get(on(Handler::SignOutPage)).post(on(Handler::SignOut)),
        )
        .route(
            &format!("{base}/{}", route::ERROR),
            get(on(Handler::ErrorPage)),
        )
}

#[derive(Debug, Clone, Copy)]
enum Handler {
    Csrf,
    Providers,
    SignInPage,
    Callback,
    SignOutPage,
    SignOut,
    ErrorPage,
}

impl Handler {
    async fn call(self, state: AppState, index: usize, request: Request) -> Response {
        let inner = &state.0;
        let Some(mount) = inner.mounts.get(index) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let (parts, body) = request.into_parts();
        let mut exchange = Exchange::new(inner, mount, &parts);
        match self {
            Self::Csrf => exchange.csrf(),
            Self::Providers => exchange.providers(),
            Self::SignInPage => exchange.sign_in_page(parts.uri.query()),
            Self::SignOutPage => exchange.sign_out_page(),
            Self::ErrorPage => exchange.error_page(parts.uri.query()),
            Self::Callback | Self::SignOut => match read_form(&parts.headers, body).await {
                Ok(form) => {
                    // next-auth v4's client asks for `{"url"}` with a form
                    // field `json=true` instead of the header.
                    exchange.return_redirect |= form.get(field::JSON) == Some("true");
                    if matches!(self, Self::Callback) {
                        exchange.sign_in(&form)
                    } else {
                        exchange.sign_out(&form)
                    }
                }
                Err(refusal) => refusal,
            },
        }
    }
}

/// The session with `update({user})`'s patch merged into its profile, or
/// its id and why Auth.js's 400 refuses the patch.
fn patched(
    inner: &Inner,
    mount: &MountState,
    session: crate::store::Session,
    patch: &Value,
    now: time::OffsetDateTime,
) -> Result<crate::store::Session, (String, &'static str)> {
    let contract = mount.mount.contract;
    let mut profile = Value::Object(session.profile.clone());
    merge_patch(&mut profile, patch);
    let (Value::Object(profile), Some(_), true) =
        (profile, &contract.session_fields.user, patch.is_object())
    else {
        return Err((
            session.id,
            "update data.user is not an object this contract's user can take",
        ));
    };
    if crate::lifecycle::check_profile(&profile).is_err() {
        return Err((session.id, "update data too large"));
    }
    let mut trial = session.clone();
    trial.profile = profile.clone();
    if mount.session_body(now, &trial).is_err() {
        tracing::warn!(contract = %contract.name, "update() data breaks the schema; refused with 400");
        return Err((session.id, "update data breaks the schema"));
    }
    Ok(inner
        .sessions
        .update(&session.id, &mut |s| s.profile = profile.clone())
        .unwrap_or(trial))
}

/// `POST <session path>`: next-auth's `update()`. CSRF-checked like every
/// Auth.js POST; without a verified token Auth.js answers 400 `null`.
pub(crate) async fn update(
    State(state): State<AppState>,
    index: usize,
    request: Request,
) -> Response {
    let inner = &state.0;
    let Some(mount) = inner.mounts.get(index) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (parts, body) = request.into_parts();
    let form = match read_form(&parts.headers, body).await {
        Ok(form) => form,
        Err(refusal) => return refusal,
    };
    let exchange = Exchange::new(inner, mount, &parts);
    // Every refusal is Auth.js's 400 `null`; the journal says why.
    let refuse = |session: Option<&str>, why: &str| {
        exchange.record(400, Some(Event::Update), session, why);
        json_response(StatusCode::BAD_REQUEST, &Value::Null, Vec::new())
    };
    let init = exchange.init(form.get(field::CSRF_TOKEN), None);
    if !init.verified {
        return refuse(None, "update refused: no verified CSRF token");
    }
    let now = inner.clock.now();
    let contract = exchange.contract;
    let held = match credentials::extract(&contract.auth, &parts.headers) {
        Credential::Present(token) => find_session(
            inner,
            contract,
            &parts.headers,
            &token,
            now.unix_timestamp(),
        )
        .map(|(held, _)| held),
        _ => None,
    };
    let Some(Held::Live(session)) = held else {
        let signed_out = &contract.outcome(Outcome::Unauthenticated).body;
        exchange.record(200, None, None, "update without a live session");
        return json_response(StatusCode::OK, signed_out, init.cookies);
    };
    let mut session = session;
    if let Some(patch) = form.data.as_ref().and_then(|d| d.get("user")) {
        session = match patched(inner, mount, session, patch, now) {
            Ok(session) => session,
            Err((id, why)) => return refuse(Some(&id), why),
        };
    }
    let session = inner
        .sessions
        .touch(&session.id, now.unix_timestamp(), contract.expiry)
        .unwrap_or(session);
    let body = mount.bodies.session(now, &session);
    let mut cookies = init.cookies;
    cookies.extend(exchange.issue(&session, now.unix_timestamp()));
    exchange.record(
        200,
        Some(Event::Update),
        Some(&session.id),
        "session updated",
    );
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    append_cookies(response.headers_mut(), cookies);
    response
}

/// The refreshed session cookie a session read sends (Auth.js re-encrypts
/// the session token with the new expiry on every read), under the name
/// the request used, chunked as Auth.js chunks it.
pub(crate) fn refreshed_cookie(
    inner: &Inner,
    mount: &MountState,
    parts: &axum::http::request::Parts,
    session: &crate::store::Session,
) -> Vec<HeaderValue> {
    // The session read's own path, lighter than an `Exchange`: it runs on
    // every read of a signed-in browser.
    let contract = mount.mount.contract;
    let Some((name, present)) = session_chunks(contract, &parts.headers) else {
        return Vec::new();
    };
    let now = inner.clock.now().unix_timestamp();
    let token = match &inner.tokens {
        Some(tokens) => tokens.encode(inner.sessions.instance(), session, &name, now),
        None => inner.sessions.credential(session),
    };
    let secure = forwarded_https(&parts.headers);
    let pieces = chunks(&name, &token);
    present
        .iter()
        .filter(|key| !pieces.iter().any(|(piece, _)| piece == *key))
        .map(|key| set_cookie(key, "", Some(0), None, secure))
        .chain(
            pieces.iter().map(|(piece, value)| {
                set_cookie(piece, value, None, Some(session.expires_at), secure)
            }),
        )
        .filter_map(|cookie| HeaderValue::try_from(cookie).ok())
        .collect()
}

/// The session an Auth.js cookie's token is, for `contract`: the mock's
/// own by its claims, an app's as a stateless session.
fn find_token(
    inner: &Inner,
    tokens: &tokens::Tokens,
    contract: &Contract,
    name: &str,
    value: &str,
    now: i64,
) -> Option<(Held, Option<Event>)> {
    match tokens.decode(name, value, now) {
        Ok(tokens::Decoded::Mock(claims, exp)) => {
            inner.sessions.held(&contract.name, &claims, exp, now)
        }
        Ok(tokens::Decoded::App { claims, exp }) => {
            let session = tokens::stateless_session(
                &inner.keyring,
                &contract.name,
                claims,
                now,
                exp.unwrap_or(now),
                inner.lifetime(contract),
            );
            Some((Held::Live(session), None))
        }
        Err(why) => {
            tracing::debug!(contract = %contract.name, cookie = name, ?why, "not an Auth.js session token");
            None
        }
    }
}

/// The carrier name the request's session cookie is under, and the names
/// of it (whole, or its chunks `NAME.0`...) the request carries, in order.
fn session_chunks(contract: &Contract, headers: &HeaderMap) -> Option<(String, Vec<String>)> {
    let Auth::Cookie { names } = &contract.auth else {
        return None;
    };
    let pairs = || crate::http::cookie_pairs(headers).map(|(name, _)| name);
    let base = names.iter().find(|base| {
        pairs().any(|name| {
            name.strip_prefix(base.as_str())
                .is_some_and(|rest| rest.is_empty() || rest == ".0")
        })
    })?;
    let mut present: Vec<String> = pairs()
        .filter(|name| crate::http::is_chunk_of(name, base))
        .map(str::to_owned)
        .collect();
    present.sort();
    present.dedup();
    Some((base.clone(), present))
}

/// Whether the browser reached the app over https, as a proxy in front of
/// the mock says (`X-Forwarded-Proto`).
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        == Some("https")
}

/// `name=value` with Auth.js's attributes, in the order its cookie library
/// writes them (`Max-Age`, `Path`, `Expires`, `HttpOnly`, `Secure`,
/// `SameSite`).
fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    expires: Option<i64>,
    secure: bool,
) -> String {
    let mut text = String::with_capacity(name.len() + value.len() + 96);
    text.push_str(name);
    text.push('=');
    text.push_str(value);
    if let Some(seconds) = max_age {
        text.push_str("; Max-Age=");
        text.push_str(&seconds.to_string());
    }
    text.push_str("; Path=/");
    if let Some(date) = expires
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(http_date)
    {
        text.push_str("; Expires=");
        text.push_str(&date);
    }
    text.push_str("; HttpOnly");
    if secure {
        text.push_str("; Secure");
    }
    text.push_str("; SameSite=Lax");
    text
}

/// `Set-Cookie` lines clearing every chunk of the session cookie the
/// request carried: what Auth.js's session route answers a cookie that is
/// no session (`sessionStore.clean()`: a token that does not decrypt with
/// JWT sessions, a session the database no longer holds).
pub(crate) fn cleared_cookies(
    inner: &Inner,
    mount: &MountState,
    parts: &axum::http::request::Parts,
) -> Vec<HeaderValue> {
    let exchange = Exchange::new(inner, mount, parts);
    let Some(name) = exchange.session_cookie_in_request() else {
        return Vec::new();
    };
    exchange
        .chunk_names(&name)
        .into_iter()
        .filter_map(|key| HeaderValue::from_str(&exchange.cookie(key, "", Some(0), None)).ok())
        .collect()
}

/// The session a request's session cookie `value` is on an Auth.js
/// contract: read as the app's Auth.js reads it when its secret is known
/// (the mock's own `sms1` tokens still work), else as the mock's token.
pub(crate) fn find_session(
    inner: &Inner,
    contract: &Contract,
    headers: &HeaderMap,
    value: &str,
    now: i64,
) -> Option<(Held, Option<Event>)> {
    match &inner.tokens {
        Some(tokens) if !value.starts_with("sms1.") => {
            let name = session_cookie_name(contract, headers)?;
            find_token(inner, tokens, contract, &name, value, now)
        }
        _ => inner.sessions.find(&contract.name, value, now),
    }
}

/// The carrier name the request's session cookie is under (whole or in
/// chunks).
fn session_cookie_name(contract: &Contract, headers: &HeaderMap) -> Option<String> {
    session_chunks(contract, headers).map(|(name, _)| name)
}

/// The session cookie the mock sets for `contract`: the carrier's name for
/// the Auth.js version it writes for (`authjs.session-token`, or next-auth
/// 4's `next-auth.session-token`), with `__Secure-` over https.
fn session_cookie_for(inner: &Inner, contract: &Contract, secure: bool) -> String {
    session_cookie_name_for(inner.config.authjs_version, contract, secure)
}

fn session_cookie_name_for(
    version: crate::config::AuthJsVersion,
    contract: &Contract,
    secure: bool,
) -> String {
    let flavour = match version {
        crate::config::AuthJsVersion::V5 => tokens::jwe::Flavour::V5,
        crate::config::AuthJsVersion::V4 => tokens::jwe::Flavour::V4,
    };
    let name = match &contract.auth {
        Auth::Cookie { names } => names
            .iter()
            .find(|n| !n.starts_with("__") && tokens::flavour_of(n) == flavour)
            .or_else(|| names.first())
            .map_or(cookie::SESSION_TOKEN, String::as_str),
        Auth::Bearer => cookie::SESSION_TOKEN,
    };
    if secure && !name.starts_with("__") {
        format!("{}{name}", cookie::SECURE_PREFIX)
    } else {
        name.to_owned()
    }
}

/// `token` under the cookie `name` as Auth.js's `SessionStore` cuts it:
/// whole when it fits, else `NAME.0`, `NAME.1`...
fn chunks(name: &str, token: &str) -> Vec<(String, String)> {
    if token.len() <= CHUNK_SIZE {
        return vec![(name.to_owned(), token.to_owned())];
    }
    // A token is base64url and dots: ASCII, cut anywhere.
    token
        .as_bytes()
        .chunks(CHUNK_SIZE)
        .enumerate()
        .map(|(i, piece)| {
            (
                format!("{name}.{i}"),
                String::from_utf8_lossy(piece).into_owned(),
            )
        })
        .collect()
}

/// A cookie that signs a browser in, as a test tool sets it.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReadyCookie {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) domain: String,
    pub(crate) path: &'static str,
    /// Unix seconds.
    pub(crate) expires: i64,
    pub(crate) http_only: bool,
    pub(crate) secure: bool,
    pub(crate) same_site: &'static str,
}

/// The cookies that sign a browser on `origin` (`http(s)://host[:port]`)
/// in to `session`, as a sign-in there would set them.
pub(crate) fn ready_cookies(
    inner: &Inner,
    contract: &Contract,
    session: &crate::store::Session,
    origin: &str,
    now: i64,
) -> Vec<ReadyCookie> {
    let minter = Minter {
        tokens: inner.tokens.as_ref(),
        sessions: &inner.sessions,
        version: inner.config.authjs_version,
    };
    minter.cookies(contract, session, origin, now)
}

/// What makes a session's cookies: the app's secret (if known), the
/// sessions (the mock's own tokens otherwise), which Auth.js.
pub(crate) struct Minter<'a> {
    pub(crate) tokens: Option<&'a tokens::Tokens>,
    pub(crate) sessions: &'a crate::lifecycle::Sessions,
    pub(crate) version: crate::config::AuthJsVersion,
}

impl Minter<'_> {
    /// The cookies that sign a browser on `origin` (`http(s)://host[:port]`)
    /// in to `session`, as a sign-in there would set them.
    pub(crate) fn cookies(
        &self,
        contract: &Contract,
        session: &crate::store::Session,
        origin: &str,
        now: i64,
    ) -> Vec<ReadyCookie> {
        let secure = origin.starts_with("https://");
        let host = origin
            .split_once("://")
            .map_or(origin, |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default();
        let domain = match host.strip_prefix('[') {
            Some(v6) => format!("[{}]", v6.split(']').next().unwrap_or_default()),
            None => host
                .rsplit_once(':')
                .map_or(host, |(name, _)| name)
                .to_owned(),
        };
        let name = session_cookie_name_for(self.version, contract, secure);
        let token = match self.tokens {
            Some(tokens) => tokens.encode(self.sessions.instance(), session, &name, now),
            None => self.sessions.credential(session),
        };
        chunks(&name, &token)
            .into_iter()
            .map(|(name, value)| ReadyCookie {
                name,
                value,
                domain: domain.clone(),
                path: "/",
                expires: session.expires_at,
                http_only: true,
                secure,
                same_site: "Lax",
            })
            .collect()
    }
}

/// Auth.js's `CHUNK_SIZE`: a cookie value longer than this is split into
/// `NAME.0`, `NAME.1`... (`packages/core/src/lib/utils/cookie.ts`: 4096
/// allowed, less 160 for the name and attributes).
const CHUNK_SIZE: usize = 4096 - 160;

/// A POST body as Auth.js reads it: JSON when declared JSON, else a form.
#[derive(Debug, Default)]
struct Form {
    fields: HashMap<String, String>,
    /// `update()`'s `data`.
    data: Option<Value>,
}

impl Form {
    fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
}

async fn read_form(headers: &HeaderMap, body: Body) -> Result<Form, Response> {
    let bytes = crate::http::read_body(body, MAX_BODY)
        .await
        .map_err(IntoResponse::into_response)?;
    // As @auth/core's `getBody`: JSON when the type says
    // `application/json`, a form when it says
    // `application/x-www-form-urlencoded` (`Object.fromEntries(new
    // URLSearchParams(body))`: the last of a repeated field wins), and no
    // body at all otherwise, so a POST without either has no CSRF token.
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut form = Form::default();
    if content_type.contains("application/json") {
        // Auth.js answers a body it cannot parse with 400 "Bad request.".
        let bad = || json_response(StatusCode::BAD_REQUEST, &json!("Bad request."), Vec::new());
        if bytes.is_empty() {
            return Ok(form);
        }
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(bad());
        };
        for (key, value) in map {
            match value {
                Value::String(text) => {
                    form.fields.insert(key, text);
                }
                other if key == "data" => form.data = Some(other),
                _ => {}
            }
        }
    } else if content_type.contains("application/x-www-form-urlencoded") {
        for (key, value) in form_urlencoded::parse(&bytes) {
            form.fields.insert(key.into_owned(), value.into_owned());
        }
    }
    Ok(form)
}

/// What Auth.js's `init` settles for every request: the CSRF token (and
/// whether the POSTed one matches a cookie this server set), the callback
/// URL, and the cookies to set for them.
struct Init {
    csrf_token: String,
    verified: bool,
    callback_url: String,
    cookies: Vec<String>,
}

/// One request seen through the protocol: its origin and cookie names.
struct Exchange<'a> {
    inner: &'a Inner,
    contract: &'a Contract,
    parts: &'a axum::http::request::Parts,
    origin: String,
    secure: bool,
    base: &'a str,
    cookies: HashMap<String, String>,
    return_redirect: bool,
}

impl<'a> Exchange<'a> {
    fn new(inner: &'a Inner, mount: &'a MountState, parts: &'a axum::http::request::Parts) -> Self {
        let headers = &parts.headers;
        let first = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        // Behind a proxy (a Next.js rewrite, Vite's dev proxy) the browser's
        // origin is in X-Forwarded-*, as Auth.js reads it with trustHost.
        let secure = first("x-forwarded-proto") == Some("https");
        let host = first("x-forwarded-host")
            .or_else(|| first(HOST.as_str()))
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .unwrap_or("127.0.0.1");
        let origin = format!("{}://{host}", if secure { "https" } else { "http" });
        Self {
            inner,
            contract: mount.mount.contract,
            parts,
            origin,
            secure,
            base: mount.mount.base(),
            cookies: crate::http::request_cookies(headers),
            return_redirect: headers.contains_key(RETURN_REDIRECT),
        }
    }

    fn prefixed(&self, name: &str, prefix: &str) -> String {
        if self.secure {
            format!("{prefix}{name}")
        } else {
            name.to_owned()
        }
    }

    fn csrf_name(&self) -> String {
        // Auth.js gives the CSRF cookie the stricter `__Host-` prefix.
        self.prefixed(CSRF_COOKIE, cookie::HOST_PREFIX)
    }

    fn callback_name(&self) -> String {
        self.prefixed(CALLBACK_COOKIE, cookie::SECURE_PREFIX)
    }

    /// The session cookie the mock sets: the carrier's name for the Auth.js
    /// version it writes for (`authjs.session-token`, or next-auth 4's
    /// `next-auth.session-token`), `__Secure-` over https.
    fn session_name(&self) -> String {
        session_cookie_for(self.inner, self.contract, self.secure)
    }

    /// The token a session's cookie `name` carries: Auth.js's own when the
    /// app's secret is known, else the mock's.
    fn token(&self, session: &crate::store::Session, name: &str, now: i64) -> String {
        match &self.inner.tokens {
            Some(tokens) => tokens.encode(self.inner.sessions.instance(), session, name, now),
            None => self.inner.sessions.credential(session),
        }
    }

    /// The request's cookies that are the session cookie `name` or one of
    /// its chunks (`NAME.0`...), in order.
    fn chunk_names(&self, name: &str) -> Vec<&String> {
        let mut names: Vec<&String> = self
            .cookies
            .keys()
            .filter(|key| crate::http::is_chunk_of(key, name))
            .collect();
        names.sort();
        names
    }

    /// The `Set-Cookie` lines that sign the browser in to `session`.
    fn issue(&self, session: &crate::store::Session, now: i64) -> Vec<String> {
        let name = self.session_name();
        let token = self.token(session, &name, now);
        self.session_cookies(&name, &token, session.expires_at)
    }

    /// `token` under the session cookie `name`, as Auth.js's
    /// `SessionStore.chunk` writes it: whole when it fits, else in chunks
    /// `NAME.0`, `NAME.1`...; every chunk the request carried that is not
    /// written again is cleared.
    fn session_cookies(&self, name: &str, token: &str, expires_at: i64) -> Vec<String> {
        let pieces = chunks(name, token);
        let mut cookies: Vec<String> = self
            .chunk_names(name)
            .into_iter()
            .filter(|key| !pieces.iter().any(|(piece, _)| piece == *key))
            .map(|key| self.cookie(key, "", Some(0), None))
            .collect();
        for (piece, value) in &pieces {
            cookies.push(self.cookie(piece, value, None, Some(expires_at)));
        }
        cookies
    }

    /// `name=value` with Auth.js's attributes, in the order its cookie
    /// library writes them.
    fn cookie(
        &self,
        name: &str,
        value: &str,
        max_age: Option<i64>,
        expires: Option<i64>,
    ) -> String {
        set_cookie(name, value, max_age, expires, self.secure)
    }

    /// The name of the session cookie the request carries, chunks folded.
    fn session_cookie_in_request(&self) -> Option<String> {
        let Auth::Cookie { names } = &self.contract.auth else {
            return None;
        };
        names
            .iter()
            .find(|n| self.cookies.contains_key(*n) || self.cookies.contains_key(&format!("{n}.0")))
            .cloned()
    }

    /// The CSRF cookie's hash of `token`: Auth.js's own when the app's
    /// secret is known, else keyed by the mock's signing key.
    fn csrf_hash(&self, token: &str) -> String {
        match &self.inner.tokens {
            Some(tokens) => tokens.csrf_hash(token),
            None => self.inner.keyring.digest("csrf", token.as_bytes()),
        }
    }

    fn init(&self, posted_token: Option<&str>, callback_param: Option<&str>) -> Init {
        let mut cookies = Vec::new();
        let trusted = self
            .cookies
            .get(&self.csrf_name())
            .and_then(|value| value.split_once('|'))
            .filter(|(token, hash)| credentials::same_secret(hash, &self.csrf_hash(token)))
            .map(|(token, _)| token.to_owned());
        let (csrf_token, verified) = match trusted {
            Some(token) => {
                let verified = posted_token == Some(token.as_str());
                (token, verified)
            }
            None => {
                let token = crate::credentials::hex(&random_bytes::<32>());
                let hash = self.csrf_hash(&token);
                cookies.push(self.cookie(
                    &self.csrf_name(),
                    &format!("{token}%7C{hash}"),
                    None,
                    None,
                ));
                (token, false)
            }
        };
        let cookie_value = self.cookies.get(&self.callback_name()).map(String::as_str);
        let callback_url = match callback_param.or(cookie_value) {
            Some(url) => self.allowed_redirect(url),
            None => self.origin.clone(),
        };
        if cookie_value != Some(callback_url.as_str()) {
            cookies.push(self.cookie(
                &self.callback_name(),
                &encode_component(&callback_url),
                None,
                None,
            ));
        }
        Init {
            csrf_token,
            verified,
            callback_url,
            cookies,
        }
    }

    /// Auth.js's default `redirect` callback: relative URLs and URLs on this
    /// origin are kept, anything else becomes the origin.
    fn allowed_redirect(&self, url: &str) -> String {
        if url.starts_with('/') && !url.starts_with("//") {
            return format!("{}{url}", self.origin);
        }
        let same_origin = url
            .strip_prefix(&self.origin)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']));
        if same_origin {
            url.to_owned()
        } else {
            self.origin.clone()
        }
    }

    fn page_url(&self, page: &str, query: &str) -> String {
        format!("{}{}/{page}?{query}", self.origin, self.base)
    }

    /// A successful action's answer: 302 to `url`, or 200 `{"url"}` for a
    /// client that sent `X-Auth-Return-Redirect`; the cookies either way.
    fn redirect(&self, url: &str, cookies: Vec<String>) -> Response {
        let mut response = if self.return_redirect {
            json_response(StatusCode::OK, &json!({ "url": url }), Vec::new())
        } else {
            StatusCode::FOUND.into_response()
        };
        if let Ok(location) = HeaderValue::from_str(url) {
            response.headers_mut().insert(LOCATION, location);
        }
        append_cookies(response.headers_mut(), cookies);
        response
    }

    /// An error's answer: Auth.js sends no cookies with it.
    fn error_redirect(&self, page: &str, query: &str) -> Response {
        let url = self.page_url(page, query);
        if self.return_redirect {
            return json_response(StatusCode::OK, &json!({ "url": url }), Vec::new());
        }
        let mut response = StatusCode::FOUND.into_response();
        if let Ok(location) = HeaderValue::from_str(&url) {
            response.headers_mut().insert(LOCATION, location);
        }
        response
    }

    /// What a redirect is sent as: 302, or 200 `{"url"}` for a client that
    /// asked (`X-Auth-Return-Redirect`, next-auth 4's `json=true`).
    fn redirect_status(&self) -> u16 {
        if self.return_redirect { 200 } else { 302 }
    }

    fn record(&self, status: u16, event: Option<Event>, session: Option<&str>, what: &str) {
        let credential = credentials::extract(&self.contract.auth, &self.parts.headers);
        self.inner.record_event(
            self.parts,
            &self.contract.name,
            &credential,
            status,
            event,
            session,
        );
        tracing::debug!(contract = %self.contract.name, path = %self.parts.uri.path(), status, what, "auth.js");
    }

    fn csrf(&self) -> Response {
        let init = self.init(None, None);
        let mut response = json_response(
            StatusCode::OK,
            &json!({ (field::CSRF_TOKEN): init.csrf_token }),
            init.cookies,
        );
        no_cache(response.headers_mut());
        self.record(200, None, None, "csrf");
        response
    }

    fn providers(&self) -> Response {
        let url = |action: &str| format!("{}{}/{action}/credentials", self.origin, self.base);
        let body = json!({
            "credentials": {
                "id": "credentials",
                "name": "Credentials",
                "type": "credentials",
                "signinUrl": url(route::SIGN_IN),
                "callbackUrl": url(route::CALLBACK),
            }
        });
        self.record(200, None, None, "providers");
        json_response(StatusCode::OK, &body, Vec::new())
    }

    fn sign_in(&self, form: &Form) -> Response {
        let init = self.init(form.get(field::CSRF_TOKEN), form.get(field::CALLBACK_URL));
        if !init.verified {
            self.record(
                self.redirect_status(),
                Some(Event::SignInFailed),
                None,
                "sign-in without a verified CSRF token",
            );
            return self.error_redirect(route::SIGN_IN, &format!("error={}", error::MISSING_CSRF));
        }
        let login = form
            .get("username")
            .or_else(|| form.get("email"))
            .unwrap_or_default();
        let password = form.get("password").unwrap_or_default();
        let user = self.inner.config.users.iter().find(|u| {
            let email = u.profile.get("email").and_then(Value::as_str);
            (u.username == login || email == Some(login))
                && credentials::same_secret(&u.password, password)
        });
        let Some(user) = user else {
            self.record(
                self.redirect_status(),
                Some(Event::SignInFailed),
                None,
                "wrong username or password",
            );
            return self.error_redirect(
                route::SIGN_IN,
                &format!("error={}&code=credentials", error::CREDENTIALS_SIGN_IN),
            );
        };
        let now = self.inner.clock.now().unix_timestamp();
        let lifetime = self.inner.lifetime(self.contract);
        match self
            .inner
            .sessions
            .create(self.contract, user, lifetime, SessionState::Active, now)
        {
            Ok((session, _)) => {
                let mut cookies = init.cookies;
                cookies.extend(self.issue(&session, now));
                self.record(
                    self.redirect_status(),
                    Some(Event::SignIn),
                    Some(&session.id),
                    "signed in",
                );
                self.redirect(&init.callback_url, cookies)
            }
            Err(error) => {
                tracing::warn!(contract = %self.contract.name, %error, "sign-in refused");
                self.record(
                    self.redirect_status(),
                    Some(Event::SignInFailed),
                    None,
                    "session limit",
                );
                self.error_redirect("error", "error=Configuration")
            }
        }
    }

    fn sign_out(&self, form: &Form) -> Response {
        let init = self.init(form.get(field::CSRF_TOKEN), form.get(field::CALLBACK_URL));
        if !init.verified {
            self.record(
                self.redirect_status(),
                Some(Event::SignOut),
                None,
                "sign-out without a verified CSRF token: nothing ended",
            );
            return self.error_redirect(route::SIGN_IN, &format!("error={}", error::MISSING_CSRF));
        }
        let Some(name) = self.session_cookie_in_request() else {
            self.record(
                self.redirect_status(),
                None,
                None,
                "sign-out without a session cookie",
            );
            return self.redirect(&init.callback_url, init.cookies);
        };
        let mut ended = None;
        if let Credential::Present(token) =
            credentials::extract(&self.contract.auth, &self.parts.headers)
        {
            let now = self.inner.clock.now().unix_timestamp();
            if let Some((Held::Live(session), _)) =
                find_session(self.inner, self.contract, &self.parts.headers, &token, now)
            {
                // JWT strategy: nothing is held to end; only the cookie goes.
                if self.inner.config.session_strategy == SessionStrategy::Database {
                    self.inner
                        .sessions
                        .end(&session.id, SessionState::SignedOut, now);
                    ended = Some(session.id);
                }
            }
        }
        let mut cookies = init.cookies;
        // Every chunk the browser holds is cleared, as Auth.js's SessionStore.clean() does.
        for key in self.chunk_names(&name) {
            cookies.push(self.cookie(key, "", Some(0), None));
        }
        self.record(
            self.redirect_status(),
            Some(Event::SignOut),
            ended.as_deref(),
            "signed out",
        );
        if self.inner.config.auth == crate::config::AuthMode::Off {
            // The surprise this prevents: signed out, yet the next session
            // read (now without a cookie) shows the default scenario's user.
            tracing::warn!(
                contract = %self.contract.name,
                "signed out, but --auth is off: a request without a session still gets the default scenario; start the mock with --auth to see the signed-out answer"
            );
        }
        self.redirect(&init.callback_url, cookies)
    }

    fn html(&self, status: StatusCode, title: &str, body: &str, cookies: Vec<String>) -> Response {
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto}}\
             label,input,button{{display:block;width:100%;margin:.4rem 0}}.error{{color:#b00020}}</style>\
             </head><body><h1>{title}</h1>{body}<p><small>session-mock · Auth.js protocol</small></p></body></html>"
        );
        let mut response = (status, page).into_response();
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        append_cookies(response.headers_mut(), cookies);
        response
    }

    fn sign_in_page(&self, query: Option<&str>) -> Response {
        let query = query_map(query);
        let init = self.init(None, query.get(field::CALLBACK_URL).map(String::as_str));
        let error = match query.get("error").map(String::as_str) {
            Some("CredentialsSignin") => {
                "<p class=\"error\">Sign in failed: check the username and password.</p>".to_owned()
            }
            Some("MissingCSRF") => {
                "<p class=\"error\">The CSRF token was missing or wrong; try again.</p>".to_owned()
            }
            Some(other) => format!("<p class=\"error\">Error: {}</p>", escape(other)),
            None => String::new(),
        };
        let users: Vec<String> = self
            .inner
            .config
            .users
            .iter()
            .map(|u| escape(&u.username))
            .collect();
        let body = format!(
            "{error}<form method=\"post\" action=\"{base}/callback/credentials\">\
             <input type=\"hidden\" name=\"csrfToken\" value=\"{csrf}\">\
             <input type=\"hidden\" name=\"callbackUrl\" value=\"{callback}\">\
             <label>Username <input name=\"username\" autocomplete=\"username\"></label>\
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
             <button type=\"submit\">Sign in with Credentials</button></form>\
             <p><small>Users: {users}</small></p>",
            base = escape(self.base),
            csrf = init.csrf_token,
            callback = escape(&init.callback_url),
            users = users.join(", "),
        );
        self.record(200, None, None, "sign-in page");
        self.html(StatusCode::OK, "Sign in", &body, init.cookies)
    }

    fn sign_out_page(&self) -> Response {
        let init = self.init(None, None);
        let body = format!(
            "<p>Are you sure you want to sign out?</p>\
             <form method=\"post\" action=\"{base}/signout\">\
             <input type=\"hidden\" name=\"csrfToken\" value=\"{csrf}\">\
             <button type=\"submit\">Sign out</button></form>",
            base = escape(self.base),
            csrf = init.csrf_token,
        );
        self.record(200, None, None, "sign-out page");
        self.html(StatusCode::OK, "Sign out", &body, init.cookies)
    }

    fn error_page(&self, query: Option<&str>) -> Response {
        let query = query_map(query);
        let error = query.get("error").map_or("Default", String::as_str);
        let body = format!(
            "<p class=\"error\">{}</p><p>See the mock's log for why.</p>",
            escape(error)
        );
        self.record(200, None, None, "error page");
        self.html(StatusCode::OK, "Error", &body, Vec::new())
    }
}

fn json_response(status: StatusCode, body: &Value, cookies: Vec<String>) -> Response {
    let mut response = (status, axum::Json(body.clone())).into_response();
    append_cookies(response.headers_mut(), cookies);
    response
}

fn no_cache(headers: &mut HeaderMap) {
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache, no-store"),
    );
    headers.insert(EXPIRES, HeaderValue::from_static("0"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

fn append_cookies(headers: &mut HeaderMap, cookies: Vec<String>) {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(SET_COOKIE, value);
        }
    }
}

/// What `encodeURIComponent` leaves as it is: ASCII letters and digits and
/// `-_.!~*'()`; everything else is percent-encoded as UTF-8.
const URI_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `encodeURIComponent`.
fn encode_component(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, URI_COMPONENT).to_string()
}

/// A query string's parameters, decoded as a form (`%XX` and `+`); the
/// last of a repeated name wins, as `Object.fromEntries` keeps it.
fn query_map(query: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// An HTTP date (IMF-fixdate), as cookies' `Expires` carries it; `None`
/// before 1970, which `httpdate` cannot write (`time` ends at 9999).
pub(crate) fn http_date(at: OffsetDateTime) -> Option<String> {
    if at.year() < 1970 {
        return None;
    }
    Some(httpdate::fmt_http_date(std::time::SystemTime::from(at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_and_uri_components_are_written_as_browsers_expect() {
        let at = OffsetDateTime::from_unix_timestamp(1_445_412_480).expect("time");
        assert_eq!(
            http_date(at).as_deref(),
            Some("Wed, 21 Oct 2015 07:28:00 GMT")
        );
        let last = OffsetDateTime::from_unix_timestamp(253_402_300_799).expect("time");
        assert_eq!(
            http_date(last).as_deref(),
            Some("Fri, 31 Dec 9999 23:59:59 GMT")
        );
        let before = OffsetDateTime::from_unix_timestamp(-1).expect("time");
        assert_eq!(http_date(before), None, "1969 has no HTTP date here");
        assert_eq!(encode_component("é/ü~*"), "%C3%A9%2F%C3%BC~*");
        assert_eq!(
            encode_component("http://localhost:3000/a b"),
            "http%3A%2F%2Flocalhost%3A3000%2Fa%20b"
        );
        assert_eq!(escape("<a href=\"x\">"), "&lt;a href=&quot;x&quot;&gt;");
    }
}
