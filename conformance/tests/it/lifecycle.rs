//! The runner against the mock's session lifecycle: credentials obtained
//! the way a user obtains them (Auth.js sign-in for authjs, the admin API
//! for session-api), revoked credentials obtained by signing out or
//! revoking, in fixture and generated data. The full check must pass.

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use session_mock::{MockConfig, MockServer};

/// `getCsrfToken()`: the CSRF cookie pair to send back and the token.
async fn csrf(client: &reqwest::Client, base: &str) -> (String, String) {
    let answer = client
        .get(format!("{base}/api/auth/csrf"))
        .send()
        .await
        .expect("csrf");
    let cookie = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("authjs.csrf-token="))
        .and_then(|v| v.split(';').next())
        .expect("csrf cookie")
        .to_owned();
    let body: serde_json::Value =
        serde_json::from_slice(&answer.bytes().await.expect("body")).expect("json");
    let token = body["csrfToken"].as_str().expect("csrfToken").to_owned();
    (cookie, token)
}

/// Posts an Auth.js form as next-auth's client does.
async fn post_form(
    client: &reqwest::Client,
    url: String,
    cookie: String,
    form: String,
) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-auth-return-redirect", "1")
        .header("cookie", cookie)
        .body(form)
        .send()
        .await
        .expect("the mock answers")
}

/// Signs in through the Auth.js protocol as next-auth's client does, and
/// returns the session cookie's value.
async fn sign_in(client: &reqwest::Client, base: &str) -> String {
    let (cookie, token) = csrf(client, base).await;
    let signed_in = post_form(
        client,
        format!("{base}/api/auth/callback/credentials"),
        cookie,
        format!("username=dev&password=dev&csrfToken={token}&callbackUrl=%2F"),
    )
    .await;
    let session = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("authjs.session-token="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    assert!(!session.is_empty());
    session
}

async fn sign_out(client: &reqwest::Client, base: &str, session: &str) {
    let (cookie, token) = csrf(client, base).await;
    let reply = post_form(
        client,
        format!("{base}/api/auth/signout"),
        format!("{cookie}; authjs.session-token={session}"),
        format!("csrfToken={token}&callbackUrl=%2F"),
    )
    .await;
    assert_eq!(reply.status(), 200);
}

/// A session-api session made through the admin API; revoked if asked.
async fn admin_session(client: &reqwest::Client, base: &str, revoke: bool) -> String {
    let reply = client
        .post(format!("{base}/__mock/sessions"))
        .body(r#"{"contract": "session-api"}"#)
        .send()
        .await
        .expect("create");
    assert_eq!(reply.status(), 201);
    let body: serde_json::Value =
        serde_json::from_slice(&reply.bytes().await.expect("body")).expect("json");
    if revoke {
        let id = body["session"]["id"].as_str().expect("id");
        let revoked = client
            .delete(format!("{base}/__mock/sessions/{id}"))
            .send()
            .await
            .expect("revoke");
        assert_eq!(revoked.status(), 200);
    }
    body["token"].as_str().expect("token").to_owned()
}

#[test]
fn check_passes_with_credentials_the_mock_issued_through_its_lifecycle() {
    for data in ["fixture", "generated"] {
        let runtime = crate::util::runtime();
        let mut config = MockConfig::defaults();
        config.listen = ([127, 0, 0, 1], 0).into();
        config.auth = session_mock::AuthMode::Known;
        config.data = if data == "fixture" {
            session_mock::DataMode::Fixture
        } else {
            session_mock::DataMode::Generated
        };
        let server = runtime.block_on(MockServer::start(config)).expect("mock");
        let base = server.url("");
        let client = session_conformance::exec::client_builder()
            .build()
            .expect("client");
        let (cookie, gone_cookie, token, gone_token) = runtime.block_on(async {
            let cookie = sign_in(&client, &base).await;
            let gone = sign_in(&client, &base).await;
            sign_out(&client, &base, &gone).await;
            (
                cookie,
                gone,
                admin_session(&client, &base, false).await,
                admin_session(&client, &base, true).await,
            )
        });
        for (contract, var, valid, revoked) in [
            ("authjs", "SESSION_COOKIE", &cookie, &gone_cookie),
            ("session-api", "SESSION_TOKEN", &token, &gone_token),
        ] {
            cargo_bin_cmd!("session-conformance")
                .env_remove("SESSION_TOKEN")
                .env_remove("SESSION_COOKIE")
                .env(var, valid)
                .env(var.replace("SESSION_", "SESSION_REVOKED_"), revoked)
                .args([
                    "check",
                    "--contract",
                    contract,
                    "--base-url",
                    &base,
                    "--cases",
                    "128",
                    "--seed",
                    "12",
                    "--strict",
                ])
                .assert()
                .code(0)
                .stdout(predicate::str::contains("result: CONFORMANT"))
                .stdout(predicate::str::contains("stability"))
                .stdout(predicate::str::contains(valid.as_str()).not());
        }
        runtime.block_on(server.stop());
        let _ = data;
    }
}

/// An authjs session made expired through the admin API: its cookie.
async fn expired_cookie(client: &reqwest::Client, base: &str) -> String {
    let reply = client
        .post(format!("{base}/__mock/sessions"))
        .body(r#"{"contract": "authjs", "state": "expired"}"#)
        .send()
        .await
        .expect("create");
    assert_eq!(reply.status(), 201);
    let body: serde_json::Value =
        serde_json::from_slice(&reply.bytes().await.expect("body")).expect("json");
    body["token"].as_str().expect("token").to_owned()
}

#[test]
fn sign_in_authjs_against_the_mock_passes_every_check_end_to_end() {
    // The mock's own cookies, and Auth.js's (with the app's secret).
    for secret in [None, Some("the-app-and-the-mock-share-this")] {
        sign_in_authjs_against_the_mock(secret);
    }
}

fn sign_in_authjs_against_the_mock(secret: Option<&str>) {
    let runtime = crate::util::runtime();
    let mut config = MockConfig::defaults();
    config.listen = ([127, 0, 0, 1], 0).into();
    config.auth = session_mock::AuthMode::Known;
    config.auth_secrets = secret.map(str::to_owned).into_iter().collect();
    let server = runtime.block_on(MockServer::start(config)).expect("mock");
    let base = server.url("");
    let expired = runtime.block_on(expired_cookie(
        &session_conformance::exec::client_builder()
            .build()
            .expect("client"),
        &base,
    ));
    let check = |password: &str| {
        let mut command = cargo_bin_cmd!("session-conformance");
        command
            .env_remove("SESSION_COOKIE")
            .env("SESSION_USER", "dev")
            .env("SESSION_PASSWORD", password)
            .env("SESSION_EXPIRED_COOKIE", &expired)
            .args([
                "check",
                "--contract",
                "authjs",
                "--base-url",
                &base,
                "--sign-in",
                "authjs",
                "--cases",
                "96",
                "--seed",
                "3",
                "--strict",
            ]);
        command
    };
    if secret.is_some() {
        assert_eq!(expired.split('.').count(), 5, "an Auth.js token: {expired}");
    }
    let output = check("dev").assert().code(0).get_output().clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("result: CONFORMANT"), "{stdout}");
    for name in [
        "sign-out-ends-session",
        "csrf-protected",
        "fresh-credential",
        "expired-credential",
    ] {
        let row = stdout
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .expect("a row");
        let counts: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(counts[0], "ok", "{row}");
        assert_eq!(counts[3..6], ["1", "0", "0"], "{row}");
    }
    assert!(
        stdout.contains("--sign-in authjs"),
        "the re-run signs in too: {stdout}"
    );
    assert!(!stdout.contains(&expired), "{stdout}");
    // A wrong password stops the run, naming the error redirect.
    check("not the password")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sign-in failed"))
        .stderr(predicate::str::contains("error=CredentialsSignin"))
        .stderr(predicate::str::contains("not the password").not());
    runtime.block_on(server.stop());
}
