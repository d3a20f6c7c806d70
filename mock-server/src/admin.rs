//! `/__mock/*`: health, the scenario switchboard, the request journal and
//! the control page (`ui`) built on them.
//! Reachable from loopback only, unless the config opens it.

use axum::Router;
use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::http::{ApiError, MAX_ADMIN_BODY};
use crate::state::{AppState, JournalState, ProxyState};

pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/__mock/scenarios",
            get(list_scenarios)
                .put(set_scenarios)
                .delete(reset_scenarios),
        )
        .route(
            "/__mock/requests",
            get(list_requests).delete(clear_requests),
        )
        .route(
            "/__mock/violations",
            get(list_violations).delete(reset_violations),
        )
        .merge(crate::admin_sessions::routes())
        .merge(crate::ui::routes())
        .layer(DefaultBodyLimit::max(MAX_ADMIN_BODY))
        .route_layer(middleware::from_fn_with_state(state, loopback_only))
}

/// Refuses non-loopback peers unless the config opens the admin API, and
/// browser requests sent by pages of other sites.
async fn loopback_only(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // No peer address: a loopback listener (every peer is local; see
    // `MockServer::start_on`) or an in-process call (tests through `oneshot`).
    let peer_is_loopback = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_none_or(|ConnectInfo(peer)| peer.ip().is_loopback());
    if !(state.0.config.admin_open || peer_is_loopback) {
        return forbidden();
    }
    if !state.0.config.admin_open && !loopback_host(request.headers()) {
        return error(
            StatusCode::FORBIDDEN,
            "foreign_host",
            "the admin API answers requests addressed to localhost, a 127.x.y.z address or [::1] only \
             (a page of another site can point its own name at this mock); start the mock \
             with --admin-open to change that",
        );
    }
    if let Some(origin) = foreign_origin(&state, request.headers()) {
        return error(
            StatusCode::FORBIDDEN,
            "foreign_origin",
            format!(
                "the admin API takes browser requests from its own page and from the allowed \
                 origins (--cors-origin) only, not from `{origin}`"
            ),
        );
    }
    next.run(request).await
}

/// Whether the request was addressed to a loopback name (`Host`), as every
/// request a developer makes on this machine is. A DNS-rebinding page has
/// its own name here while the socket is local. No `Host` at all: an
/// in-process call (tests through `oneshot`).
fn loopback_host(headers: &axum::http::HeaderMap) -> bool {
    let Some(host) = headers.get(axum::http::header::HOST) else {
        return true;
    };
    let host = host.to_str().unwrap_or_default();
    // Without the port: `[::1]:4010`, `127.0.0.1:4010`, `localhost`.
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A browser names the page that sent a request in `Origin` (on every
/// cross-origin request, and same-origin ones that change something). Any
/// site the developer has open could otherwise switch scenarios, end
/// sessions or move the clock with a form-like POST that needs no CORS
/// preflight. Requests without `Origin` (curl, scripts, tests) are not
/// browsers' cross-site requests and pass.
fn foreign_origin(state: &AppState, headers: &axum::http::HeaderMap) -> Option<String> {
    let origin = headers.get(axum::http::header::ORIGIN)?;
    let text = origin.to_str().unwrap_or_default();
    let own = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| {
            text.strip_prefix("http://")
                .or_else(|| text.strip_prefix("https://"))
                == Some(host)
        });
    if own || crate::cors::allowed(&state.0.config.cors_origins, text) {
        return None;
    }
    let shown: String = String::from_utf8_lossy(origin.as_bytes())
        .chars()
        .take(100)
        .collect();
    Some(shown)
}

pub(crate) fn error(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> Response {
    ApiError::new(status, code, message).into_response()
}

fn forbidden() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "the admin API answers loopback peers only; start the mock with --admin-open to change that",
    )
}

pub(crate) async fn health(State(state): State<AppState>) -> Response {
    let contracts: Vec<Value> = state
        .0
        .mounts
        .iter()
        .map(|m| json!({"contract": m.mount.contract.name, "path": m.mount.path}))
        .collect();
    axum::Json(json!({"status": "ok", "contracts": contracts})).into_response()
}

fn listing(state: &AppState) -> Value {
    let contracts: Vec<Value> = state
        .0
        .mounts
        .iter()
        .map(|m| {
            let contract = m.mount.contract;
            let runtime = m.runtime().map(|i| contract.scenarios[i].name.clone());
            json!({
                "contract": contract.name,
                "path": m.mount.path,
                "default": contract.scenarios[m.default].name,
                "runtime": runtime,
                "active": runtime.clone().unwrap_or_else(|| contract.scenarios[m.default].name.clone()),
                "auth": state.0.config.auth,
                // Where the contract's own routes live (sign-in, sign-out) and
                // the header a credential travels in: what a client needs.
                "base": m.mount.base(),
                "protocol": contract.protocol.map(|p| match p {
                    session_schemas::Protocol::AuthJs => "authjs",
                }),
                "credential": match &contract.auth {
                    session_schemas::Auth::Bearer => json!({"in": "header", "name": "Authorization", "scheme": "Bearer"}),
                    session_schemas::Auth::Cookie { names } => json!({"in": "cookie", "name": names[0]}),
                },
                "upstream": m.mount.upstream.as_ref().map(ToString::to_string),
                "scenarios": contract.scenarios.iter().map(|s| json!({
                    "name": s.name, "aliases": s.aliases, "status": s.status,
                    "documented": s.is_documented(), "off_contract": s.off_contract,
                })).collect::<Vec<_>>(),
                "examples": contract.examples.iter().map(|e| json!({"name": e.name, "status": e.status})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"contracts": contracts})
}

async fn list_scenarios(State(state): State<AppState>) -> Response {
    axum::Json(listing(&state)).into_response()
}

/// Body: `{"<contract>": "<scenario>" | null, ...}`; `null` returns to the default.
async fn set_scenarios(State(state): State<AppState>, request: Request) -> Response {
    let bytes = match crate::http::read_body(request.into_body(), MAX_ADMIN_BODY).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal.into_response(),
    };
    match parse_choices(&state, &bytes) {
        Ok(choices) => {
            for (index, scenario) in choices {
                state.0.mounts[index].set_runtime(scenario);
            }
            axum::Json(listing(&state)).into_response()
        }
        Err(message) => error(StatusCode::BAD_REQUEST, "bad_request", message),
    }
}

/// Checks the whole body before changing anything.
fn parse_choices(state: &AppState, bytes: &Bytes) -> Result<Vec<(usize, Option<usize>)>, String> {
    let example = r#"expected a JSON object such as {"session-api": "401", "authjs": null}"#;
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("the body is not valid JSON ({e}); {example}"))?;
    let Value::Object(map) = value else {
        return Err(format!("the body is not an object; {example}"));
    };
    let mut choices = Vec::new();
    for (name, scenario) in &map {
        let index = state
            .0
            .mounts
            .iter()
            .position(|m| &m.mount.contract.name == name)
            .ok_or_else(|| {
                let mounted: Vec<&str> = state
                    .0
                    .mounts
                    .iter()
                    .map(|m| m.mount.contract.name.as_str())
                    .collect();
                let hint = session_schemas::suggest(name, mounted.iter().copied())
                    .map_or_else(String::new, |m| format!("; did you mean `{m}`?"));
                format!(
                    "`{name}` is not a mounted contract{hint}; mounted: {}",
                    mounted.join(", ")
                )
            })?;
        let contract = state.0.mounts[index].mount.contract;
        let choice = match scenario {
            Value::Null => None,
            Value::String(scenario) => Some(
                contract
                    .scenarios
                    .iter()
                    .position(|s| s.answers_to(scenario))
                    .ok_or_else(|| {
                        let hint = session_schemas::suggest(scenario, contract.scenario_labels())
                            .map_or_else(String::new, |s| format!("; did you mean `{s}`?"));
                        format!(
                            "`{scenario}` is not a scenario of {name}{hint}; scenarios: {}",
                            contract.scenario_names().join(", ")
                        )
                    })?,
            ),
            other => {
                return Err(format!(
                    "{name}: expected a scenario name or null, got {other}"
                ));
            }
        };
        choices.push((index, choice));
    }
    Ok(choices)
}

async fn reset_scenarios(State(state): State<AppState>) -> Response {
    state.0.mounts.iter().for_each(|m| m.set_runtime(None));
    axum::Json(listing(&state)).into_response()
}

/// `?after=N`: only the entries whose `seq` is above N, so a page or a
/// script polling the journal reads each request once.
fn cursor(query: Option<&str>) -> Result<Option<u64>, String> {
    let mut after = None;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some(("after", value)) => {
                after = Some(value.parse::<u64>().map_err(|_| {
                    format!("after: `{value}` is not a whole number (an entry's `seq`)")
                })?);
            }
            _ => {
                let key = pair.split('=').next().unwrap_or_default();
                return Err(format!(
                    "unknown query parameter `{key}`; known: after (an entry's `seq`)"
                ));
            }
        }
    }
    Ok(after)
}

async fn list_requests(State(state): State<JournalState>, request: Request) -> Response {
    let after = match cursor(request.uri().query()) {
        Ok(after) => after,
        Err(message) => return error(StatusCode::BAD_REQUEST, "bad_request", message),
    };
    match state.journal() {
        Some(journal) => axum::Json(journal.listing(after)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "journal_off",
            "the journal is off (--journal-size 0)",
        ),
    }
}

async fn clear_requests(State(state): State<JournalState>) -> Response {
    if let Some(journal) = state.journal() {
        journal.clear();
    }
    StatusCode::NO_CONTENT.into_response()
}

fn no_proxy() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "proxy_off",
        "the validating proxy is off; start the mock with --proxy URL",
    )
}

/// What the upstreams broke since the start or the last reset.
async fn list_violations(State(state): State<ProxyState>) -> Response {
    match state.summary() {
        Some(summary) => axum::Json(summary.to_json()).into_response(),
        None => no_proxy(),
    }
}

async fn reset_violations(State(state): State<ProxyState>) -> Response {
    match state.summary() {
        Some(mut summary) => {
            summary.reset();
            StatusCode::NO_CONTENT.into_response()
        }
        None => no_proxy(),
    }
}
