use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use session_mock::args::MockArgs;
use session_mock::config::{FileConfig, MockConfig};
use tower::ServiceExt;

/// A config from command-line words, as the binary would build it.
pub(crate) fn config(words: &[&str]) -> MockConfig {
    use clap::Parser;
    let args =
        MockArgs::try_parse_from(std::iter::once("session-mock").chain(words.iter().copied()))
            .expect("flags parse");
    MockConfig::from_sources(&args, FileConfig::default()).expect("valid config")
}

pub(crate) fn app(words: &[&str]) -> Router {
    session_mock::app(config(words)).expect("app builds")
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
    pub(crate) raw: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub(crate) async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let raw = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body")
        .to_vec();
    let body = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&raw).unwrap_or(Value::Null)
    };
    Answer {
        status,
        headers,
        body,
        raw,
    }
}

pub(crate) async fn get(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(app, request.body(Body::empty()).expect("request")).await
}
