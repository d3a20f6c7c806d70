//! Sessions through the admin API and the clock (session-api has no sign-in
//! route): create, read, list, revoke, expire; bodies judged by the schemas
//! crate at the mock's own "now", as `validate --received-at` would judge
//! them; many clients at once; the limit; surviving a restart.

use serde_json::{Value, json};
use session_schemas::{Clock, Mode, Registry};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::util::{Http, serve};

const START: &str = "2026-01-01T09:00:00Z";

fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).expect("time")
}

/// Every violation of a session-api answer, the rules about the present
/// judged at `now` (the mock's clock), with no skew allowed.
fn violations(status: u16, body: &Value, now: OffsetDateTime) -> Vec<String> {
    let contract = Registry::builtin().get("session-api").expect("contract");
    contract
        .check(
            status,
            body,
            Mode::Strict,
            Some(&Clock::new(now, time::Duration::ZERO)),
        )
        .expect("documented status")
        .iter()
        .map(ToString::to_string)
        .collect()
}

async fn mock_now(http: &Http) -> OffsetDateTime {
    at(http.get("/__mock/clock", &[]).await.body["now"]
        .as_str()
        .expect("now"))
}

async fn advance(http: &Http, step: &str) {
    let reply = http
        .admin("PUT", "/__mock/clock", json!({"advance": step}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// A session-api session (named, not the admin API's default: the tests do
/// not depend on which contracts exist).
async fn create(http: &Http, mut body: Value) -> (String, String) {
    if body.get("contract").is_none() {
        body["contract"] = Value::from("session-api");
    }
    let reply = http.admin("POST", "/__mock/sessions", body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    (
        reply.body["token"].as_str().expect("token").to_owned(),
        reply.body["session"]["id"].as_str().expect("id").to_owned(),
    )
}

async fn read(http: &Http, token: &str) -> (u16, Value) {
    let header = format!("Bearer {token}");
    let reply = http
        .get("/auth/session", &[("authorization", &header)])
        .await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn a_session_lives_on_the_mock_clock_and_expires_with_the_contract_answer() {
    let (_server, http) = serve(&["--auth", "--clock", START]).await;
    let (token, id) = create(
        &http,
        json!({"user": {"username": "alice"}, "lifetime": "1h"}),
    )
    .await;

    let (status, body) = read(&http, &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["session_id"], id.as_str());
    assert_eq!(body["created_at"], START);
    assert_eq!(body["last_activity_at"], START);
    assert_eq!(body["expires_at"], "2026-01-01T10:00:00Z");
    assert_eq!(body["state"], "active");
    assert!(violations(200, &body, at(START)).is_empty(), "{body}");

    // Sliding activity, fixed expiry; an active session is never served
    // expired, whatever the moment within its life.
    let mut last_activity = at(START);
    for _ in 0..8 {
        advance(&http, "7m").await;
        let now = mock_now(&http).await;
        let (status, body) = read(&http, &token).await;
        assert_eq!(status, 200, "{body}");
        assert!(violations(200, &body, now).is_empty(), "at {now}: {body}");
        let activity = at(body["last_activity_at"].as_str().expect("activity"));
        assert_eq!(activity, now);
        assert!(activity > last_activity, "activity moves forward");
        last_activity = activity;
        assert_eq!(body["expires_at"], "2026-01-01T10:00:00Z");
        assert_eq!(body["user_id"], read(&http, &token).await.1["user_id"]);
    }
    // 09:56 now; past 10:00 the token is refused as the contract says.
    advance(&http, "5m").await;
    let reply = http
        .get(
            "/auth/session",
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.body,
        json!({"error": "unauthorized", "message": "Invalid or expired token"})
    );
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert!(violations(401, &reply.body, mock_now(&http).await).is_empty());

    let listed = http.get("/__mock/sessions", &[]).await;
    assert_eq!(listed.body["sessions"][0]["state"], "expired");
    assert_eq!(listed.body["live"], 0);
    let journal = http.get("/__mock/requests", &[]).await;
    assert!(
        journal.text.contains("\"event\":\"expire\""),
        "{}",
        journal.text
    );
    assert!(
        !journal.text.contains(&token[5..25]),
        "no credential in the journal"
    );

    // Back to real time: the clock says so.
    let real = http
        .admin("PUT", "/__mock/clock", json!({"real": true}))
        .await;
    assert_eq!(real.body["mode"], "real");
}

#[tokio::test]
async fn revoked_expired_and_unknown_sessions_get_the_contract_outcomes() {
    let (_server, http) = serve(&["--auth"]).await;
    let (token, id) = create(&http, json!({})).await;
    assert_eq!(read(&http, &token).await.0, 200);

    let revoked = http
        .admin("DELETE", &format!("/__mock/sessions/{id}"), Value::Null)
        .await;
    assert_eq!(
        (revoked.status, revoked.body["state"].as_str()),
        (200, Some("revoked"))
    );
    let (status, body) = read(&http, &token).await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"error": "not_found", "message": "Session not found"})
        )
    );

    let (token, id) = create(&http, json!({"user": "dev"})).await;
    let expired = http
        .admin(
            "PATCH",
            &format!("/__mock/sessions/{id}"),
            json!({"state": "expired"}),
        )
        .await;
    assert_eq!(expired.body["state"], "expired", "{}", expired.text);
    assert_eq!(read(&http, &token).await.0, 401);
    let revive = http
        .admin(
            "PATCH",
            &format!("/__mock/sessions/{id}"),
            json!({"state": "active"}),
        )
        .await;
    assert_eq!(revive.status, 400, "an ended session stays ended");

    // A tampered copy of a live token is not that session.
    let (token, _) = create(&http, json!({})).await;
    let mut tampered = token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    assert_eq!(read(&http, &tampered).await.0, 401);
    assert_eq!(read(&http, &token).await.0, 200);

    let unknown = http
        .admin("DELETE", "/__mock/sessions/no-such-session", Value::Null)
        .await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.body["message"]
            .as_str()
            .expect("reason")
            .contains("no session `no-such-session`")
    );

    let all = http.admin("DELETE", "/__mock/sessions", Value::Null).await;
    assert_eq!(all.body["revoked"], 1);
    assert_eq!(read(&http, &token).await.0, 404);
}

#[tokio::test]
async fn user_fields_land_where_the_manifest_says_and_bad_ones_are_refused() {
    let (_server, http) = serve(&["--auth"]).await;
    let reply = http
        .admin(
            "POST",
            "/__mock/sessions",
            json!({"contract": "authjs", "user": {"username": "zoe", "user_type": "client", "id": "user-42"}}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert!(
        reply.body["header"]
            .as_str()
            .expect("header")
            .starts_with("Cookie: authjs.session-token=sms1.")
    );
    let token = reply.body["token"].as_str().expect("token");
    let answer = http
        .get(
            "/api/auth/session",
            &[("cookie", &format!("authjs.session-token={token}"))],
        )
        .await;
    assert_eq!(answer.body["user"]["username"], "zoe");
    assert_eq!(answer.body["user"]["user_type"], "client");
    assert_eq!(answer.body["user"]["id"], "user-42");
    assert_eq!(answer.body["session_id"], reply.body["session"]["id"]);

    for (body, says) in [
        (
            json!({"contract": "authjs", "user": {"user_type": "admin"}}),
            "breaks the schema",
        ),
        (json!({"contract": "nope"}), "not a mounted contract"),
        (json!({"user": "nobody"}), "no user `nobody`"),
        (json!({"lifetime": "0s"}), "lifetime"),
        (json!({"state": "paused"}), "state `paused`"),
        (json!({"colour": "blue"}), "unknown key `colour`"),
        (
            json!({"user": {"bio": "x".repeat(3000)}}),
            "a session carries at most 2048",
        ),
    ] {
        let reply = http.admin("POST", "/__mock/sessions", body.clone()).await;
        assert_eq!(reply.status, 400, "{body}");
        assert!(
            reply.body["message"]
                .as_str()
                .expect("message")
                .contains(says),
            "{body}: {}",
            reply.text
        );
    }
    let bad_json = http
        .send(
            "POST",
            "/__mock/sessions",
            &[("content-type", "application/json")],
            Some("{\n \"user\": }".into()),
        )
        .await;
    assert_eq!(bad_json.status, 400);
    assert!(bad_json.text.contains("line 2 column"), "{}", bad_json.text);
    let huge = http
        .send(
            "POST",
            "/__mock/sessions",
            &[],
            Some(format!("{{\"user\": \"{}\"}}", "x".repeat(70_000))),
        )
        .await;
    assert_eq!(huge.status, 413);
    for body in [
        json!({}),
        json!({"advance": "soon"}),
        json!({"set": "yesterday"}),
        json!({"frozen": "yes"}),
        json!({"warp": 1}),
    ] {
        assert_eq!(
            http.admin("PUT", "/__mock/clock", body.clone())
                .await
                .status,
            400,
            "{body}"
        );
    }
    assert_eq!(
        http.get("/__mock/sessions", &[]).await.body["sessions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn the_live_session_limit_gets_a_clear_answer() {
    let (_server, http) = serve(&["--auth", "--max-sessions", "2"]).await;
    create(&http, json!({})).await;
    let (_, id) = create(&http, json!({})).await;
    let full = http.admin("POST", "/__mock/sessions", json!({})).await;
    assert_eq!(full.status, 503);
    assert_eq!(full.body["error"], "session_limit");
    assert!(
        full.body["message"]
            .as_str()
            .expect("message")
            .contains("--max-sessions")
    );
    // Ending one makes room.
    http.admin("DELETE", &format!("/__mock/sessions/{id}"), Value::Null)
        .await;
    create(&http, json!({})).await;
}

#[tokio::test]
async fn generated_data_keeps_one_body_per_session_and_per_credential() {
    let (_server, http) = serve(&["--auth", "--data", "generated", "--seed", "7"]).await;
    let (token, id) = create(&http, json!({"contract": "authjs"})).await;
    let cookie = format!("authjs.session-token={token}");
    let first = http
        .get("/api/auth/session", &[("cookie", &cookie)])
        .await
        .body;
    for _ in 0..5 {
        let again = http
            .get("/api/auth/session", &[("cookie", &cookie)])
            .await
            .body;
        assert_eq!(again["session_id"], id.as_str());
        assert_eq!(
            again["user"]["tenant"], first["user"]["tenant"],
            "generated fields stay"
        );
        assert_eq!(again["user"]["email"], first["user"]["email"]);
    }
    let (other, _) = create(&http, json!({"contract": "authjs"})).await;
    let second = http
        .get(
            "/api/auth/session",
            &[("cookie", &format!("authjs.session-token={other}"))],
        )
        .await
        .body;
    assert_ne!(second["session_id"], first["session_id"]);
    // A credential that is no session (auth any) also keeps its body.
    let (_server, http) = serve(&["--auth", "any", "--data", "generated"]).await;
    let bodies: Vec<Value> = futures_bodies(&http, "Bearer same-credential", 4).await;
    assert!(bodies.windows(2).all(|w| w[0]["session_id"] == w[1]["session_id"] && w[0]["user_id"] == w[1]["user_id"]));
}

async fn futures_bodies(http: &Http, authorization: &str, n: usize) -> Vec<Value> {
    let mut bodies = Vec::new();
    for _ in 0..n {
        bodies.push(
            http.get("/auth/session", &[("authorization", authorization)])
                .await
                .body,
        );
    }
    bodies
}

#[tokio::test]
async fn sessions_and_revocations_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("session-mock-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    let words = ["--auth", "--state", state.to_str().expect("utf-8")];
    let (server, http) = serve(&words).await;
    let (live, live_id) = create(&http, json!({})).await;
    let (gone, gone_id) = create(&http, json!({})).await;
    http.admin(
        "DELETE",
        &format!("/__mock/sessions/{gone_id}"),
        Value::Null,
    )
    .await;
    server.stop().await;

    let (server, http) = serve(&words).await;
    let (status, body) = read(&http, &live).await;
    assert_eq!(
        (status, body["session_id"].as_str()),
        (200, Some(live_id.as_str()))
    );
    assert_eq!(read(&http, &gone).await.0, 404, "still revoked");
    server.stop().await;

    // Without a state file a live session is taken back from its signed
    // credential (revocations are then forgotten: the README says so).
    let (server, http) = serve(&["--auth"]).await;
    let (status, body) = read(&http, &live).await;
    assert_eq!(
        (status, body["session_id"].as_str()),
        (200, Some(live_id.as_str()))
    );
    server.stop().await;
    // Another signing key: not a session of this mock.
    let (_server, http) = serve(&["--auth", "--signing-key", "another-signing-key"]).await;
    assert_eq!(read(&http, &live).await.0, 401);

    let unwritable = crate::util::config(&["--state", "/no/such/dir/state.json"]);
    let error = session_mock::app(unwritable)
        .expect_err("unwritable")
        .to_string();
    assert!(
        error.contains("cannot write the state file /no/such/dir/state.json"),
        "{error}"
    );

    std::fs::write(&state, "{ not json").expect("write");
    let error = session_mock::app(crate::util::config(&words))
        .expect_err("bad state file")
        .to_string();
    assert!(
        error.contains("state.json") && error.contains("line 1, column"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn many_clients_signing_in_and_out_at_once_lose_nothing_and_see_only_their_own() {
    let (_server, http) = serve(&["--auth"]).await;
    let http = std::sync::Arc::new(http);
    let mut tasks = Vec::new();
    for client in 0..24 {
        let http = std::sync::Arc::clone(&http);
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for round in 0..10 {
                let user = format!("user-{client}-{round}");
                let (token, id) = create(&http, json!({"user": {"username": user}})).await;
                for _ in 0..3 {
                    let (status, body) = read(&http, &token).await;
                    assert_eq!(status, 200);
                    assert_eq!(body["session_id"], id.as_str(), "another session's body");
                }
                let ended = http
                    .admin("DELETE", &format!("/__mock/sessions/{id}"), Value::Null)
                    .await;
                assert_eq!(ended.status, 200);
                assert_eq!(read(&http, &token).await.0, 404);
                seen.push(id);
            }
            seen
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.expect("client"));
    }
    let listed = http.get("/__mock/sessions", &[]).await.body;
    let sessions = listed["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 240, "no session lost");
    assert!(sessions.iter().all(|s| s["state"] == "revoked"));
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 240, "every session distinct");
}

#[test]
fn users_come_from_flags_and_tables_and_a_bad_profile_is_refused_at_startup() {
    use session_mock::{FileConfig, MockConfig};
    let load = |text: &str| {
        let file: FileConfig = toml::from_str(text).expect("toml");
        MockConfig::from_sources(&session_mock::MockArgs::default(), file)
    };
    let config = load(
        "[[user]]\nusername = \"alice\"\npassword = \"pw\"\nuser_type = \"client\"\nid = \"3f2b8c1e-0000-4000-8000-000000000042\"\n",
    )
    .expect("valid");
    assert_eq!(config.users.len(), 1);
    assert_eq!(
        config.users[0].id.as_deref(),
        Some("3f2b8c1e-0000-4000-8000-000000000042")
    );
    assert_eq!(config.users[0].profile["user_type"], "client");
    if let Err(error) = session_mock::app(config) {
        panic!("{error}");
    }

    let bad = load("[[user]]\nusername = \"eve\"\npassword = \"pw\"\nuser_type = \"admin\"\n")
        .expect("parses");
    let error = session_mock::app(bad).expect_err("refused").to_string();
    assert!(
        error.contains("user `eve`") && error.contains("/user/user_type"),
        "{error}"
    );
    for (text, says) in [
        (
            "[[user]]\nusername = \"a:b\"\npassword = \"pw\"\n",
            "username",
        ),
        (
            "[[user]]\nusername = \"a\"\npassword = \"\"\n",
            "password is empty",
        ),
        (
            "[[user]]\nusername = \"a\"\npassword = \"x\"\n[[user]]\nusername = \"a\"\npassword = \"y\"\n",
            "twice",
        ),
    ] {
        let error = load(text).expect_err(text).to_string();
        assert!(error.contains(says), "{text}: {error}");
    }
    let defaulted = crate::util::config(&[]);
    assert_eq!(defaulted.users[0].username, "dev");
    let flagged = crate::util::config(&["--user", "x:y", "--user", "z:w"]);
    assert_eq!(flagged.users.len(), 2);
}

#[tokio::test]
async fn an_auth_js_session_slides_on_each_read_and_expires_to_the_signed_out_answer() {
    let (_server, http) = serve(&["--auth", "--clock", START]).await;
    let reply = http
        .admin(
            "POST",
            "/__mock/sessions",
            json!({"contract": "authjs", "lifetime": "1h"}),
        )
        .await;
    let cookie = format!(
        "authjs.session-token={}",
        reply.body["token"].as_str().expect("token")
    );
    let session = |http: &Http| {
        let cookie = cookie.clone();
        let http = http.base.clone();
        async move {
            Http::new(http)
                .get("/api/auth/session", &[("cookie", &cookie)])
                .await
        }
    };
    assert_eq!(
        session(&http).await.body["expires"],
        "2026-01-01T10:00:00.000Z"
    );
    advance(&http, "45m").await;
    let read = session(&http).await;
    assert_eq!(read.body["expires"], "2026-01-01T10:45:00.000Z", "slid");
    assert!(read.set_cookie("authjs.session-token").is_some());
    advance(&http, "59m").await;
    assert!(
        session(&http).await.body["user"].is_object(),
        "still inside the slid hour"
    );
    advance(&http, "61m").await;
    let expired = session(&http).await;
    assert_eq!((expired.status, &expired.body), (200, &json!({})));
    // As Auth.js's session route does for a cookie that is no session
    // (@auth/core lib/actions/session.ts: `sessionStore.clean()`), the
    // expired one is cleared.
    let cleared = expired
        .set_cookie("authjs.session-token")
        .expect("the cookie cleared");
    assert!(
        cleared.starts_with("authjs.session-token=; Max-Age=0; Path=/"),
        "{cleared}"
    );
}
