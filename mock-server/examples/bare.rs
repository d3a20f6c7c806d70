//! The benchmark baselines: the plainest axum 0.8 handler serving the same
//! body bytes as the mock's signed-in session-api answer, and nothing else
//! in the way. `bench/run.sh` measures every mock configuration against it.
//!
//! - default (the ceiling): the body as static bytes with only
//!   `Content-Type`; no allocation per request.
//! - `--mock-headers`: the same body with the mock's headers (the contract's
//!   `Cache-Control`, `Mock-Scenario`), a static header array: what the
//!   mock's extra headers alone cost.
//! - `--contract authjs`: the same for the authjs signed-in body.
//! - `--now`: the fixture's timestamps moved to the present at start, as
//!   the mock's fixture mode shows them: a live session, the fast
//!   conformant upstream `bench/proxy.sh` puts the validating proxy in
//!   front of.
//!
//! `cargo run --release -p session-mock --example bare -- 127.0.0.1:4400 [--mock-headers] [--contract authjs] [--now]`

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:4400".to_owned());
    let mock_headers = args.iter().any(|a| a == "--mock-headers");
    let name = args
        .iter()
        .position(|a| a == "--contract")
        .and_then(|i| args.get(i + 1))
        .map_or("session-api", String::as_str);
    // The same bytes the mock serves for the contract's signed-in fixture.
    let contract = session_schemas::Registry::builtin()
        .get(name)
        .map_err(std::io::Error::other)?;
    let scenario = contract.outcome(session_schemas::Outcome::Authenticated);
    let value = if args.iter().any(|a| a == "--now") {
        scenario.body_at(time::OffsetDateTime::now_utc())
    } else {
        scenario.body.clone()
    };
    let body: &'static [u8] = Box::leak(value.to_string().into_bytes().into_boxed_slice());
    let path = contract.path.clone();
    let app = if mock_headers {
        // Static header pairs, leaked once: still no allocation per request.
        let mut pairs: Vec<(&'static str, &'static str)> =
            vec![("content-type", "application/json")];
        for rule in contract.headers_for(scenario.status) {
            pairs.push((
                Box::leak(rule.name.to_ascii_lowercase().into_boxed_str()),
                Box::leak(rule.value.clone().into_boxed_str()),
            ));
        }
        pairs.push((
            "mock-scenario",
            Box::leak(scenario.name.clone().into_boxed_str()),
        ));
        let pairs: &'static [(&'static str, &'static str)] = Box::leak(pairs.into_boxed_slice());
        Router::new().route(
            &path,
            get(move || async move {
                let mut response = body.into_response();
                for (name, value) in pairs {
                    response
                        .headers_mut()
                        .insert(*name, HeaderValue::from_static(value));
                }
                response
            }),
        )
    } else {
        Router::new().route(
            &path,
            get(move || async move {
                (
                    [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                    body,
                )
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "bare baseline on http://{addr}{path} ({} bytes, {})",
        body.len(),
        if mock_headers {
            "the mock's headers"
        } else {
            "Content-Type only"
        }
    );
    axum::serve(listener, app).await
}
