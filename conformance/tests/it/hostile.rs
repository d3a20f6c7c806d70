//! The runner against hand-rolled hostile servers on raw loopback sockets:
//! each misbehaviour becomes a named violation (or, for legal but unusual
//! HTTP, a clean pass), the run completes, and it takes no longer than the
//! cases, timeouts and concurrency allow.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use session_conformance::checks::CheckSet;
use session_conformance::run::{Progress, Settings, TargetRun, run_target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::backend::Api;
use crate::util::{failed, runtime, settings, target};

const CASES: u32 = 16;
const CONCURRENCY: usize = 4;
const TIMEOUT: Duration = Duration::from_millis(300);

const ERROR_401: &str = r#"{"error":"unauthorized","message":"Authentication required"}"#;

/// How a hostile server answers every request.
#[derive(Debug, Clone)]
enum Misbehaviour {
    /// These bytes, then close.
    Send(Vec<u8>),
    /// Headers promising a body, a little of it, then nothing.
    Stall,
    /// A chunked body that never ends.
    Endless,
    /// Headers and part of the body, then a TCP reset.
    Reset,
    /// Accept, read the request, never answer.
    Silent,
}

/// A raw TCP server on 127.0.0.1 and the connections it accepted.
struct Hostile {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

async fn hostile(misbehaviour: Misbehaviour) -> Hostile {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(answer(stream, misbehaviour.clone()));
        }
    });
    Hostile { addr, connections }
}

async fn answer(mut stream: TcpStream, misbehaviour: Misbehaviour) {
    // Read the request head (bounded); its content does not matter.
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let json_head = |extra: &str| {
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}\r\n").into_bytes()
    };
    match misbehaviour {
        Misbehaviour::Send(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Misbehaviour::Stall => {
            let _ = stream
                .write_all(&json_head("Content-Length: 100\r\n"))
                .await;
            let _ = stream.write_all(b"{\"session_id\":").await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Misbehaviour::Endless => {
            let _ = stream
                .write_all(&json_head("Transfer-Encoding: chunked\r\n"))
                .await;
            let chunk = format!("1000\r\n{}\r\n", " ".repeat(4096));
            while stream.write_all(chunk.as_bytes()).await.is_ok() {}
        }
        Misbehaviour::Reset => {
            let _ = stream
                .write_all(&json_head("Content-Length: 1000\r\n"))
                .await;
            let _ = stream.write_all(b"{\"session_id\":\"").await;
            let _ = stream.flush().await;
            let _ = stream.set_zero_linger();
            drop(stream);
        }
        Misbehaviour::Silent => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }
}

fn response(head: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn quick(checks: &str) -> Settings {
    let mut settings = settings(CASES);
    settings.limits.timeout = TIMEOUT;
    settings.limits.concurrency = CONCURRENCY;
    settings.limits.max_body = 64 * 1024;
    settings.checks = CheckSet::parse(checks).unwrap();
    settings
}

/// Runs the session-api runner against `misbehaviour`; the run must
/// complete, within the time its cases and timeout allow.
fn run_against(misbehaviour: Misbehaviour, checks: &str) -> TargetRun {
    let runtime = runtime();
    runtime.block_on(async {
        let server = hostile(misbehaviour).await;
        let target = target(Api::SessionApi, &format!("http://{}", server.addr));
        let settings = quick(checks);
        let started = Instant::now();
        let run = run_target(
            &target,
            &settings,
            &mut Progress::hidden(),
            "session-conformance check",
        )
        .await
        .expect("the run completes");
        // Cases: CASES x TIMEOUT / CONCURRENCY at worst; shrinking at most as
        // long again (at least 1 s); the preflight and a shrink request in
        // flight one timeout each; plus slack for a loaded machine.
        let cases = TIMEOUT * CASES / CONCURRENCY as u32;
        let bound =
            cases + cases.max(Duration::from_secs(1)) + 2 * TIMEOUT + Duration::from_secs(2);
        assert!(
            started.elapsed() < bound,
            "took {:?}, over the bound {bound:?}",
            started.elapsed()
        );
        assert!(server.connections.load(Ordering::SeqCst) >= 1);
        run
    })
}

fn finding(run: &TargetRun, check: &str) -> String {
    run.failures
        .iter()
        .find(|f| f.check.name() == check)
        .map(|f| f.finding.message.clone())
        .unwrap_or_else(|| panic!("no {check} failure in {:?}", failed(run)))
}

#[test]
fn headers_then_no_body_is_a_timeout() {
    let run = run_against(Misbehaviour::Stall, "all");
    assert!(failed(&run).contains(&"transport"), "{:?}", failed(&run));
    assert!(
        finding(&run, "transport").contains("no complete body"),
        "{}",
        finding(&run, "transport")
    );
    assert_eq!(run.cases, CASES);
}

#[test]
fn an_endless_body_is_cut_at_the_bound() {
    let run = run_against(Misbehaviour::Endless, "all");
    assert!(failed(&run).contains(&"body-size"), "{:?}", failed(&run));
    assert!(!failed(&run).contains(&"transport"), "{:?}", failed(&run));
}

#[test]
fn invalid_utf8_and_invalid_json_do_not_parse() {
    for body in [
        &b"\xff\xfe{\"session_id\": \"\xc3\x28\"}"[..],
        b"{\"session_id\": ",
    ] {
        let run = run_against(
            Misbehaviour::Send(response(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json",
                body,
            )),
            "all",
        );
        assert!(failed(&run).contains(&"body-parses"), "{:?}", failed(&run));
        assert!(finding(&run, "body-parses").contains("not JSON"));
    }
}

/// The runner asks for no content coding and decodes none, so a gzip bomb
/// is judged as the 16 KiB it is on the wire, never inflated to 16 MiB.
#[test]
fn a_gzip_bomb_is_never_inflated() {
    let bomb = include_bytes!("data/bomb.gz");
    let run = run_against(
        Misbehaviour::Send(response(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip",
            bomb,
        )),
        "all",
    );
    assert!(failed(&run).contains(&"body-parses"), "{:?}", failed(&run));
    assert!(
        finding(&run, "body-parses").contains("`gzip`-encoded"),
        "{}",
        finding(&run, "body-parses")
    );
    assert!(!failed(&run).contains(&"body-size"), "{:?}", failed(&run));
}

/// A redirect to another origin is reported, and nothing follows it there.
#[test]
fn a_redirect_to_another_host_is_not_followed() {
    let runtime = runtime();
    let elsewhere = runtime.block_on(hostile(Misbehaviour::Silent));
    let location = format!("http://{}/steal", elsewhere.addr);
    let run = {
        let redirect = response(
            &format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Type: application/json"
            ),
            b"{}",
        );
        run_against(Misbehaviour::Send(redirect), "all")
    };
    assert!(
        failed(&run).contains(&"status-documented"),
        "{:?}",
        failed(&run)
    );
    assert_eq!(
        elsewhere.connections.load(Ordering::SeqCst),
        0,
        "a redirect was followed"
    );
}

#[test]
fn a_reset_mid_body_is_a_transport_failure() {
    let run = run_against(Misbehaviour::Reset, "all");
    assert!(failed(&run).contains(&"transport"), "{:?}", failed(&run));
}

#[test]
fn a_server_that_accepts_but_never_answers_times_out_within_the_bound() {
    let run = run_against(Misbehaviour::Silent, "all");
    assert_eq!(failed(&run), ["transport"]);
    assert!(finding(&run, "transport").contains("no complete response"));
    assert!(
        run.notes
            .iter()
            .any(|n| n.contains("first plain request got no answer")),
        "{:?}",
        run.notes
    );
}

/// Legal but unusual HTTP is read in full and judged normally: an HTTP/1.0
/// body delimited by closing the connection, and informational (1xx)
/// answers before the real one.
#[test]
fn close_delimited_bodies_and_1xx_answers_are_judged_normally() {
    let challenge = "WWW-Authenticate: Bearer\r\nContent-Type: application/json";
    let mut http10 = format!("HTTP/1.0 401 Unauthorized\r\n{challenge}\r\n\r\n").into_bytes();
    http10.extend_from_slice(ERROR_401.as_bytes());
    let mut informational =
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
            .to_vec();
    informational.extend(response(
        &format!("HTTP/1.1 401 Unauthorized\r\n{challenge}"),
        ERROR_401.as_bytes(),
    ));
    for bytes in [http10, informational] {
        let run = run_against(Misbehaviour::Send(bytes), "response");
        assert!(failed(&run).is_empty(), "{:?}", failed(&run));
        let parsed = run
            .tallies
            .iter()
            .find(|t| t.check.name() == "body-schema")
            .unwrap();
        assert_eq!(
            parsed.passed,
            u64::from(CASES),
            "every body read in full and judged"
        );
    }
}
