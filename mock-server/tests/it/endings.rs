//! An ending is forever: a credential the mock ended (revoked, signed out,
//! expired) never answers a session again before its own expiry, however
//! the store churns, with or without a state file, across restarts (the
//! state file's, and a killed process's). And the clock's edges: every
//! instant it can reach is one every route answers at, without a 5xx.

use std::time::Duration;

use serde_json::{Value, json};

use crate::signin::Browser;
use crate::util::{Http, Reply, serve};

/// A session-api session: its token and id.
async fn create(http: &Http) -> Result<(String, String), Reply> {
    let reply = http
        .admin(
            "POST",
            "/__mock/sessions",
            json!({"contract": "session-api"}),
        )
        .await;
    if reply.status != 201 {
        return Err(reply);
    }
    Ok((
        reply.body["token"].as_str().expect("token").to_owned(),
        reply.body["session"]["id"].as_str().expect("id").to_owned(),
    ))
}

async fn revoke(http: &Http, id: &str) {
    let reply = http
        .admin("DELETE", &format!("/__mock/sessions/{id}"), Value::Null)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

async fn status_of(http: &Http, token: &str) -> u16 {
    let header = format!("Bearer {token}");
    http.get("/auth/session", &[("authorization", &header)])
        .await
        .status
}

/// The reproduction, run for thousands of cycles: at no point does
/// a revoked token get a session; when the remembered endings are full,
/// new sessions are refused, never an ending forgotten.
#[tokio::test]
async fn revoked_tokens_stay_revoked_through_thousands_of_create_and_revoke_cycles() {
    let (_server, http) = serve(&[
        "--auth",
        "--user",
        "alice:secret",
        "--max-sessions",
        "200",
        "--clock",
        "2026-01-01T09:00:00Z",
    ])
    .await;
    let (first, first_id) = create(&http).await.expect("first");
    revoke(&http, &first_id).await;
    assert_eq!(status_of(&http, &first).await, 404);
    let mut revoked = vec![first];
    let mut refused = None;
    for cycle in 1..=3_000 {
        let (token, id) = match create(&http).await {
            Ok(made) => made,
            Err(reply) => {
                refused = Some((cycle, reply));
                break;
            }
        };
        revoke(&http, &id).await;
        revoked.push(token);
        if cycle % 100 == 0 {
            assert_eq!(status_of(&http, &revoked[0]).await, 404, "cycle {cycle}");
        }
    }
    let (cycle, reply) = refused.expect("the endings' bound is reached");
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (503, Some("session_limit"))
    );
    assert!(
        reply.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("ended sessions")),
        "{}",
        reply.text
    );
    assert!(cycle > 2_000, "refused after only {cycle} cycles");
    for (n, token) in revoked.iter().enumerate() {
        assert_eq!(status_of(&http, token).await, 404, "revoked token {n}");
    }
    // Past their expiry the remembered credentials free their room; they
    // are then answered as expired, which they are.
    let moved = http
        .admin("PUT", "/__mock/clock", json!({"advance": "2h"}))
        .await;
    assert_eq!(moved.status, 200);
    create(&http).await.expect("room again");
    assert_eq!(status_of(&http, &revoked[0]).await, 401);
}

/// The same through Auth.js sign-out: a browser signs in and out again
/// and again on a mock holding a hundred sessions (a thousand endings);
/// every old cookie replayed is signed out, and once the endings are full
/// a sign-in is refused, never a sign-out forgotten.
#[tokio::test]
async fn signed_out_auth_js_cookies_stay_signed_out_through_churn() {
    let (_server, http) =
        serve(&["--auth", "--user", "alice:secret", "--max-sessions", "100"]).await;
    let mut browser = Browser::new(http);
    let mut old = Vec::new();
    for cycle in 0..1_500 {
        let signed_in = browser.sign_in("alice", "secret").await;
        if signed_in.status != 200
            || signed_in.body["url"]
                .as_str()
                .is_some_and(|u| u.contains("error"))
        {
            // The endings are full: a refusal, never a forgotten sign-out.
            assert!(
                signed_in.body["url"]
                    .as_str()
                    .is_some_and(|u| u.contains("error=Configuration")),
                "cycle {cycle}: {}",
                signed_in.text
            );
            assert!(cycle >= 1_000, "refused after {cycle} cycles");
            break;
        }
        let cookie = browser
            .jar
            .get("authjs.session-token")
            .expect("a session cookie")
            .clone();
        assert!(browser.get("/api/auth/session").await.body["user"].is_object());
        browser.sign_out().await;
        old.push(cookie);
        let replayed = format!("authjs.session-token={}", old[0]);
        let reply = browser
            .http
            .get("/api/auth/session", &[("cookie", &replayed)])
            .await;
        assert_eq!(
            reply.body,
            json!({}),
            "cycle {cycle}: the first cookie revived"
        );
        if cycle == 1_499 {
            panic!("never refused");
        }
    }
    assert!(old.len() >= 1_000);
    for (n, cookie) in old.iter().enumerate() {
        let replayed = format!("authjs.session-token={cookie}");
        let reply = browser
            .http
            .get("/api/auth/session", &[("cookie", &replayed)])
            .await;
        assert_eq!(reply.body, json!({}), "cookie {n} revived");
    }
}

/// With a state file the file is the truth: an ended credential gets the
/// revoked answer (404), not "authentication required", after churn and
/// a restart.
#[tokio::test]
async fn with_a_state_file_an_ended_credential_keeps_the_revoked_answer() {
    let dir = scratch("state-churn");
    let state = dir.join("state.jsonl");
    let words = [
        "--auth",
        "--max-sessions",
        "2",
        "--state",
        state.to_str().expect("utf-8"),
    ];
    let (server, http) = serve(&words).await;
    let (first, first_id) = create(&http).await.expect("first");
    revoke(&http, &first_id).await;
    for _ in 0..15 {
        let (_, id) = create(&http).await.expect("room");
        revoke(&http, &id).await;
    }
    assert_eq!(status_of(&http, &first).await, 404);
    server.stop().await;
    let (_server, http) = serve(&words).await;
    assert_eq!(status_of(&http, &first).await, 404, "after the restart");
    std::fs::remove_dir_all(&dir).ok();
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "session-mock-endings-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// The binary on a free port, and a client of it.
struct Process {
    child: std::process::Child,
    http: Http,
}

impl Process {
    async fn start(args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("session-mock"))
            .args(args)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env_remove("SESSION_MOCK_LISTEN")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the mock starts");
        let http = Http::new(format!("http://127.0.0.1:{port}"));
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child, http };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the mock never listened on {port}");
    }

    fn signal(mut self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn authjs_read(http: &Http, cookie: &str) -> Reply {
    http.get("/api/auth/session", &[("cookie", cookie)]).await
}

/// A sliding Auth.js session read just before a SIGKILL is still live
/// after the restart once its batch was written (a second), and one read
/// just before a SIGTERM is too (written at shutdown); a revocation
/// answered just before a SIGKILL is never lost.
#[tokio::test]
async fn activity_and_endings_survive_sigkill_and_sigterm_with_a_state_file() {
    let dir = scratch("signals");
    let state = dir.join("state.jsonl");
    let state = state.to_str().expect("utf-8");
    let mock = Process::start(&[
        "--auth",
        "--state",
        state,
        "--clock",
        "2026-01-01T09:00:00Z",
    ])
    .await;
    let made = mock
        .http
        .admin(
            "POST",
            "/__mock/sessions",
            json!({"contract": "authjs", "lifetime": "1h"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let cookie = format!(
        "authjs.session-token={}",
        made.body["token"].as_str().expect("token")
    );
    let doomed = create(&mock.http).await.expect("a session-api session");
    mock.http
        .admin(
            "PUT",
            "/__mock/clock",
            json!({"set": "2026-01-01T09:50:00Z"}),
        )
        .await;
    let read = authjs_read(&mock.http, &cookie).await;
    assert_eq!(read.body["expires"], "2026-01-01T10:50:00.000Z", "slid");
    revoke(&mock.http, &doomed.1).await;
    // The revocation was written before it was answered; the activity's
    // batch goes out within a second (waited for here by the file's
    // content, not by a sleep: a loaded machine may run the writer late).
    // 10:50 is 1767264600.
    let slid = "\"expires_at\":1767264600";
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(state).is_ok_and(|text| text.contains(slid)) {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the activity never reached the state file"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    mock.signal("-KILL");

    let mock = Process::start(&[
        "--auth",
        "--state",
        state,
        "--clock",
        "2026-01-01T10:30:00Z",
    ])
    .await;
    let read = authjs_read(&mock.http, &cookie).await;
    assert!(
        read.body["user"].is_object(),
        "the slid expiry (10:50) was lost: {}",
        read.text
    );
    assert_eq!(status_of(&mock.http, &doomed.0).await, 404, "revoked");
    mock.http
        .admin(
            "PUT",
            "/__mock/clock",
            json!({"set": "2026-01-01T10:45:00Z"}),
        )
        .await;
    let read = authjs_read(&mock.http, &cookie).await;
    assert_eq!(
        read.body["expires"], "2026-01-01T11:45:00.000Z",
        "slid again"
    );
    // No wait: the shutdown writes what the batch had not.
    mock.signal("-TERM");

    let mock = Process::start(&[
        "--auth",
        "--state",
        state,
        "--clock",
        "2026-01-01T11:30:00Z",
    ])
    .await;
    let read = authjs_read(&mock.http, &cookie).await;
    assert!(
        read.body["user"].is_object(),
        "the activity before SIGTERM was lost: {}",
        read.text
    );
    drop(mock);
    std::fs::remove_dir_all(&dir).ok();
}

/// At the first and last instants of the clock, in fixture and generated
/// data, every route answers without a server error: the session reads,
/// the Auth.js sign-in, the admin API; and the clock refuses to leave its
/// range with a 400 naming the limit.
#[tokio::test]
async fn every_route_answers_at_the_clocks_edges_and_the_clock_refuses_to_leave_them() {
    for (start, data) in [
        ("9000-01-01T00:00:00Z", "fixture"),
        ("9000-01-01T00:00:00Z", "generated"),
        ("1970-01-01T00:00:00Z", "fixture"),
        ("1970-01-01T00:00:00Z", "generated"),
    ] {
        let (_server, http) = serve(&[
            "--auth",
            "--user",
            "alice:secret",
            "--clock",
            start,
            "--data",
            data,
        ])
        .await;
        let at = format!("{start} ({data})");
        let mut statuses = Vec::new();
        statuses.push(http.get("/api/auth/session", &[]).await.status);
        statuses.push(http.get("/auth/session", &[]).await.status);
        for scenario in ["valid", "empty", "401", "500"] {
            statuses.push(
                http.get("/api/auth/session", &[("mock-scenario", scenario)])
                    .await
                    .status,
            );
            statuses.push(
                http.get("/auth/session", &[("mock-scenario", scenario)])
                    .await
                    .status,
            );
        }
        let (token, id) = create(&http)
            .await
            .unwrap_or_else(|r| panic!("{at}: {}", r.text));
        assert_eq!(status_of(&http, &token).await, 200, "{at}");
        let long = http
            .admin(
                "POST",
                "/__mock/sessions",
                json!({"contract": "authjs", "lifetime": "366d"}),
            )
            .await;
        assert_eq!(long.status, 201, "{at}: {}", long.text);
        let mut browser = Browser::new(Http::new(http.base.clone()));
        let signed_in = browser.sign_in("alice", "secret").await;
        assert_eq!(signed_in.status, 200, "{at}: {}", signed_in.text);
        let session = browser.get("/api/auth/session").await;
        assert!(session.body["user"].is_object(), "{at}: {}", session.text);
        statuses.push(browser.sign_out().await.status);
        for path in [
            "/__mock/sessions",
            "/__mock/requests",
            "/__mock/clock",
            "/__mock/scenarios",
            "/__mock/",
        ] {
            statuses.push(http.get(path, &[]).await.status);
        }
        statuses.push(
            http.admin(
                "PATCH",
                &format!("/__mock/sessions/{id}"),
                json!({"state": "expired"}),
            )
            .await
            .status,
        );
        // The only server errors are the two the `500` scenario asked for.
        let errors: Vec<u16> = statuses.iter().copied().filter(|s| *s >= 500).collect();
        assert_eq!(errors, [500, 500], "{at}: {statuses:?}");

        let (step, limit) = if start.starts_with("9000") {
            ("1s", "9000-01-01T00:00:00Z")
        } else {
            ("-1s", "1970-01-01T00:00:00Z")
        };
        let refused = http
            .admin("PUT", "/__mock/clock", json!({"advance": step}))
            .await;
        assert_eq!(refused.status, 400, "{at}: {}", refused.text);
        assert!(refused.text.contains(limit), "{at}: {}", refused.text);
        let now = http.get("/__mock/clock", &[]).await.body["now"].clone();
        assert_eq!(now, json!(start), "{at}: a refused change changes nothing");
    }
    // Set beyond, and many steps that each stay under a hundred years.
    let (_server, http) = serve(&["--clock", "2026-01-01T00:00:00Z"]).await;
    for set in ["9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"] {
        let refused = http
            .admin("PUT", "/__mock/clock", json!({"set": set}))
            .await;
        assert_eq!(refused.status, 400, "{set}: {}", refused.text);
        assert!(
            refused.text.contains("the mock's clock shows"),
            "{}",
            refused.text
        );
    }
    let mut accepted = 0;
    for _ in 0..80 {
        let step = http
            .admin("PUT", "/__mock/clock", json!({"advance": "36500d"}))
            .await;
        if step.status == 400 {
            assert!(step.text.contains("9000-01-01T00:00:00Z"), "{}", step.text);
            break;
        }
        assert_eq!(step.status, 200, "{}", step.text);
        accepted += 1;
    }
    assert_eq!(
        accepted, 69,
        "69 steps of 100 years from 2026, then refused"
    );
    assert_eq!(
        http.get("/api/auth/session", &[]).await.status,
        200,
        "still answering"
    );
}
