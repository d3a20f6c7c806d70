//! The benchmark baseline: a bare axum handler serving the session-api
//! session as a static string, with nothing else in the way: the ceiling
//! the mock is measured against (see `bench/run.sh`).
//!
//! `cargo run --release -p session-mock --example bare -- 127.0.0.1:4400`

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4400".to_owned());
    // The same bytes the mock serves for the fixture, made static once.
    let contract = session_schemas::Registry::builtin()
        .get("session-api")
        .map_err(std::io::Error::other)?;
    let scenario = contract.scenario("valid").map_err(std::io::Error::other)?;
    let body: &'static str = Box::leak(scenario.body.to_string().into_boxed_str());
    let app = Router::new().route(
        "/auth/session",
        get(move || async move { ([(CONTENT_TYPE, "application/json")], body) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare baseline on http://{addr}/auth/session ({} bytes)", body.len());
    axum::serve(listener, app).await
}
