//! The validating proxy against wiremock upstreams on loopback: a
//! conformant one passed through byte for byte, planted defects caught by
//! their checks (header, journal, summary, strict 502), failing upstreams
//! (refused, silent, reset, endless), the fallback, and scenario requests
//! that never reach the upstream.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer as Upstream, ResponseTemplate};

use crate::util::{Answer, app, get, send};

const SESSION: &str = "/api/auth/session";
const COOKIE: &str = "authjs.session-token=tok-4f1c9a7e2b8d4c6f";

/// A valid Auth.js session body, timestamps around now: the mock's own.
async fn valid_session() -> Value {
    get(&app(&[]), SESSION, &[]).await.body
}

/// An upstream that answers the session route as the contract says: `{}`
/// without a cookie, the session with one.
async fn conformant() -> Upstream {
    let upstream = Upstream::start().await;
    let session = valid_session().await;
    Mock::given(method("GET"))
        .and(path(SESSION))
        .and(header("cookie", COOKIE))
        .respond_with(json_answer(200, &session))
        .with_priority(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(SESSION))
        .respond_with(json_answer(200, &json!({})))
        .with_priority(2)
        .mount(&upstream)
        .await;
    upstream
}

fn json_answer(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("cache-control", "private, no-cache, no-store")
        .set_body_raw(body.to_string(), "application/json")
}

/// An upstream whose session route always answers `answer`.
async fn session_upstream(answer: ResponseTemplate) -> Upstream {
    let upstream = Upstream::start().await;
    Mock::given(method("GET"))
        .and(path(SESSION))
        .respond_with(answer)
        .mount(&upstream)
        .await;
    upstream
}

fn proxy_to(upstream: &str, more: &[&str]) -> session_mock::MockApp {
    let mut words = vec!["--proxy", upstream, "--only", "authjs"];
    words.extend_from_slice(more);
    app(&words)
}

async fn journal(app: &session_mock::MockApp) -> Vec<Value> {
    get(app, "/__mock/requests", &[]).await.body["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn violations(app: &session_mock::MockApp) -> Value {
    get(app, "/__mock/violations", &[]).await.body
}

/// The checks the summary lists for authjs.
fn summarised(summary: &Value) -> Vec<String> {
    summary["contracts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["violations"].as_array().cloned().unwrap_or_default())
        .map(|v| v["check"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_conformant_upstream_is_passed_through_unchanged_and_judged_clean() {
    let upstream = conformant().await;
    let app = proxy_to(&upstream.uri(), &[]);

    let signed_in = get(&app, SESSION, &[("cookie", COOKIE)]).await;
    assert_eq!(signed_in.status, 200);
    assert_eq!(signed_in.header("mock-source"), Some("upstream"));
    assert_eq!(
        signed_in.header("mock-violations"),
        None,
        "{:?}",
        signed_in.headers
    );
    let sent = upstream.received_requests().await.expect("recorded");
    let upstream_body = valid_session().await;
    assert_eq!(signed_in.body["user"], upstream_body["user"]);
    assert_eq!(
        signed_in.header("cache-control"),
        Some("private, no-cache, no-store")
    );
    assert_eq!(sent.len(), 1);
    // The cookie went through; Host is the upstream's.
    let host = sent[0].headers.get("host").and_then(|h| h.to_str().ok());
    assert_eq!(
        host,
        Some(upstream.address().to_string().as_str()),
        "Host rewritten"
    );

    let signed_out = get(&app, SESSION, &[]).await;
    assert_eq!(
        (signed_out.status.as_u16(), signed_out.raw.as_slice()),
        (200, &b"{}"[..])
    );
    assert_eq!(signed_out.header("mock-violations"), None);

    let summary = violations(&app).await;
    assert_eq!(summary["distinct_violations"], 0, "{summary:#}");
    assert_eq!(summary["contracts"][0]["answers_judged"], 2, "{summary:#}");
    let entries = journal(&app).await;
    assert!(
        entries
            .iter()
            .all(|e| e["source"] == "upstream"
                && e.get("violations").is_some_and(|v| v == &json!([]))),
        "{entries:#?}"
    );
    // The journal shows a fingerprint, never the cookie.
    let text = serde_json::to_string(&entries).expect("json");
    assert!(!text.contains("tok-4f1c9a7e2b8d4c6f"), "{text}");
}

#[tokio::test]
async fn bytes_cookies_redirects_and_query_pass_through_and_hop_by_hop_headers_do_not() {
    let upstream = Upstream::start().await;
    let odd = br#"{"csrfToken" :  "abc"}"#; // spacing a re-serialisation would change
    Mock::given(method("GET"))
        .and(path("/api/auth/csrf"))
        .and(query_param("x", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("set-cookie", "authjs.csrf-token=t1; Path=/; HttpOnly")
                .append_header("set-cookie", "authjs.callback-url=u; Path=/")
                .set_body_raw(odd.to_vec(), "application/json"),
        )
        .mount(&upstream)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/auth/callback/credentials"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", "http://app.example/dashboard")
                .insert_header("set-cookie", "authjs.session-token=new; Path=/; HttpOnly"),
        )
        .mount(&upstream)
        .await;
    let app = proxy_to(&upstream.uri(), &[]);

    let csrf = get(
        &app,
        "/api/auth/csrf?x=1",
        &[
            ("connection", "x-hop"),
            ("x-hop", "dropped"),
            ("keep-alive", "timeout=5"),
            ("x-kept", "kept"),
        ],
    )
    .await;
    assert_eq!(csrf.status, 200);
    assert_eq!(csrf.raw, odd.to_vec(), "bytes unchanged");
    let cookies: Vec<&str> = csrf
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(
        cookies,
        [
            "authjs.csrf-token=t1; Path=/; HttpOnly",
            "authjs.callback-url=u; Path=/"
        ]
    );
    let request = &upstream.received_requests().await.expect("recorded")[0];
    assert!(
        request.headers.get("x-hop").is_none(),
        "named in Connection"
    );
    assert!(request.headers.get("keep-alive").is_none());
    assert_eq!(
        request.headers.get("x-kept").and_then(|v| v.to_str().ok()),
        Some("kept")
    );

    let post = send(
        &app,
        Request::post("/api/auth/callback/credentials")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("csrfToken=abc&username=dev&password=dev"))
            .expect("request"),
    )
    .await;
    assert_eq!(post.status, 302, "a redirect is passed back, not followed");
    assert_eq!(
        post.header("location"),
        Some("http://app.example/dashboard")
    );
    assert_eq!(
        post.header("set-cookie"),
        Some("authjs.session-token=new; Path=/; HttpOnly")
    );
    let received = upstream.received_requests().await.expect("recorded");
    assert_eq!(
        received[1].body,
        b"csrfToken=abc&username=dev&password=dev".to_vec(),
        "the form went through"
    );
}

/// A planted defect: what the upstream answers without a cookie, and the
/// check that must catch it.
async fn defect(answer: ResponseTemplate, check: &str) {
    let upstream = session_upstream(answer).await;
    let app = proxy_to(&upstream.uri(), &[]);
    let answer = get(&app, SESSION, &[]).await;
    let header = answer.header("mock-violations").unwrap_or_default();
    assert!(
        header.contains(check),
        "{check}: Mock-Violations {header:?}"
    );
    assert_eq!(answer.header("mock-source"), Some("upstream"));
    assert_ne!(answer.status, 502, "passed through without --proxy-strict");
    let entries = journal(&app).await;
    let judged: Vec<&str> = entries[0]["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter_map(|v| v["check"].as_str())
        .collect();
    assert!(judged.contains(&check), "{check}: journal {entries:#?}");
    assert!(summarised(&violations(&app).await).contains(&check.to_owned()));

    let strict = proxy_to(&upstream.uri(), &["--proxy-strict"]);
    let refused: Answer = get(&strict, SESSION, &[]).await;
    assert_eq!(refused.status, 502, "{check} under --proxy-strict");
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    let listed: Vec<&str> = refused.body["violations"]
        .as_array()
        .expect("listed")
        .iter()
        .filter_map(|v| v["check"].as_str())
        .collect();
    assert!(listed.contains(&check), "{check}: {:#}", refused.body);
}

#[tokio::test]
async fn each_planted_defect_is_reported_by_its_check_everywhere() {
    // `null` for a signed-out visitor (what next-auth's client expects of
    // old servers, not what the contract says).
    defect(json_answer(200, &Value::Null), "body-schema").await;
    // A 401 where the contract says 200 `{}`.
    defect(
        json_answer(401, &json!({"error": "no"})),
        "status-documented",
    )
    .await;
    // JSON declared as text.
    defect(
        ResponseTemplate::new(200).set_body_raw("{}", "text/plain"),
        "content-type",
    )
    .await;
    // Not JSON at all.
    defect(
        ResponseTemplate::new(200).set_body_raw("{\"user\":", "application/json"),
        "body-parses",
    )
    .await;
    // A session for a request without any credential.
    defect(json_answer(200, &valid_session().await), "auth-bypass").await;
    // A 500 for a visitor who sent nothing.
    defect(
        json_answer(500, &json!({"message": "boom"})),
        "no-server-error",
    )
    .await;
}

#[tokio::test]
async fn a_session_without_its_required_fields_names_them_and_a_credential_echo_is_caught() {
    let mut session = valid_session().await;
    session["user"].as_object_mut().expect("user").remove("id");
    let upstream = session_upstream(json_answer(200, &session)).await;
    let app = proxy_to(&upstream.uri(), &[]);
    let answer = get(&app, SESSION, &[("cookie", COOKIE)]).await;
    let header = answer.header("mock-violations").unwrap_or_default();
    assert!(
        header.starts_with("1; first=body-schema") && header.contains("\"id\""),
        "{header}"
    );
    assert!(
        !header.contains("ada"),
        "no body values in the header: {header}"
    );

    // A body that echoes the cookie it was sent.
    let echo = session_upstream(json_answer(
        200,
        &json!({"error": "bad session tok-4f1c9a7e2b8d4c6f"}),
    ))
    .await;
    let app = proxy_to(&echo.uri(), &[]);
    let answer = get(&app, SESSION, &[("cookie", COOKIE)]).await;
    assert!(
        answer
            .header("mock-violations")
            .is_some_and(|h| h.starts_with("2; first=body-schema")),
        "{:?}",
        answer.headers
    );
    let entries = journal(&app).await;
    assert!(
        entries[0]["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .any(|v| v["check"] == "body-leak" && v["message"] == "the body echoes the credential"),
        "{entries:#?}"
    );
    let text = get(&app, "/__mock/requests", &[]).await.raw;
    let text = String::from_utf8_lossy(&text);
    assert!(!text.contains("tok-4f1c9a7e2b8d4c6f"), "{text}");
}

#[tokio::test]
async fn scenario_requests_are_answered_by_the_mock_and_never_reach_the_upstream() {
    let upstream = Upstream::start().await;
    Mock::given(method("GET"))
        .respond_with(json_answer(200, &json!({})))
        .expect(0)
        .mount(&upstream)
        .await;
    let app = proxy_to(&upstream.uri(), &[]);
    for (uri, headers) in [
        (format!("{SESSION}?__scenario=500"), vec![]),
        (SESSION.to_owned(), vec![("mock-scenario", "empty")]),
        (SESSION.to_owned(), vec![("prefer", "code=500")]),
    ] {
        let answer = get(&app, &uri, &headers).await;
        assert_eq!(
            answer.header("mock-source"),
            Some("mock"),
            "{uri} {headers:?}"
        );
        assert!(answer.header("mock-scenario").is_some());
    }
    let chosen = send(
        &app,
        Request::put("/__mock/scenarios")
            .body(Body::from(r#"{"authjs": "500"}"#))
            .expect("request"),
    )
    .await;
    assert_eq!(chosen.status, 200);
    let runtime = get(&app, SESSION, &[]).await;
    assert_eq!(
        (runtime.status.as_u16(), runtime.header("mock-source")),
        (500, Some("mock"))
    );
    let entries = journal(&app).await;
    assert!(
        entries
            .iter()
            .filter(|e| e["path"] == SESSION)
            .all(|e| e["source"] == "mock")
    );
    assert!(
        upstream
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
    upstream.verify().await;
}

/// A loopback port with nothing listening.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_with_a_reason_or_the_fallbacks_answer() {
    let url = closed_port();
    let app = proxy_to(&url, &[]);
    let answer = get(&app, SESSION, &[]).await;
    assert_eq!(answer.status, 502);
    assert_eq!(
        answer.body["error"], "upstream_unreachable",
        "{:#}",
        answer.body
    );
    assert!(summarised(&violations(&app).await).contains(&"transport".to_owned()));

    let fallback = proxy_to(&url, &["--proxy-fallback"]);
    let answer = get(&fallback, SESSION, &[]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("mock-source"), Some("fallback"));
    assert!(
        answer.body["user"].is_object(),
        "the mock's default scenario"
    );
    let entries = journal(&fallback).await;
    assert!(
        entries.iter().any(|e| e["source"] == "fallback"),
        "{entries:#?}"
    );
    // The sign-in routes fall back to the mock's too.
    let csrf = get(&fallback, "/api/auth/csrf", &[]).await;
    assert_eq!(csrf.status, 200);
    assert_eq!(csrf.header("mock-source"), Some("fallback"));
    assert!(csrf.body["csrfToken"].is_string());
    // The fallback is the mock's answer, configured latency included.
    let slow = proxy_to(&url, &["--proxy-fallback", "--latency", "300ms"]);
    let started = std::time::Instant::now();
    let answer = get(&slow, SESSION, &[]).await;
    assert_eq!(answer.header("mock-source"), Some("fallback"));
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_silent_upstream_is_a_504_after_the_timeout_and_a_huge_body_a_502() {
    let upstream = Upstream::start().await;
    Mock::given(method("GET"))
        .and(path(SESSION))
        .respond_with(json_answer(200, &json!({})).set_delay(std::time::Duration::from_secs(5)))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/auth/providers"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_bytes(vec![b' '; 2 * 1024 * 1024]),
        )
        .mount(&upstream)
        .await;
    let app = proxy_to(&upstream.uri(), &["--proxy-timeout", "200ms"]);
    let started = std::time::Instant::now();
    let answer = get(&app, SESSION, &[]).await;
    assert_eq!(answer.status, 504);
    assert_eq!(answer.body["error"], "upstream_timeout");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    let huge = get(&app, "/api/auth/providers", &[]).await;
    assert_eq!(huge.status, 502);
    assert_eq!(huge.body["error"], "upstream_body_too_large");

    let fallback = proxy_to(
        &upstream.uri(),
        &["--proxy-timeout", "200ms", "--proxy-fallback"],
    );
    let answer = get(&fallback, SESSION, &[]).await;
    assert_eq!(
        (answer.status.as_u16(), answer.header("mock-source")),
        (200, Some("fallback"))
    );
}

#[tokio::test]
async fn an_upstream_that_resets_the_connection_is_a_502() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await;
            // Half an answer, then gone.
            let _ = tokio::io::AsyncWriteExt::write_all(
                &mut socket,
                b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"us",
            )
            .await;
            drop(socket);
        }
    });
    let app = proxy_to(&format!("http://{addr}"), &[]);
    let answer = get(&app, SESSION, &[]).await;
    assert_eq!(answer.status, 502);
    assert_eq!(answer.body["error"], "upstream_broken", "{:#}", answer.body);
}

#[tokio::test]
async fn cross_origin_requests_get_the_mocks_cors_headers_not_the_upstreams() {
    let upstream = session_upstream(
        json_answer(200, &json!({})).insert_header("access-control-allow-origin", "*"),
    )
    .await;
    let app = proxy_to(&upstream.uri(), &[]);
    let answer = get(&app, SESSION, &[("origin", "http://localhost:3000")]).await;
    assert_eq!(answer.header("mock-source"), Some("upstream"));
    let allowed: Vec<&str> = answer
        .headers
        .get_all("access-control-allow-origin")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(allowed, ["http://localhost:3000"]);
    assert_eq!(
        answer.header("access-control-allow-credentials"),
        Some("true")
    );
    // A preflight is the mock's to answer.
    let preflight = send(
        &app,
        Request::options(SESSION)
            .header("origin", "http://localhost:3000")
            .header("access-control-request-method", "GET")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert!(preflight.status.is_success());
    assert_eq!(
        upstream.received_requests().await.expect("recorded").len(),
        1
    );
}

#[tokio::test]
async fn the_summary_resets_and_bad_proxy_settings_are_refused() {
    let upstream = session_upstream(json_answer(200, &Value::Null)).await;
    let app = proxy_to(&upstream.uri(), &[]);
    get(&app, SESSION, &[]).await;
    get(&app, SESSION, &[]).await;
    let summary = violations(&app).await;
    assert_eq!(
        summary["contracts"][0]["violations"][0]["count"], 2,
        "{summary:#}"
    );
    assert!(
        summary["summary"]
            .as_str()
            .is_some_and(|s| s.contains("broke the contract 1 way in 2 judged answers")),
        "{summary:#}"
    );
    let reset = send(
        &app,
        Request::delete("/__mock/violations")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(reset.status, 204);
    assert_eq!(violations(&app).await["distinct_violations"], 0);
    // Without a proxy there is no summary.
    assert_eq!(
        get(&crate::util::app(&[]), "/__mock/violations", &[])
            .await
            .status,
        404
    );

    use clap::Parser;
    for (words, key) in [
        (vec!["--proxy", "ftp://example.com"], "proxy"),
        (vec!["--proxy", "http://user:pw@127.0.0.1:1"], "proxy"),
        (vec!["--proxy", "nope=http://127.0.0.1:1"], "proxy"),
        (vec!["--proxy", "http://127.0.0.1:1/?a=b"], "proxy"),
        (vec!["--proxy-strict"], "proxy-strict"),
        (
            vec!["--proxy", "http://127.0.0.1:1", "--proxy-timeout", "0s"],
            "proxy-timeout",
        ),
    ] {
        // Refused where the value is read: the flag itself (a value out of
        // range), or the configuration it makes (an upstream's contract).
        let error = match session_mock::MockArgs::try_parse_from(
            std::iter::once("session-mock").chain(words.iter().copied()),
        ) {
            Ok(args) => {
                session_mock::MockConfig::from_sources(&args, session_mock::FileConfig::default())
                    .expect_err(&format!("{words:?} is refused"))
                    .to_string()
            }
            Err(flag) => {
                session_mock::refused_flag(&flag).unwrap_or_else(|| panic!("{words:?}: {flag}"))
            }
        };
        assert!(error.starts_with(key), "{words:?}: {error}");
        assert!(!error.contains("pw@"), "no password echoed: {error}");
    }
}
