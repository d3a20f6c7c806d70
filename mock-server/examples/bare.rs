//! The benchmark baseline: a bare axum handler answering with the same
//! bytes as the mock's `valid` session-api response (body and headers),
//! with nothing else in the way: the ceiling the mock is measured against
//! (see `bench/run.sh`). `--body-only` drops the extra headers, as in the
//! issue's reference figure.
//!
//! `cargo run --release -p session-mock --example bare -- 127.0.0.1:4400 [--body-only]`

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:4400".to_owned());
    let body_only = args.next().as_deref() == Some("--body-only");
    // The same bytes the mock serves for the fixture, made static once.
    let contract = session_schemas::Registry::builtin()
        .get("session-api")
        .map_err(std::io::Error::other)?;
    let scenario = contract.scenario("valid").map_err(std::io::Error::other)?;
    let body: &'static str = Box::leak(scenario.body.to_string().into_boxed_str());
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if !body_only {
        for rule in contract.headers_for(200) {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(rule.name.as_bytes()),
                HeaderValue::from_str(&rule.value),
            ) {
                headers.insert(name, value);
            }
        }
        headers.insert("mock-scenario", HeaderValue::from_static("valid"));
    }
    let app = Router::new().route(
        "/auth/session",
        get(move || {
            let headers = headers.clone();
            async move { (headers, body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "bare baseline on http://{addr}/auth/session ({} bytes{})",
        body.len(),
        if body_only {
            ", body only"
        } else {
            ", with the mock's headers"
        }
    );
    axum::serve(listener, app).await
}
