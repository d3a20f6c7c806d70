use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use session_mock::MockApp;
use session_mock::MockArgs;
use session_mock::{FileConfig, MockConfig};
use tower::ServiceExt;

/// A config from command-line words, as the binary would build it.
pub(crate) fn config(words: &[&str]) -> MockConfig {
    use clap::Parser;
    let args =
        MockArgs::try_parse_from(std::iter::once("session-mock").chain(words.iter().copied()))
            .expect("flags parse");
    MockConfig::from_sources(&args, FileConfig::default()).expect("valid config")
}

pub(crate) fn app(words: &[&str]) -> MockApp {
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

pub(crate) async fn send(app: &MockApp, request: Request<Body>) -> Answer {
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

/// A request as if from `peer`: the address is only a value attached to
/// the request, nothing is sent anywhere. Non-GET requests carry `{}`.
pub(crate) fn from_peer(method: &str, path: &str, peer: &str) -> Request<Body> {
    let body = if method == "GET" { "" } else { "{}" };
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::from(body))
        .expect("request");
    request.extensions_mut().insert(axum::extract::ConnectInfo(
        peer.parse::<std::net::SocketAddr>().expect("addr"),
    ));
    request
}

pub(crate) async fn get(app: &MockApp, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(app, request.body(Body::empty()).expect("request")).await
}

/// An HTTP answer read off a real socket.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) text: String,
    pub(crate) body: Value,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` line.
    pub(crate) fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The `Set-Cookie` line for `name`, if any.
    pub(crate) fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

/// A client of a mock on a real socket, as a browser's fetch would be: no
/// redirects followed, cookies sent only as the test says.
pub(crate) struct Http {
    client: reqwest::Client,
    pub(crate) base: String,
}

impl Http {
    pub(crate) fn new(base: String) -> Self {
        // reqwest may have rustls without a provider (a workspace build).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self { client, base }
    }

    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("the mock answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            body,
        }
    }

    pub(crate) async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, headers, None).await
    }

    /// A JSON admin call.
    pub(crate) async fn admin(&self, method: &str, path: &str, body: Value) -> Reply {
        let text = (!body.is_null()).then(|| body.to_string());
        self.send(method, path, &[("content-type", "application/json")], text)
            .await
    }
}

/// A mock on 127.0.0.1 with a free port, from command-line words.
pub(crate) async fn serve(words: &[&str]) -> (session_mock::MockServer, Http) {
    let mut config = config(words);
    config.listen = "127.0.0.1:0".parse().expect("addr");
    serve_config(config).await
}

pub(crate) async fn serve_config(config: MockConfig) -> (session_mock::MockServer, Http) {
    let server = session_mock::MockServer::start(config)
        .await
        .expect("the mock starts");
    let http = Http::new(server.url(""));
    (server, http)
}
