//! The plainest forwarding proxy there is, for `bench/proxy.sh`: axum in,
//! one pooled reqwest client out, the upstream's status, headers and
//! buffered body passed back; nothing judged, nothing journaled. The
//! validating proxy does this and judges every answer: the gap between the
//! two is what judging costs, the gap to the upstream direct what a hop does.
//!
//! `cargo run --release -p session-mock --example bare_proxy -- 127.0.0.1:4401 http://127.0.0.1:4400`

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:4401".to_owned());
    let upstream = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:4400".to_owned());
    // As the mock's proxy: reqwest has rustls without a provider.
    #[cfg(feature = "https")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(std::io::Error::other)?;
    let app = axum::Router::new()
        .fallback(forward)
        .with_state((client, upstream));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare proxy on http://{addr}");
    axum::serve(listener, app).await
}

async fn forward(
    State((client, upstream)): State<(reqwest::Client, String)>,
    request: Request,
) -> Response {
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut headers = request.headers().clone();
    headers.remove("host");
    let sent = client
        .request(request.method().clone(), format!("{upstream}{target}"))
        .headers(headers)
        .send()
        .await;
    let Ok(mut answer) = sent else {
        return bad_gateway();
    };
    let status = answer.status();
    let headers = std::mem::take(answer.headers_mut());
    let Ok(body) = answer.bytes().await else {
        return bad_gateway();
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

fn bad_gateway() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}
