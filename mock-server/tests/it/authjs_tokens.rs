//! Auth.js sessions in the real cookie format: with the app's secret the
//! mock's session cookie is the token Auth.js writes (a compact JWE), the
//! tokens Auth.js writes are sessions, and nothing else is. The real
//! libraries' side is in `authjs_libraries` (Node, run by `.ci/run`); here
//! the mock is held to tokens they wrote (recorded) and to its own
//! answers over HTTP.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::signin::Browser;
use crate::util::{Http, serve};

const SECRET: &str = "session-mock-test-secret";

/// Written by `@auth/core@0.41.3`'s `encode` (salt `authjs.session-token`,
/// secret `session-mock-test-secret`, maxAge 3600) at 1796234125, i.e.
/// 2026-12-02T17:55:25Z: `{"name":"Alice Liddell","email":
/// "alice@example.com","picture":null,"sub":"7f2c1e9a-..."}`.
const AUTH_CORE_TOKEN: &str = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIiwia2lkIjoicXpjZWh5cUs3NjdRQjlkR2hEYTZaR1hIc0w1LXNJZmplSWtTZE10MzAwRG5pSUh2OHBqNTRsYW4tNVp3R2l1N1Q4YkU4Tkxsem9SUTI2c19aQ2dDMmcifQ..DWrTZhcgImTKhO1IB-gHYQ.wcFlT-wvKB36xcGZUkONGHjTMjKjO2n5YJEi9regZ-_OUHppdUUSbJ9GhOHc7DQBYEPPV65FCT7_skGfkPmhBKTeKUIrcsTlrNKb16lHb1kZviPrMBlRciZo57qFtDC-lERShyyqCELR_TJkt4qQHCDWXHtlkNHmD8RfauMFc7y92HxvhbAuh5PymcNXnckLYxFxBVc4vUo4966e5U3SlYl9iU_bo0nIP7izxr3CwSbb90-9aPqYlllpfX_BoqTH.rBdDCLP3u_xuXaSZ5SkX-23QCS53jfuRE_oXbLB-t08";
/// The same claims by `next-auth@4.24.15`'s `encode`.
const NEXT_AUTH_V4_TOKEN: &str = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..ATCriw96eJP0n0tW.VNom0dXse1UZcn5fsDoH4u0wKnJWrzqONnKSa3aLRAxLRbWXsyxo_DXiuZKQUwiCluAbtK4GRI9Vcz9yFZaOAzjeLJRGpt9YDFIkCHOqDYYHrUFl03o-_zWYM5LBunjJQZhg-_hpB6VCWCceadScBpBiPi8o7byVq0g7czC1enwIkjhdJaU5Neb73EYeS6xxEMu3ZCNIEyAU_v0yqVBVl3i9sNAg7yuxilksSc_f0RI.kITdAeu2omL7D2q0eRApmg";
const WRITTEN: &str = "2026-12-02T17:55:25Z";

/// The protected header of a compact JWE.
fn header(token: &str) -> Value {
    let first = token.split('.').next().expect("header");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(first).expect("base64url")).expect("json")
}

fn value_of(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map_or("", |(_, value)| value)
}

async fn session_with(http: &Http, cookie: &str) -> crate::util::Reply {
    http.get("/api/auth/session", &[("cookie", cookie)]).await
}

#[tokio::test]
async fn a_sign_in_with_the_secret_sets_the_cookie_auth_js_writes_and_the_session_lives_on_it() {
    let (_server, http) = serve(&["--auth-secret", SECRET, "--user", "alice:secret"]).await;
    let mut browser = Browser::new(http);
    let signed_in = browser.sign_in("alice", "secret").await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let line = signed_in
        .set_cookie("authjs.session-token")
        .expect("a session cookie");
    let token = value_of(&line).to_owned();
    assert_eq!(token.split('.').count(), 5, "a compact JWE: {token}");
    assert_eq!(token.split('.').nth(1), Some(""), "dir: no encrypted key");
    let header = header(&token);
    assert_eq!(header["alg"], "dir");
    assert_eq!(header["enc"], "A256CBC-HS512");
    assert_eq!(header["kid"].as_str().map(str::len), Some(86));
    assert!(line.contains("; Path=/; Expires=") && line.ends_with("; HttpOnly; SameSite=Lax"));

    // The persona: alice, not the fixture's Ada Lovelace.
    let read = browser.get("/api/auth/session").await;
    assert_eq!(read.body["user"]["username"], "alice");
    assert_eq!(read.body["user"]["name"], "Alice");
    assert_eq!(read.body["user"]["email"], "alice@example.com");
    // Every read re-encrypts the token (Auth.js does: new iat, exp, jti).
    let refreshed = read.set_cookie("authjs.session-token").expect("refreshed");
    assert_ne!(value_of(&refreshed), token);
    assert_eq!(
        self::header(value_of(&refreshed))["kid"],
        header["kid"],
        "the same key"
    );

    // Sign-out ends it on the mock's side: the old token replayed is signed out.
    let replay = format!("authjs.session-token={token}");
    assert!(session_with(&browser.http, &replay).await.body["user"].is_object());
    browser.sign_out().await;
    let after = session_with(&browser.http, &replay).await;
    assert_eq!((after.status, &after.body), (200, &json!({})));

    // A revoked session's token, and an expired one, are signed out too.
    let made = browser
        .http
        .admin(
            "POST",
            "/__mock/sessions",
            json!({"contract": "authjs", "user": "alice"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let cookie = made.body["header"]
        .as_str()
        .expect("header")
        .trim_start_matches("Cookie: ")
        .to_owned();
    assert_eq!(header_of_cookie(&cookie)["enc"], "A256CBC-HS512");
    assert!(session_with(&browser.http, &cookie).await.body["user"].is_object());
    let id = made.body["session"]["id"].as_str().expect("id");
    browser
        .http
        .admin("DELETE", &format!("/__mock/sessions/{id}"), Value::Null)
        .await;
    let revoked = session_with(&browser.http, &cookie).await;
    assert_eq!(revoked.body, json!({}));
    // ...and its cookie cleared, as Auth.js clears a cookie that is no
    // session: the browser is signed out, and so then is the app's server.
    let cleared = revoked.set_cookie("authjs.session-token").expect("cleared");
    assert!(
        cleared.starts_with("authjs.session-token=; Max-Age=0;"),
        "{cleared}"
    );
    // A scenario asked for by the request clears nothing.
    let asked = browser
        .http
        .get(
            "/api/auth/session",
            &[("cookie", &cookie), ("mock-scenario", "empty")],
        )
        .await;
    assert!(asked.set_cookies().is_empty(), "{:?}", asked.set_cookies());
}

fn header_of_cookie(cookie: &str) -> Value {
    header(cookie.split_once('=').expect("name=value").1)
}

#[tokio::test]
async fn tokens_the_real_libraries_wrote_are_sessions_and_anything_else_is_signed_out() {
    let (_server, http) = serve(&["--auth-secret", SECRET, "--clock", WRITTEN]).await;
    for (name, token) in [
        ("authjs.session-token", AUTH_CORE_TOKEN),
        ("next-auth.session-token", NEXT_AUTH_V4_TOKEN),
    ] {
        let reply = session_with(&http, &format!("{name}={token}")).await;
        assert_eq!(reply.status, 200, "{name}");
        assert_eq!(
            reply.body["user"]["name"], "Alice Liddell",
            "{name}: {}",
            reply.text
        );
        assert_eq!(reply.body["user"]["email"], "alice@example.com", "{name}");
        assert_eq!(
            reply.body["user"]["id"], "7f2c1e9a-0000-4000-8000-000000000001",
            "{name}: the user's id is the token's sub"
        );
        // Re-encrypted in its own library's format.
        let refreshed = reply.set_cookie(name).expect("refreshed");
        let enc = if name.starts_with("next-auth") {
            "A256GCM"
        } else {
            "A256CBC-HS512"
        };
        assert_eq!(header(value_of(&refreshed))["enc"], enc);
        // Under the other library's name it is not a token at all.
        let other = if name.starts_with("next-auth") {
            "authjs.session-token"
        } else {
            "next-auth.session-token"
        };
        assert_eq!(
            session_with(&http, &format!("{other}={token}")).await.body,
            json!({}),
            "{name} under {other}"
        );
    }
    let mut flipped = AUTH_CORE_TOKEN.as_bytes().to_vec();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ascii");
    let cut = &AUTH_CORE_TOKEN[..AUTH_CORE_TOKEN.len() - 10];
    let garbage = "x".repeat(30_000);
    for (why, value) in [
        ("a flipped byte", flipped.as_str()),
        ("cut short", cut),
        ("garbage", "not.a.token.at.all"),
        ("30 KB of garbage", garbage.as_str()),
        ("an sms1 look-alike", "sms1.eyJ9.00"),
    ] {
        let reply = session_with(&http, &format!("authjs.session-token={value}")).await;
        assert_eq!((reply.status, &reply.body), (200, &json!({})), "{why}");
    }
    // A cookie past what the mock reads at all: refused before anything.
    let huge = format!("authjs.session-token={}", "x".repeat(100_000));
    let reply = session_with(&http, &huge).await;
    assert_eq!(reply.status, 431, "{}", reply.text);

    // Another secret: not a session. The clock past exp (with jose's 15 s
    // tolerance): not a session.
    let (_server, other) = serve(&["--auth-secret", "another-secret", "--clock", WRITTEN]).await;
    let reply = session_with(&other, &format!("authjs.session-token={AUTH_CORE_TOKEN}")).await;
    assert_eq!(reply.body, json!({}));
    let (_server, later) =
        serve(&["--auth-secret", SECRET, "--clock", "2026-12-02T18:55:40Z"]).await;
    let reply = session_with(&later, &format!("authjs.session-token={AUTH_CORE_TOKEN}")).await;
    assert_eq!(reply.body, json!({}), "expired");
    let (_server, just) =
        serve(&["--auth-secret", SECRET, "--clock", "2026-12-02T18:55:39Z"]).await;
    let reply = session_with(&just, &format!("authjs.session-token={AUTH_CORE_TOKEN}")).await;
    assert!(reply.body["user"].is_object(), "within the tolerance");
    // Rotation: an old secret still reads, the new one writes.
    let (_server, rotated) = serve(&[
        "--auth-secret",
        "the-new-secret",
        "--auth-secret",
        SECRET,
        "--clock",
        WRITTEN,
    ])
    .await;
    let reply = session_with(&rotated, &format!("authjs.session-token={AUTH_CORE_TOKEN}")).await;
    assert!(reply.body["user"].is_object(), "read with the old secret");
    let refreshed = reply.set_cookie("authjs.session-token").expect("refreshed");
    assert_ne!(
        header(value_of(&refreshed))["kid"],
        header(AUTH_CORE_TOKEN)["kid"]
    );
}

#[tokio::test]
async fn a_big_profile_is_chunked_as_auth_js_chunks_and_read_back_whole() {
    let (_server, http) = serve(&["--auth-secret", SECRET]).await;
    let tenant = "t".repeat(900);
    let made = http
        .admin(
            "POST",
            "/__mock/sessions",
            json!({"contract": "authjs", "user": {"tenantSlug": tenant, "plan": "p".repeat(900)}}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let cookies = made.body["cookies"].as_array().expect("cookies");
    let names: Vec<&str> = cookies.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        ["authjs.session-token.0", "authjs.session-token.1"],
        "{}",
        made.text
    );
    assert_eq!(cookies[0]["value"].as_str().map(str::len), Some(3936));
    let header = made.body["header"]
        .as_str()
        .expect("header")
        .trim_start_matches("Cookie: ")
        .to_owned();
    let read = session_with(&http, &header).await;
    assert_eq!(
        read.body["user"]["tenantSlug"],
        tenant.as_str(),
        "{}",
        read.text
    );
    let refreshed: Vec<String> = read.set_cookies();
    assert!(
        refreshed
            .iter()
            .any(|c| c.starts_with("authjs.session-token.0="))
            && refreshed
                .iter()
                .any(|c| c.starts_with("authjs.session-token.1=")),
        "{refreshed:?}"
    );
}

#[tokio::test]
async fn next_auth_4_cookies_when_asked_and_the_csrf_cookie_hashed_as_auth_js_hashes_it() {
    let (_server, http) = serve(&[
        "--auth-secret",
        SECRET,
        "--authjs-version",
        "v4",
        "--user",
        "alice:secret",
    ])
    .await;
    let mut browser = Browser::new(http);
    let csrf_reply = browser.get("/api/auth/csrf").await;
    let token = csrf_reply.body["csrfToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let csrf = csrf_reply
        .set_cookie("authjs.csrf-token")
        .expect("csrf cookie");
    let (cookie_token, hash) = value_of(&csrf).split_once("%7C").expect("token%7Chash");
    assert_eq!(cookie_token, token);
    use sha2::Digest;
    let expected = sha2::Sha256::digest(format!("{token}{SECRET}").as_bytes());
    let expected: String = expected.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hash, expected,
        "sha256(token + secret), as @auth/core's createHash"
    );

    let signed_in = browser.sign_in("alice", "secret").await;
    let line = signed_in
        .set_cookie("next-auth.session-token")
        .unwrap_or_else(|| panic!("{:?}", signed_in.set_cookies()));
    assert_eq!(
        header(value_of(&line)),
        json!({"alg": "dir", "enc": "A256GCM"})
    );
    let read = browser.get("/api/auth/session").await;
    assert_eq!(read.body["user"]["username"], "alice");
}

#[tokio::test]
async fn without_a_secret_the_mock_keeps_its_own_cookie_and_users_make_sign_in_matter() {
    let (_server, http) = serve(&["--user", "alice:secret"]).await;
    // No --auth: users are declared, so no session is signed out.
    assert_eq!(http.get("/api/auth/session", &[]).await.body, json!({}));
    assert_eq!(http.get("/auth/session", &[]).await.status, 401);
    let mut browser = Browser::new(http);
    let signed_in = browser.sign_in("alice", "secret").await;
    let line = signed_in
        .set_cookie("authjs.session-token")
        .expect("cookie");
    assert!(value_of(&line).starts_with("sms1."), "{line}");
    assert_eq!(
        browser.get("/api/auth/session").await.body["user"]["name"],
        "Alice"
    );
    // --auth off: the old behaviour, everyone gets the default scenario.
    let (_server, off) = serve(&["--user", "alice:secret", "--auth", "off"]).await;
    assert!(off.get("/api/auth/session", &[]).await.body["user"].is_object());
}

#[tokio::test]
async fn the_admin_api_answers_ready_cookies_and_a_playwright_storage_state() {
    let (_server, http) = serve(&["--auth-secret", SECRET, "--user", "alice:secret"]).await;
    let made = http
        .admin(
            "POST",
            "/__mock/sessions",
            json!({"contract": "authjs", "user": "alice", "origin": "https://app.example.test:3000"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let cookie = &made.body["storage_state"]["cookies"][0];
    assert_eq!(cookie["name"], "__Secure-authjs.session-token");
    assert_eq!(cookie["domain"], "app.example.test");
    assert_eq!(cookie["path"], "/");
    assert_eq!(cookie["httpOnly"], true);
    assert_eq!(cookie["secure"], true);
    assert_eq!(cookie["sameSite"], "Lax");
    assert!(cookie["expires"].as_i64().is_some_and(|e| e > 0));
    assert_eq!(made.body["storage_state"]["origins"], json!([]));
    assert_eq!(made.body["cookies"][0], *cookie);
    // The __Secure- name is its salt: read over https (as a proxy says).
    let pair = format!(
        "__Secure-authjs.session-token={}",
        cookie["value"].as_str().expect("value")
    );
    let read = http
        .get(
            "/api/auth/session",
            &[("cookie", &pair), ("x-forwarded-proto", "https")],
        )
        .await;
    assert_eq!(read.body["user"]["username"], "alice", "{}", read.text);
    for bad in [json!("localhost:3000"), json!("http://a/b"), json!(3000)] {
        let refused = http
            .admin(
                "POST",
                "/__mock/sessions",
                json!({"contract": "authjs", "origin": bad}),
            )
            .await;
        assert_eq!(refused.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn a_sign_in_answered_with_a_url_is_journaled_with_the_status_sent() {
    let (_server, http) = serve(&["--user", "alice:secret"]).await;
    let mut browser = Browser::new(http);
    let signed_in = browser.sign_in("alice", "secret").await;
    assert_eq!(signed_in.status, 200);
    let journal = browser.http.get("/__mock/requests", &[]).await.body;
    let entry = journal["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["path"] == "/api/auth/callback/credentials")
        .expect("the sign-in")
        .clone();
    assert_eq!(entry["status"], 200, "{entry}");
}

/// `session-mock mint` makes, with no mock running, the cookies a sign-in
/// would set; a mock with the same secret reads them as alice's session.
#[tokio::test]
async fn mint_makes_the_cookies_of_a_sign_in_without_a_running_mock() {
    use assert_cmd::cargo::cargo_bin_cmd;
    let output = cargo_bin_cmd!("session-mock")
        .args([
            "--user",
            "alice:secret",
            "mint",
            "--as",
            "alice",
            "--origin",
            "http://localhost:3000",
        ])
        .env("AUTH_SECRET", SECRET)
        .env_remove("NEXTAUTH_SECRET")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let state: Value = serde_json::from_slice(&output.stdout).expect("a storageState document");
    let cookie = &state["cookies"][0];
    assert_eq!(cookie["name"], "authjs.session-token");
    assert_eq!(cookie["domain"], "localhost");
    assert_eq!(
        header(cookie["value"].as_str().expect("value"))["enc"],
        "A256CBC-HS512"
    );
    let (_server, http) = serve(&["--auth-secret", SECRET, "--user", "alice:secret"]).await;
    let pair = format!(
        "authjs.session-token={}",
        cookie["value"].as_str().expect("value")
    );
    let read = session_with(&http, &pair).await;
    assert_eq!(read.body["user"]["username"], "alice", "{}", read.text);

    let header_form = cargo_bin_cmd!("session-mock")
        .args([
            "mint",
            "--as",
            "bob",
            "--format",
            "header",
            "--auth-secret",
            SECRET,
        ])
        .env_remove("AUTH_SECRET")
        .env_remove("NEXTAUTH_SECRET")
        .output()
        .expect("runs");
    // `--auth-secret` is a server flag: before `mint`.
    assert_eq!(header_form.status.code(), Some(2));
    let header_form = cargo_bin_cmd!("session-mock")
        .args([
            "--auth-secret",
            SECRET,
            "mint",
            "--as",
            "bob",
            "--format",
            "header",
        ])
        .env_remove("AUTH_SECRET")
        .env_remove("NEXTAUTH_SECRET")
        .output()
        .expect("runs");
    let line = String::from_utf8(header_form.stdout).expect("utf-8");
    let read = session_with(&http, line.trim().trim_start_matches("Cookie: ")).await;
    assert_eq!(read.body["user"]["name"], "Bob", "{}", read.text);
    assert_eq!(read.body["user"]["email"], "bob@example.com");

    let without = cargo_bin_cmd!("session-mock")
        .args(["mint", "--format", "cookies"])
        .env_remove("AUTH_SECRET")
        .env_remove("NEXTAUTH_SECRET")
        .output()
        .expect("runs");
    assert!(without.status.success());
    assert!(
        String::from_utf8_lossy(&without.stderr).contains("no Auth.js secret"),
        "a warning that the app will not read them"
    );
}

#[test]
fn a_bad_secret_or_version_exits_2_naming_the_setting() {
    use assert_cmd::cargo::cargo_bin_cmd;
    let fails = |args: &[&str], env: &[(&str, &std::ffi::OsStr)]| {
        let mut command = cargo_bin_cmd!("session-mock");
        command
            .args(args)
            .env_remove("AUTH_SECRET")
            .env_remove("NEXTAUTH_SECRET")
            .env_remove("SESSION_MOCK_LISTEN");
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let empty = fails(&["--auth-secret", "", "--print-config"], &[]);
    assert!(
        empty.contains("auth-secret = \"(hidden)\"") && empty.contains("not empty"),
        "{empty}"
    );
    let from_env = fails(
        &["--print-config"],
        &[("AUTH_SECRET", std::ffi::OsStr::new(""))],
    );
    assert!(
        from_env.contains("AUTH_SECRET") && from_env.contains("not empty"),
        "{from_env}"
    );
    use std::os::unix::ffi::OsStrExt;
    let not_utf8 = fails(
        &["--print-config"],
        &[("NEXTAUTH_SECRET", std::ffi::OsStr::from_bytes(b"\xff\xfe"))],
    );
    assert!(
        not_utf8.contains("NEXTAUTH_SECRET is not UTF-8"),
        "{not_utf8}"
    );
    let version = fails(&["--authjs-version", "v3"], &[]);
    assert!(
        version.contains("v3") && version.contains("v5"),
        "{version}"
    );
    // The secret never shows, even in the effective configuration.
    let printed = cargo_bin_cmd!("session-mock")
        .args(["--auth-secret", "do-not-print-me", "--print-config"])
        .env_remove("AUTH_SECRET")
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&printed.stdout).contains("do-not-print-me"));
}
