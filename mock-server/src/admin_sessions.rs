//! `/__mock/sessions` and `/__mock/clock`: sessions made, listed, revoked and
//! expired by hand (session-api has no sign-in route of its own), and the
//! clock every expiry decision reads. Loopback-only and bounded like the
//! rest of the admin API (`admin::routes` adds those layers).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::{Map, Value, json};
use session_schemas::Auth;
use time::OffsetDateTime;

use crate::clock::{self, Change};
use crate::http::ApiError;
use crate::http::MAX_ADMIN_BODY;
use crate::lifecycle::{Event, LifecycleError};
use crate::state::{AppState, ClockState, Inner, MountState};
use crate::store::{Session, State as SessionState};
use crate::users::User;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/__mock/sessions",
            get(list).post(create).delete(revoke_all),
        )
        .route(
            "/__mock/sessions/{id}",
            get(show).patch(change).delete(revoke),
        )
        .route("/__mock/clock", get(read_clock).put(set_clock))
}

type Refusal = ApiError;

fn bad_request(message: impl Into<String>) -> Refusal {
    ApiError::bad_request(message)
}

fn unknown_session(id: &str) -> Refusal {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no session `{id}`; GET /__mock/sessions lists them"),
    )
}

/// An admin body as a JSON object; an empty body is an empty object.
async fn object(body: Body, example: &str) -> Result<Map<String, Value>, Refusal> {
    crate::http::json_object(body, MAX_ADMIN_BODY, example).await
}

fn refuse_unknown_keys(map: &Map<String, Value>, known: &[&str]) -> Result<(), Refusal> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(bad_request(format!(
            "unknown key `{key}`; known: {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// `http(s)://host[:port]`, nothing after.
fn is_origin(text: &str) -> bool {
    let Some((scheme, rest)) = text.trim_end_matches('/').split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@', ' '])
}

fn time_text(seconds: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .map(clock::format)
}

/// A session as the admin API shows it: its state as of the mock's clock.
/// Borrowed and serialized straight to the answer: listing 10,000 sessions
/// builds no JSON tree.
#[derive(Debug, Serialize)]
struct View<'a> {
    id: &'a str,
    contract: &'a str,
    user: &'a str,
    user_id: &'a str,
    state: &'static str,
    created_at: Option<String>,
    last_activity_at: Option<String>,
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_at: Option<String>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    profile: &'a serde_json::Map<String, Value>,
}

fn view<'a>(inner: &Inner, session: &'a Session) -> View<'a> {
    let now = inner.clock.now().unix_timestamp();
    View {
        id: &session.id,
        contract: &session.contract,
        user: &session.user,
        user_id: &session.user_id,
        state: session.state_at(now).name(),
        created_at: time_text(session.created_at),
        last_activity_at: time_text(session.last_activity_at),
        // An expired session shows when it expired, however long its
        // credentials are remembered for.
        expires_at: time_text(match (session.state, session.ended_at) {
            (SessionState::Expired, Some(ended)) => session.expires_at.min(ended),
            _ => session.expires_at,
        }),
        ended_at: session.ended_at.and_then(time_text),
        profile: &session.profile,
    }
}

fn mount_for<'a>(inner: &'a Inner, name: Option<&str>) -> Result<&'a MountState, Refusal> {
    let mounted = || {
        inner
            .mounts
            .iter()
            .map(|m| m.mount.contract.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(name) => inner
            .mounts
            .iter()
            .find(|m| m.mount.contract.name == name)
            .ok_or_else(|| {
                bad_request(format!(
                    "`{name}` is not a mounted contract; mounted: {}",
                    mounted()
                ))
            }),
        // Contracts with a sign-in protocol have their own way in; without
        // a name, the one mounted contract without one, if it is alone.
        None => {
            let plain: Vec<&MountState> = inner
                .mounts
                .iter()
                .filter(|m| m.mount.contract.protocol.is_none())
                .collect();
            match plain.as_slice() {
                [only] => Ok(*only),
                [] if inner.mounts.len() == 1 => Ok(&inner.mounts[0]),
                _ => Err(bad_request(format!(
                    "name the contract: {{\"contract\": \"...\"}}; mounted: {}",
                    mounted()
                ))),
            }
        }
    }
}

/// The user a request names: a configured username, or an object of fields
/// (`username` picks the configured user to start from).
fn user_from(inner: &Inner, value: Option<&Value>) -> Result<User, Refusal> {
    let users = &inner.config.users;
    let configured = |name: &str| {
        users
            .iter()
            .find(|u| u.username == name)
            .cloned()
            .ok_or_else(|| {
                let known: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
                bad_request(format!(
                    "no user `{name}`; configured: {}",
                    known.join(", ")
                ))
            })
    };
    match value {
        None => Ok(users[0].clone()),
        Some(Value::String(name)) => configured(name),
        Some(Value::Object(fields)) => {
            let mut user = match fields.get("username") {
                Some(Value::String(name)) => User::by_login(users, name),
                Some(_) => return Err(bad_request("user.username must be a string")),
                None => users[0].clone(),
            };
            for (key, field) in fields {
                match key.as_str() {
                    "username" => {}
                    "id" => match field {
                        Value::String(id) if !id.is_empty() => user.id = Some(id.clone()),
                        _ => return Err(bad_request("user.id must be a non-empty string")),
                    },
                    _ => {
                        user.profile.insert(key.clone(), field.clone());
                    }
                }
            }
            Ok(user)
        }
        Some(_) => Err(bad_request(
            "user is a configured username or an object of user fields",
        )),
    }
}

fn lifetime_from(value: Option<&Value>, default: i64) -> Result<i64, Refusal> {
    match value {
        None => Ok(default),
        Some(Value::String(text)) => clock::parse_lifetime(text)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX).max(1))
            .map_err(|m| bad_request(format!("lifetime: {m}"))),
        Some(other) => Err(bad_request(format!(
            "lifetime is a duration such as \"2h\" or \"30d\", not {other}"
        ))),
    }
}

fn state_from(value: Option<&Value>) -> Result<Option<SessionState>, Refusal> {
    match value {
        None => Ok(None),
        Some(Value::String(text)) => SessionState::parse(text).map(Some).ok_or_else(|| {
            bad_request(format!(
                "state `{text}` is not one of active, signed-out, revoked, expired"
            ))
        }),
        Some(other) => Err(bad_request(format!("state is a string, not {other}"))),
    }
}

/// What a `POST /__mock/sessions` asks for, checked.
struct NewSession<'a> {
    mount: &'a MountState,
    user: User,
    lifetime: i64,
    initial: SessionState,
    /// The app's origin the ready cookies are for (Auth.js contracts).
    origin: Option<String>,
}

impl<'a> NewSession<'a> {
    fn from_map(inner: &'a Inner, map: &Map<String, Value>) -> Result<Self, ApiError> {
        refuse_unknown_keys(map, &["contract", "user", "lifetime", "state", "origin"])?;
        let origin = match map.get("origin") {
            None => None,
            Some(Value::String(origin)) if is_origin(origin) => {
                Some(origin.trim_end_matches('/').to_owned())
            }
            Some(other) => {
                return Err(bad_request(format!(
                    "origin is the app's origin such as \"http://localhost:3000\" (scheme and host, no path), not {other}"
                )));
            }
        };
        let contract_name = match map.get("contract") {
            None => None,
            Some(Value::String(name)) => Some(name.as_str()),
            Some(other) => return Err(bad_request(format!("contract is a name, not {other}"))),
        };
        let mount = mount_for(inner, contract_name)?;
        let user = user_from(inner, map.get("user"))?;
        let lifetime = lifetime_from(map.get("lifetime"), inner.lifetime(mount.mount.contract))?;
        let initial = state_from(map.get("state"))?.unwrap_or(SessionState::Active);
        Ok(Self {
            mount,
            user,
            lifetime,
            initial,
            origin,
        })
    }

    /// Refuses a user whose fields break the contract's schema, before the
    /// session exists, so a bad profile leaves nothing behind.
    fn check_body(&self, inner: &Inner, now: i64) -> Result<(), ApiError> {
        let contract = self.mount.mount.contract;
        let trial = Session::preview(
            &contract.name,
            &self.user.username,
            self.user.id.as_deref(),
            &self.user.profile,
            now,
            self.lifetime,
        );
        self.mount
            .session_body(inner.clock.now(), &trial)
            .map(drop)
            .map_err(|violations| {
                bad_request(format!(
                    "a {} session with these user fields breaks the schema: {}",
                    contract.name,
                    violations.join("; ")
                ))
            })
    }
}

async fn create(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let inner = &state.0;
    let (parts, body) = request.into_parts();
    let example = r#"{"contract": "session-api", "user": {"username": "alice"}, "lifetime": "2h"}"#;
    let map = object(body, example).await?;
    let asked = NewSession::from_map(inner, &map)?;
    let contract = asked.mount.mount.contract;
    let now = inner.clock.now().unix_timestamp();
    asked.check_body(inner, now)?;
    let (session, token) = inner
        .sessions
        .create(contract, &asked.user, asked.lifetime, asked.initial, now)
        .map_err(|error| match error {
            LifecycleError::Full(full) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "session_limit",
                full.to_string(),
            ),
            LifecycleError::Invalid(message) => bad_request(message),
        })?;
    inner.record_event(
        &parts,
        &contract.name,
        &crate::credentials::Credential::Absent,
        201,
        Some(Event::Created),
        Some(&session.id),
    );
    let mut answer = json!({
        "session": view(inner, &session),
        "path": asked.mount.mount.path,
    });
    put_credentials(&mut answer, inner, &asked, &session, token, now);
    if session.state == SessionState::Active {
        answer["body"] = asked
            .mount
            .session_body(inner.clock.now(), &session)
            .unwrap_or(Value::Null);
    }
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// The new session's credential in the answer: the token and the header
/// to send it in, and for Auth.js the cookies a sign-in would set, ready
/// for a browser on the app's origin (Playwright's `storageState`,
/// Cypress's `cy.setCookie`).
fn put_credentials(
    answer: &mut Value,
    inner: &Inner,
    asked: &NewSession<'_>,
    session: &Session,
    token: String,
    now: i64,
) {
    let contract = asked.mount.mount.contract;
    if contract.protocol == Some(session_schemas::Protocol::AuthJs) {
        let origin = asked.origin.as_deref().unwrap_or("http://localhost");
        let cookies = crate::authjs::ready_cookies(inner, contract, session, origin, now);
        let pairs: Vec<String> = cookies
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        answer["token"] =
            Value::String(cookies.iter().map(|c| c.value.as_str()).collect::<String>());
        answer["header"] = Value::String(format!("Cookie: {}", pairs.join("; ")));
        answer["cookies"] = serde_json::to_value(&cookies).unwrap_or_default();
        answer["storage_state"] = json!({ "cookies": &cookies, "origins": [] });
    } else {
        let header = match &contract.auth {
            Auth::Bearer => format!("Authorization: Bearer {token}"),
            Auth::Cookie { names } => format!("Cookie: {}={token}", names[0]),
        };
        answer["token"] = Value::String(token);
        answer["header"] = Value::String(header);
    }
}

#[derive(Debug, serde::Deserialize)]
struct Filter {
    contract: Option<String>,
    state: Option<String>,
}

async fn list(State(state): State<AppState>, Query(filter): Query<Filter>) -> Response {
    let inner = &state.0;
    let all = inner.sessions.list();
    let sessions: Vec<View<'_>> = all
        .iter()
        .filter(|s| filter.contract.as_ref().is_none_or(|c| &s.contract == c))
        .map(|s| view(inner, s))
        .filter(|v| filter.state.as_ref().is_none_or(|want| v.state == want))
        .collect();
    let live = sessions.iter().filter(|v| v.state == "active").count();
    #[derive(Serialize)]
    struct Listing<'a> {
        live: usize,
        max_sessions: usize,
        session_strategy: crate::config::SessionStrategy,
        /// Who a session can be made for (`"user": "<name>"`); never a password.
        users: Vec<&'a str>,
        clock: Value,
        sessions: Vec<View<'a>>,
    }
    axum::Json(Listing {
        live,
        max_sessions: inner.config.max_sessions,
        session_strategy: inner.config.session_strategy,
        users: inner
            .config
            .users
            .iter()
            .map(|u| u.username.as_str())
            .collect(),
        clock: serde_json::to_value(inner.clock.reading()).unwrap_or_default(),
        sessions,
    })
    .into_response()
}

async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let inner = &state.0;
    match inner.sessions.get(&id) {
        Some(session) => axum::Json(view(inner, &session)).into_response(),
        None => unknown_session(&id).into_response(),
    }
}

async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    end_session(&state.0, &id, SessionState::Revoked, &parts)
}

fn end_session(inner: &Inner, id: &str, to: SessionState, parts: &Parts) -> Response {
    let now = inner.clock.now().unix_timestamp();
    let Some(session) = inner.sessions.end(id, to, now) else {
        return unknown_session(id).into_response();
    };
    let event = match to {
        SessionState::Expired => Event::Expire,
        SessionState::SignedOut => Event::SignOut,
        _ => Event::Revoke,
    };
    inner.record_event(
        parts,
        &session.contract,
        &crate::credentials::Credential::Absent,
        200,
        Some(event),
        Some(&session.id),
    );
    axum::Json(view(inner, &session)).into_response()
}

/// `{"state": "expired" | "revoked" | "signed-out"}`, `{"user": {fields}}`.
async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let inner = &state.0;
    let (parts, body) = request.into_parts();
    let map = match object(body, r#"{"state": "expired"}"#).await {
        Ok(map) => map,
        Err(refusal) => return refusal.into_response(),
    };
    if let Err(refusal) = refuse_unknown_keys(&map, &["state", "user"]) {
        return refusal.into_response();
    }
    let Some(session) = inner.sessions.get(&id) else {
        return unknown_session(&id).into_response();
    };
    let to = match state_from(map.get("state")) {
        Ok(to) => to,
        Err(refusal) => return refusal.into_response(),
    };
    if to == Some(SessionState::Active) && session.state != SessionState::Active {
        return bad_request("an ended session stays ended; create a new one").into_response();
    }
    if let Some(fields) = map.get("user") {
        let Value::Object(fields) = fields else {
            return bad_request("user is an object of user fields").into_response();
        };
        let Some(mount) = inner
            .mounts
            .iter()
            .find(|m| m.mount.contract.name == session.contract)
        else {
            return bad_request(format!("contract `{}` is not mounted", session.contract))
                .into_response();
        };
        let mut trial = session.clone();
        for (key, value) in fields {
            trial.profile.insert(key.clone(), value.clone());
        }
        if let Err(message) = crate::lifecycle::check_profile(&trial.profile) {
            return bad_request(message).into_response();
        }
        if let Err(violations) = mount.session_body(inner.clock.now(), &trial) {
            return bad_request(format!(
                "these user fields break the schema: {}",
                violations.join("; ")
            ))
            .into_response();
        }
        let profile = trial.profile;
        inner
            .sessions
            .update(&id, &mut |s| s.profile = profile.clone());
        inner.record_event(
            &parts,
            &session.contract,
            &crate::credentials::Credential::Absent,
            200,
            Some(Event::Update),
            Some(&id),
        );
    }
    match to {
        Some(to) if to != SessionState::Active => end_session(inner, &id, to, &parts),
        _ => match inner.sessions.get(&id) {
            Some(session) => axum::Json(view(inner, &session)).into_response(),
            None => unknown_session(&id).into_response(),
        },
    }
}

async fn revoke_all(State(state): State<AppState>) -> Response {
    let inner = &state.0;
    let revoked = inner
        .sessions
        .revoke_all(inner.clock.now().unix_timestamp());
    axum::Json(json!({ "revoked": revoked })).into_response()
}

async fn read_clock(State(state): State<ClockState>) -> Response {
    axum::Json(state.clock().reading()).into_response()
}

/// `{"advance": "2h"}`, `{"set": "2026-01-01T09:00:00Z"}`, `{"frozen": true}`,
/// `{"real": true}`; together they apply in that order: real, set, advance, frozen.
async fn set_clock(State(state): State<AppState>, request: Request) -> Response {
    let map = match object(request.into_body(), r#"{"advance": "2h"}"#).await {
        Ok(map) => map,
        Err(refusal) => return refusal.into_response(),
    };
    if let Err(refusal) = refuse_unknown_keys(&map, &["advance", "set", "frozen", "real"]) {
        return refusal.into_response();
    }
    if map.is_empty() {
        return bad_request(
            r#"say what to change: {"advance": "2h"}, {"set": "2026-01-01T09:00:00Z"}, {"frozen": true} or {"real": true}"#,
        ).into_response();
    }
    let text = |key: &str| match map.get(key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(bad_request(format!("{key} is a string, not {other}"))),
    };
    let flag = |key: &str| match map.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(bad_request(format!("{key} is true or false, not {other}"))),
    };
    let change = (|| {
        let set = text("set")?
            .map(|t| clock::parse_instant(&t).map_err(|m| bad_request(format!("set: {m}"))))
            .transpose()?;
        let advance = text("advance")?
            .map(|t| clock::parse_step(&t).map_err(|m| bad_request(format!("advance: {m}"))))
            .transpose()?;
        Ok::<_, Refusal>(Change {
            set,
            advance,
            frozen: flag("frozen")?,
            real: flag("real")?.unwrap_or(false),
        })
    })();
    let applied = change.and_then(|change| state.0.clock.apply(&change).map_err(bad_request));
    match applied {
        Ok(()) => {
            tracing::info!(now = %state.0.clock.reading().now, "clock changed");
            axum::Json(state.0.clock.reading()).into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}
