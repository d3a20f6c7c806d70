//! On a real socket: CORS with credentials, HEAD and OPTIONS, the fail rate,
//! the journal (bounded, redacted) and the admin API's loopback rule.

use session_mock::MockServer;

use crate::util::config;

async fn start(words: &[&str]) -> MockServer {
    let mut words = words.to_vec();
    words.extend(["--listen", "127.0.0.1:0"]);
    MockServer::start(config(&words)).await.expect("starts")
}

/// A minimal HTTP/1.1 exchange, so the test sees exactly what a client would.
async fn raw(server: &MockServer, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut response),
    )
    .await;
    assert!(read.is_ok(), "the server answered within 5 s");
    String::from_utf8_lossy(&response).into_owned()
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn a_credentialed_preflight_and_request_from_a_local_origin_are_allowed() {
    let server = start(&[]).await;
    let preflight = raw(
        &server,
        "OPTIONS /api/auth/session HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:5173\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: prefer, mock-scenario, authorization\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(preflight.starts_with("HTTP/1.1 200"), "{preflight}");
    assert_eq!(
        header(&preflight, "access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(
        header(&preflight, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(
        header(&preflight, "access-control-allow-headers"),
        Some("prefer, mock-scenario, authorization")
    );
    let response = raw(&server, "GET /api/auth/session HTTP/1.1\r\nHost: x\r\nOrigin: http://127.0.0.1:3000\r\nCookie: a=b\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("http://127.0.0.1:3000")
    );
    assert_eq!(
        header(&response, "access-control-allow-credentials"),
        Some("true")
    );
    let foreign = raw(&server, "GET /api/auth/session HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        header(&foreign, "access-control-allow-origin"),
        None,
        "{foreign}"
    );
    assert!(!foreign.contains("access-control-allow-origin: *"));
    // Without an Origin (curl, load tests) the CORS layer is skipped: no
    // CORS headers, and the same body.
    let plain = raw(
        &server,
        "GET /api/auth/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(plain.starts_with("HTTP/1.1 200"), "{plain}");
    assert_eq!(header(&plain, "access-control-allow-origin"), None);
    assert_eq!(header(&plain, "vary"), None);
    server.stop().await;
}

#[tokio::test]
async fn head_and_plain_options_are_answered_and_other_methods_get_405_with_allow() {
    let server = start(&[]).await;
    let head = raw(
        &server,
        "HEAD /auth/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.ends_with("\r\n\r\n"), "no body after HEAD: {head:?}");
    let options = raw(
        &server,
        "OPTIONS /auth/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(options.starts_with("HTTP/1.1 204"), "{options}");
    assert_eq!(header(&options, "allow"), Some("GET, HEAD, OPTIONS"));
    let delete = raw(
        &server,
        "DELETE /auth/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(delete.starts_with("HTTP/1.1 405"), "{delete}");
    assert_eq!(header(&delete, "allow"), Some("GET, HEAD, OPTIONS"));
    server.stop().await;
}

async fn statuses(server: &MockServer, count: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..count {
        let response = raw(
            server,
            "GET /auth/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        out.push(response[9..12].parse().expect("status"));
    }
    out
}

#[tokio::test]
async fn the_fail_rate_fails_the_same_requests_for_the_same_seed() {
    let first = start(&["--fail-rate", "0.3", "--seed", "11"]).await;
    let a = statuses(&first, 60).await;
    first.stop().await;
    let second = start(&["--fail-rate", "0.3", "--seed", "11"]).await;
    let b = statuses(&second, 60).await;
    second.stop().await;
    assert_eq!(a, b);
    let failures = a.iter().filter(|&&s| s == 500).count();
    assert!((6..=30).contains(&failures), "about 30% of 60: {failures}");
    assert!(a.iter().all(|&s| s == 200 || s == 500));
}

#[tokio::test]
async fn the_journal_is_bounded_and_never_holds_a_credential() {
    let server = start(&["--journal-size", "3", "--auth", "any"]).await;
    for _ in 0..5 {
        raw(&server, "GET /auth/session?access_token=query-secret HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer top-secret-token\r\nConnection: close\r\n\r\n").await;
    }
    raw(&server, "GET /api/auth/session?__scenario=empty HTTP/1.1\r\nHost: x\r\nCookie: authjs.session-token=cookie-secret\r\nConnection: close\r\n\r\n").await;
    let journal = raw(
        &server,
        "GET /__mock/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    let body: serde_json::Value =
        serde_json::from_str(journal.split("\r\n\r\n").nth(1).expect("body")).expect("json");
    let entries = body["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3);
    assert_eq!(body["dropped"], 3);
    assert_eq!(entries[2]["scenario"], "empty");
    assert_eq!(entries[2]["reason"], "query-parameter");
    assert_eq!(entries[1]["reason"], "credential");
    for secret in ["top-secret-token", "query-secret", "cookie-secret"] {
        assert!(!journal.contains(secret), "{secret} leaked: {journal}");
    }
    let cleared = raw(
        &server,
        "DELETE /__mock/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(cleared.starts_with("HTTP/1.1 204"), "{cleared}");
    server.stop().await;
}

#[tokio::test]
async fn the_admin_api_can_be_turned_off() {
    let server = start(&["--no-admin"]).await;
    let listing = raw(
        &server,
        "GET /__mock/scenarios HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(listing.starts_with("HTTP/1.1 404"), "{listing}");
    let health = raw(
        &server,
        "GET /__mock/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    server.stop().await;
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let server = start(&["--latency", "150ms"]).await;
    let started = std::time::Instant::now();
    raw(
        &server,
        "GET /auth/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}
