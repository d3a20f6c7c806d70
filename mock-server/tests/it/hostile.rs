//! Whatever a browser, a load test or an attacker sends on a real socket:
//! the mock never panics, answers a 5xx only when a scenario asks for one,
//! refuses oversized requests with 414/431, keeps its admin API's bounds,
//! and goes on serving correct answers afterwards.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use session_mock::{MAX_HEADER_BYTES, MAX_URI_BYTES, MockServer};

/// A token the auth-aware mock is told to accept.
const TOKEN: &str = "hostile-test-token-0123456789";

/// The mock on a runtime of its own, so blocking sockets can talk to it.
struct Served {
    _runtime: tokio::runtime::Runtime,
    server: MockServer,
}

fn serve(words: &[&str]) -> Served {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut words = words.to_vec();
    words.extend(["--listen", "127.0.0.1:0"]);
    let config = crate::util::config(&words);
    let server = runtime.block_on(MockServer::start(config)).expect("mock");
    Served {
        _runtime: runtime,
        server,
    }
}

/// Sends raw bytes, reads the answer (bounded); `None` when the server
/// closed without answering (acceptable only for malformed HTTP).
fn exchange(addr: SocketAddr, request: &[u8]) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The server may answer (and close) before reading everything we send.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let read = stream.take(1 << 20).read_to_end(&mut answer);
    if let Err(e) = read {
        assert!(
            !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "the mock hung: no answer within 10 s"
        );
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    Some((status, text))
}

fn assert_still_serving(addr: SocketAddr) {
    let (status, text) = exchange(
        addr,
        format!(
            "GET /auth/session HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .expect("an answer");
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"session_id\""), "{text}");
}

/// One hostile request, as bytes on the wire.
#[derive(Debug, Clone)]
struct Raw {
    method: String,
    target: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
}

impl Raw {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// Header-value bytes: anything but CR, LF and NUL, non-UTF-8 included.
fn value_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![4 => 0x20u8..0x7f, 1 => 0x80u8..=0xff, 1 => Just(b'\t')],
        0..max,
    )
}

/// Scenario names a request might pick: real ones (never the 500 one),
/// near misses, garbage.
fn scenario_word() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "valid",
            "empty",
            "401",
            "404",
            "unauthorized",
            "not-found",
            "invalid-token"
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        value_bytes(24),
        Just(b"../../etc/passwd".to_vec()),
        Just(vec![0xc3, 0x28]),
    ]
    .prop_filter("not a 500 scenario", |w| {
        !matches!(&w[..], b"500" | b"server-error") && !w.windows(3).any(|x| x == b"500")
    })
}

fn raw_request() -> impl Strategy<Value = Raw> {
    // Mostly requests that reach the endpoints, where the logic is.
    let method = prop_oneof![
        6 => Just("GET".to_owned()),
        1 => prop::sample::select(vec![
            "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"
        ])
        .prop_map(str::to_owned),
        1 => "[A-Z]{1,12}",
    ];
    let path = prop_oneof![
        6 => prop::sample::select(vec!["/auth/session", "/api/auth/session"])
            .prop_map(|p| p.as_bytes().to_vec()),
        1 => prop::sample::select(vec!["/__mock/health", "/__mock/scenarios", "/__mock/requests", "/"])
            .prop_map(|p| p.as_bytes().to_vec()),
        2 => proptest::collection::vec(
            prop_oneof![
                Just(b"/".to_vec()),
                Just(b"..".to_vec()),
                Just(b"%2e%2e".to_vec()),
                Just(b"%ff".to_vec()),
                "[a-z0-9_-]{1,8}".prop_map(String::into_bytes)
            ],
            1..8,
        )
        .prop_map(|parts| parts.concat()),
    ];
    let query = proptest::option::of(proptest::collection::vec(
        prop_oneof![
            scenario_word().prop_map(|w| [b"__scenario=".to_vec(), w].concat()),
            "[a-z]{1,6}=[a-zA-Z0-9%+]{0,20}".prop_map(String::into_bytes),
            Just(b"=&&=".to_vec()),
        ],
        1..4,
    ));
    let header = prop_oneof![
        scenario_word().prop_map(|w| ("Mock-Scenario".to_owned(), w)),
        prop_oneof![
            Just(b"code=abc".to_vec()),
            Just(b"code=999999999999".to_vec()),
            Just(b"example=".to_vec()),
            Just(b"code=401, example=nope".to_vec()),
            value_bytes(40),
        ]
        .prop_map(|v| ("Prefer".to_owned(), v)),
        value_bytes(64).prop_map(|v| (
            "Authorization".to_owned(),
            [b"Bearer ".to_vec(), v].concat()
        )),
        proptest::collection::vec(("[a-zA-Z._-]{1,24}", "[ -~]{0,40}"), 0..200).prop_map(|pairs| {
            let cookies: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", v.replace(';', "")))
                .collect();
            ("Cookie".to_owned(), cookies.join("; ").into_bytes())
        }),
        (
            "Origin",
            prop_oneof![Just(b"http://localhost:3000".to_vec()), value_bytes(40)]
        )
            .prop_map(|(n, v)| (n.to_owned(), v)),
        ("[A-Za-z][A-Za-z0-9-]{0,30}", value_bytes(200)),
        ("X-Huge", value_bytes(40_000)),
    ];
    (
        method,
        path,
        query,
        proptest::collection::vec(header, 0..12),
    )
        .prop_map(|(method, path, query, headers)| {
            let mut target = path;
            if let Some(parts) = query {
                target.push(b'?');
                target.extend(parts.join(&b'&'));
            }
            Raw {
                method,
                target,
                headers,
            }
        })
}

#[test]
fn random_raw_requests_never_get_a_5xx_and_never_stop_the_server() {
    for words in [
        &[][..],
        &["--auth", "known", "--token", TOKEN, "--data", "generated"],
    ] {
        let served = serve(words);
        let addr = served.server.addr();
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: 300,
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
        );
        runner
            .run(&raw_request(), |raw| {
                if let Some((status, text)) = exchange(addr, &raw.bytes()) {
                    prop_assert!(status < 500, "{status} for {raw:?}:\n{text}");
                }
                Ok(())
            })
            .unwrap();
        assert_still_serving(addr);
    }
}

#[test]
fn oversized_requests_get_414_and_431_with_a_reason() {
    let served = serve(&[]);
    let addr = served.server.addr();
    let long = format!("/auth/session?q={}", "a".repeat(MAX_URI_BYTES));
    let (status, text) = exchange(
        addr,
        format!("GET {long} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 414, "{text}");
    assert!(
        text.contains("uri_too_long") && text.contains(&MAX_URI_BYTES.to_string()),
        "{text}"
    );

    let cookie = format!("a={}", "b".repeat(MAX_HEADER_BYTES));
    let (status, text) = exchange(
        addr,
        format!("GET /auth/session HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n").as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 431, "{text}");
    assert!(text.contains("header_fields_too_large"), "{text}");

    // Many headers, each small: hyper's own limit on their number.
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let (status, _) = exchange(
        addr,
        format!("GET /auth/session HTTP/1.1\r\nHost: x\r\n{many}\r\n").as_bytes(),
    )
    .expect("an answer");
    assert_eq!(status, 431);

    // Just under the limits is served.
    let fits = format!("/auth/session?q={}", "a".repeat(MAX_URI_BYTES - 64));
    let cookie = format!("a={}", "b".repeat(MAX_HEADER_BYTES - 512));
    let (status, text) = exchange(
        addr,
        format!("GET {fits} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 200, "{text}");
    assert_still_serving(addr);
}

#[test]
fn the_admin_api_bounds_bodies_and_names_bad_json() {
    let served = serve(&[]);
    let addr = served.server.addr();
    let put = |body: &[u8]| {
        let mut request = format!(
            "PUT /__mock/scenarios HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        exchange(addr, &request).expect("an answer")
    };
    let (status, text) = put(&vec![b' '; 200_000]);
    assert_eq!(status, 413, "{text}");
    for (body, names) in [
        (&b"{bad"[..], "line 1 column 2"),
        (b"\xff\xfe", "not valid JSON"),
        (br#"{"session-api": 401}"#, "session-api"),
        (br#"{"nope": "401"}"#, "nope"),
        (br#"[1, 2]"#, "object"),
    ] {
        let (status, text) = put(body);
        assert_eq!(status, 400, "{text}");
        assert!(text.contains(names), "{names:?} in {text}");
    }
    // Chunked, without a length, over the bound.
    let mut chunked = b"PUT /__mock/scenarios HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..40 {
        chunked.extend_from_slice(format!("{:x}\r\n{}\r\n", 4096, " ".repeat(4096)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(exchange(addr, &chunked).expect("an answer").0, 413);
    assert_still_serving(addr);
}
