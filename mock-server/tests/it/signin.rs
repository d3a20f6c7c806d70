//! The Auth.js sign-in protocol over real HTTP, spoken as next-auth's
//! browser client speaks it (`signIn("credentials", {redirect: false})`,
//! `update()`, `signOut()`): the CSRF double-submit cookie and form field,
//! `X-Auth-Return-Redirect: 1`, form-encoded posts. Every answer is held to
//! what a real Auth.js server answered (shared/CONTRACTS.md, last table).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use session_mock::User;
use session_schemas::{Clock, Mode, Registry};

use crate::util::{Http, Reply, config, serve_config};

/// A browser's cookie jar for one origin: keeps what `Set-Cookie` sets,
/// forgets what `Max-Age=0` clears.
pub(crate) struct Browser {
    pub(crate) http: Http,
    pub(crate) jar: BTreeMap<String, String>,
}

impl Browser {
    pub(crate) fn new(http: Http) -> Self {
        Self {
            http,
            jar: BTreeMap::new(),
        }
    }

    pub(crate) fn origin(&self) -> &str {
        &self.http.base
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn keep(&mut self, reply: &Reply) {
        for line in reply.set_cookies() {
            let first = line.split(';').next().unwrap_or_default();
            let (name, value) = first.split_once('=').expect("name=value");
            if line.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Reply {
        let cookie = self.cookie_header();
        let reply = self.http.get(path, &[("cookie", &cookie)]).await;
        self.keep(&reply);
        reply
    }

    pub(crate) async fn post_form(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        return_redirect: bool,
    ) -> Reply {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let cookie = self.cookie_header();
        let mut headers = vec![
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", cookie.as_str()),
        ];
        if return_redirect {
            headers.push(("x-auth-return-redirect", "1"));
        }
        let reply = self.http.send("POST", path, &headers, Some(body)).await;
        self.keep(&reply);
        reply
    }

    pub(crate) async fn post_json(&mut self, path: &str, body: &Value) -> Reply {
        let cookie = self.cookie_header();
        let headers = [
            ("content-type", "application/json"),
            ("cookie", cookie.as_str()),
        ];
        let reply = self
            .http
            .send("POST", path, &headers, Some(body.to_string()))
            .await;
        self.keep(&reply);
        reply
    }

    /// `getCsrfToken()`.
    pub(crate) async fn csrf(&mut self) -> String {
        let reply = self.get("/api/auth/csrf").await;
        assert_eq!(reply.status, 200);
        reply.body["csrfToken"]
            .as_str()
            .expect("csrfToken")
            .to_owned()
    }

    /// `signIn("credentials", {username, password, redirect: false})`.
    pub(crate) async fn sign_in(&mut self, username: &str, password: &str) -> Reply {
        let providers = self.get("/api/auth/providers").await;
        assert_eq!(providers.body["credentials"]["type"], "credentials");
        let csrf = self.csrf().await;
        let callback = format!("{}/dashboard", self.origin());
        self.post_form(
            "/api/auth/callback/credentials",
            &[
                ("username", username),
                ("password", password),
                ("csrfToken", &csrf),
                ("callbackUrl", &callback),
            ],
            true,
        )
        .await
    }

    /// `signOut({redirect: false})`.
    pub(crate) async fn sign_out(&mut self) -> Reply {
        let csrf = self.csrf().await;
        let callback = format!("{}/", self.origin());
        self.post_form(
            "/api/auth/signout",
            &[("csrfToken", &csrf), ("callbackUrl", &callback)],
            true,
        )
        .await
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.*".contains(&b) {
                char::from(b).to_string()
            } else if b == b' ' {
                "+".to_owned()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn mock() -> (session_mock::MockServer, Browser) {
    let mut config = config(&["--auth", "--user", "alice:wonderland"]);
    config.listen = "127.0.0.1:0".parse().expect("addr");
    let mut profile = serde_json::Map::new();
    profile.insert("user_type".into(), json!("client"));
    profile.insert("email".into(), json!("alice@example.com"));
    profile.insert("name".into(), json!("Alice"));
    config.users.push(User {
        username: "carol".into(),
        password: "s3cret".into(),
        id: None,
        profile,
    });
    let (server, http) = serve_config(config).await;
    (server, Browser::new(http))
}

fn assert_conforms(body: &Value) {
    let contract = Registry::builtin().get("authjs").expect("authjs");
    let violations = contract
        .check(
            200,
            body,
            Mode::Lenient,
            Some(&Clock::new(
                time::OffsetDateTime::now_utc(),
                time::Duration::seconds(5),
            )),
        )
        .expect("documented");
    assert!(violations.is_empty(), "{violations:?} in {body}");
}

#[tokio::test]
async fn csrf_and_providers_answer_as_auth_js_does() {
    let (_server, mut browser) = mock().await;
    let origin = browser.origin().to_owned();
    let reply = browser.get("/api/auth/csrf").await;
    assert_eq!(reply.status, 200);
    let token = reply.body["csrfToken"].as_str().expect("token").to_owned();
    assert!(is_hex(&token, 64), "{token}");
    assert_eq!(
        reply.header("cache-control"),
        Some("private, no-cache, no-store")
    );
    assert_eq!(reply.header("pragma"), Some("no-cache"));
    assert_eq!(reply.header("expires"), Some("0"));
    let csrf = reply.set_cookie("authjs.csrf-token").expect("csrf cookie");
    let value = csrf
        .split(';')
        .next()
        .expect("pair")
        .trim_start_matches("authjs.csrf-token=");
    let (cookie_token, hash) = value.split_once("%7C").expect("token%7Chash");
    assert_eq!(cookie_token, token);
    assert!(is_hex(hash, 64), "{hash}");
    assert!(csrf.ends_with("; Path=/; HttpOnly; SameSite=Lax"), "{csrf}");
    let callback = reply
        .set_cookie("authjs.callback-url")
        .expect("callback cookie");
    assert!(
        callback.starts_with(&format!(
            "authjs.callback-url={}",
            origin.replace(':', "%3A").replace('/', "%2F")
        )),
        "{callback}"
    );
    // A second visit with the cookies keeps the token and sets nothing new.
    let again = browser.get("/api/auth/csrf").await;
    assert_eq!(again.body["csrfToken"], token.as_str());
    assert!(again.set_cookies().is_empty(), "{:?}", again.set_cookies());

    let providers = browser.get("/api/auth/providers").await;
    assert_eq!(
        providers.body,
        json!({"credentials": {
            "id": "credentials", "name": "Credentials", "type": "credentials",
            "signinUrl": format!("{origin}/api/auth/signin/credentials"),
            "callbackUrl": format!("{origin}/api/auth/callback/credentials"),
        }})
    );
}

#[tokio::test]
async fn a_whole_session_signs_in_reads_updates_signs_out_and_stays_ended() {
    let (_server, mut browser) = mock().await;
    let origin = browser.origin().to_owned();

    // Signed out: {} (this contract's answer; Auth.js v5 itself says null).
    let before = browser.get("/api/auth/session").await;
    assert_eq!((before.status, &before.body), (200, &json!({})));

    let signed_in = browser.sign_in("alice", "wonderland").await;
    assert_eq!(signed_in.status, 200);
    assert_eq!(
        signed_in.body,
        json!({"url": format!("{origin}/dashboard")})
    );
    let session_cookie = signed_in
        .set_cookie("authjs.session-token")
        .expect("session cookie");
    assert!(
        session_cookie.contains("; Path=/; Expires="),
        "{session_cookie}"
    );
    assert!(
        session_cookie.ends_with(" GMT; HttpOnly; SameSite=Lax"),
        "{session_cookie}"
    );
    let old_cookie = browser.jar["authjs.session-token"].clone();

    let read = browser.get("/api/auth/session").await;
    assert_eq!(read.status, 200);
    assert_eq!(
        read.header("cache-control"),
        Some("private, no-cache, no-store")
    );
    assert_eq!(read.body["user"]["username"], "alice");
    assert_conforms(&read.body);
    let expires = read.body["expires"].as_str().expect("expires");
    assert!(
        expires.ends_with(".000Z"),
        "Auth.js writes toISOString(): {expires}"
    );
    assert!(
        read.set_cookie("authjs.session-token").is_some(),
        "the expiry slides on each read"
    );
    let session_id = read.body["session_id"]
        .as_str()
        .expect("session_id")
        .to_owned();

    // update(): CSRF token and data in a JSON body.
    let csrf = browser.csrf().await;
    let updated = browser
        .post_json(
            "/api/auth/session",
            &json!({"csrfToken": csrf, "data": {"user": {"name": "Alice Liddell"}}}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["user"]["name"], "Alice Liddell");
    assert_eq!(updated.body["session_id"], session_id.as_str());
    assert_conforms(&updated.body);
    let without_csrf = browser
        .post_json(
            "/api/auth/session",
            &json!({"data": {"user": {"name": "Mallory"}}}),
        )
        .await;
    assert_eq!(
        (without_csrf.status, without_csrf.text.as_str()),
        (400, "null")
    );
    let breaking = browser
        .post_json(
            "/api/auth/session",
            &json!({"csrfToken": csrf, "data": {"user": {"user_type": "admin"}}}),
        )
        .await;
    assert_eq!(
        breaking.status, 400,
        "an update that breaks the schema is refused"
    );
    let reread = browser.get("/api/auth/session").await;
    assert_eq!(reread.body["user"]["name"], "Alice Liddell");
    assert_eq!(reread.body["session_id"], session_id.as_str());

    let signed_out = browser.sign_out().await;
    assert_eq!(signed_out.status, 200);
    assert_eq!(signed_out.body, json!({"url": format!("{origin}/")}));
    assert_eq!(
        signed_out.set_cookie("authjs.session-token").as_deref(),
        Some("authjs.session-token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
    );
    assert!(!browser.jar.contains_key("authjs.session-token"));
    let after = browser.get("/api/auth/session").await;
    assert_eq!(after.body, json!({}));

    // The old cookie replayed (what a stolen cookie would do) ends nowhere
    // but the signed-out answer: the mock ended the session for real.
    let replayed = browser
        .http
        .get(
            "/api/auth/session",
            &[("cookie", &format!("authjs.session-token={old_cookie}"))],
        )
        .await;
    assert_eq!((replayed.status, &replayed.body), (200, &json!({})));

    let journal = browser.http.get("/__mock/requests", &[]).await;
    let events: Vec<&str> = journal.body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    for event in ["sign-in", "update", "sign-out"] {
        assert!(events.contains(&event), "{event} in {events:?}");
    }
    assert!(
        !journal.text.contains(&old_cookie[5..20]),
        "no credential in the journal"
    );
}

/// `--session-strategy jwt`: sign-out clears the cookie, as Auth.js's JWT
/// sessions do, and a copy of the old cookie still gets its session.
#[tokio::test]
async fn with_the_jwt_strategy_sign_out_only_clears_the_cookie() {
    let mut config = config(&["--auth", "--session-strategy", "jwt"]);
    config.listen = "127.0.0.1:0".parse().expect("addr");
    let (_server, http) = serve_config(config).await;
    let mut browser = Browser::new(http);
    assert_eq!(browser.sign_in("dev", "dev").await.status, 200);
    let old_cookie = browser.jar["authjs.session-token"].clone();
    let signed_out = browser.sign_out().await;
    assert_eq!(
        signed_out.set_cookie("authjs.session-token").as_deref(),
        Some("authjs.session-token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
    );
    assert_eq!(browser.get("/api/auth/session").await.body, json!({}));
    let replayed = browser
        .http
        .get(
            "/api/auth/session",
            &[("cookie", &format!("authjs.session-token={old_cookie}"))],
        )
        .await;
    assert_eq!(replayed.status, 200);
    assert_eq!(replayed.body["user"]["username"], "dev", "still a session");
    let sessions = browser.http.get("/__mock/sessions", &[]).await;
    assert_eq!(sessions.body["session_strategy"], "jwt");
    assert_eq!(sessions.body["live"], 1);
}

#[tokio::test]
async fn wrong_passwords_and_missing_csrf_tokens_are_refused_as_auth_js_refuses_them() {
    let (_server, mut browser) = mock().await;
    let origin = browser.origin().to_owned();
    let wrong = browser.sign_in("alice", "not-the-password").await;
    assert_eq!(
        (wrong.status, &wrong.body),
        (
            200,
            &json!({"url": format!("{origin}/api/auth/signin?error=CredentialsSignin&code=credentials")})
        )
    );
    assert!(wrong.set_cookie("authjs.session-token").is_none());
    assert!(wrong.set_cookies().is_empty(), "an error sends no cookies");

    // The same without X-Auth-Return-Redirect: a 302 a browser follows.
    let csrf = browser.csrf().await;
    let redirected = browser
        .post_form(
            "/api/auth/callback/credentials",
            &[
                ("username", "nobody"),
                ("password", "x"),
                ("csrfToken", &csrf),
            ],
            false,
        )
        .await;
    assert_eq!(redirected.status, 302);
    assert_eq!(
        redirected.header("location"),
        Some(format!("{origin}/api/auth/signin?error=CredentialsSignin&code=credentials").as_str())
    );
    let page = browser
        .get("/api/auth/signin?error=CredentialsSignin&code=credentials")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Sign in failed"), "{}", page.text);

    // No CSRF field, then a field that does not match the cookie.
    for token in [None, Some("f".repeat(64))] {
        let mut form = vec![("username", "alice"), ("password", "wonderland")];
        if let Some(token) = &token {
            form.push(("csrfToken", token.as_str()));
        }
        let refused = browser
            .post_form("/api/auth/callback/credentials", &form, false)
            .await;
        assert_eq!(refused.status, 302);
        assert_eq!(
            refused.header("location"),
            Some(format!("{origin}/api/auth/signin?error=MissingCSRF").as_str())
        );
        assert!(refused.set_cookie("authjs.session-token").is_none());
    }
    // A CSRF cookie forged without the server's key is not trusted either.
    let mut forged = Browser::new(Http::new(origin.clone()));
    let token = "a".repeat(64);
    forged.jar.insert(
        "authjs.csrf-token".into(),
        format!("{token}%7C{}", "b".repeat(64)),
    );
    let refused = forged
        .post_form(
            "/api/auth/callback/credentials",
            &[
                ("username", "alice"),
                ("password", "wonderland"),
                ("csrfToken", &token),
            ],
            true,
        )
        .await;
    assert_eq!(
        refused.body,
        json!({"url": format!("{origin}/api/auth/signin?error=MissingCSRF")})
    );

    // Sign-out without the token changes nothing.
    assert_eq!(browser.sign_in("carol", "s3cret").await.status, 200);
    let refused = browser
        .post_form("/api/auth/signout", &[("callbackUrl", "/")], true)
        .await;
    assert_eq!(
        refused.body,
        json!({"url": format!("{origin}/api/auth/signin?error=MissingCSRF")})
    );
    let still = browser.get("/api/auth/session").await;
    assert_eq!(still.body["user"]["username"], "carol");
    assert_eq!(
        still.body["user"]["user_type"], "client",
        "profile fields from the user"
    );
    assert_eq!(still.body["user"]["email"], "alice@example.com");
    // Signing in by email works too, as credentials providers often ask for it.
    let mut by_email = Browser::new(Http::new(origin.clone()));
    assert_eq!(
        by_email.sign_in("alice@example.com", "s3cret").await.body,
        json!({"url": format!("{origin}/dashboard")})
    );
}

#[tokio::test]
async fn callback_urls_on_other_origins_are_replaced_by_the_origin() {
    let (_server, mut browser) = mock().await;
    let origin = browser.origin().to_owned();
    let csrf = browser.csrf().await;
    let reply = browser
        .post_form(
            "/api/auth/callback/credentials",
            &[
                ("username", "alice"),
                ("password", "wonderland"),
                ("csrfToken", &csrf),
                ("callbackUrl", "https://evil.example/steal"),
            ],
            false,
        )
        .await;
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("location"), Some(origin.as_str()));
    // Behind a proxy the browser's origin comes from X-Forwarded-*, and
    // over https the cookies take Auth.js's secure prefixes.
    let proxied = browser
        .http
        .get(
            "/api/auth/csrf",
            &[
                ("x-forwarded-host", "app.localhost:3000"),
                ("x-forwarded-proto", "https"),
            ],
        )
        .await;
    let csrf = proxied
        .set_cookie("__Host-authjs.csrf-token")
        .expect("secure csrf cookie");
    assert!(
        csrf.ends_with("; Path=/; HttpOnly; Secure; SameSite=Lax"),
        "{csrf}"
    );
    let callback = proxied
        .set_cookie("__Secure-authjs.callback-url")
        .expect("callback");
    assert!(
        callback.starts_with("__Secure-authjs.callback-url=https%3A%2F%2Fapp.localhost%3A3000;"),
        "{callback}"
    );
}

#[tokio::test]
async fn a_frontend_on_another_origin_may_sign_in_and_update_with_credentials() {
    let (_server, browser) = mock().await;
    let origin = "http://localhost:5173";
    for (path, method, headers) in [
        ("/api/auth/session", "POST", "content-type"),
        (
            "/api/auth/callback/credentials",
            "POST",
            "content-type, x-auth-return-redirect",
        ),
        ("/api/auth/signout", "POST", "x-auth-return-redirect"),
        ("/api/auth/csrf", "GET", "content-type"),
    ] {
        let preflight = browser
            .http
            .send(
                "OPTIONS",
                path,
                &[
                    ("origin", origin),
                    ("access-control-request-method", method),
                    ("access-control-request-headers", headers),
                ],
                None,
            )
            .await;
        assert_eq!(preflight.status, 200, "{path}");
        assert_eq!(
            preflight.header("access-control-allow-origin"),
            Some(origin),
            "{path}"
        );
        assert_eq!(
            preflight.header("access-control-allow-credentials"),
            Some("true"),
            "{path}"
        );
        let methods = preflight
            .header("access-control-allow-methods")
            .unwrap_or_default();
        assert!(methods.contains(method), "{path}: {methods}");
    }
    let csrf = browser
        .http
        .get("/api/auth/csrf", &[("origin", origin)])
        .await;
    assert_eq!(csrf.header("access-control-allow-origin"), Some(origin));
    assert_eq!(
        csrf.header("access-control-allow-credentials"),
        Some("true")
    );
    let refused = browser
        .http
        .get("/api/auth/csrf", &[("origin", "https://evil.example")])
        .await;
    assert_eq!(refused.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn many_browsers_signing_in_and_out_at_once_keep_their_own_sessions() {
    let (_server, browser) = mock().await;
    let base = browser.origin().to_owned();
    let mut tasks = Vec::new();
    for client in 0..16 {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut browser = Browser::new(Http::new(base));
            let (user, password) = if client % 2 == 0 {
                ("alice", "wonderland")
            } else {
                ("carol", "s3cret")
            };
            let mut ids = Vec::new();
            for _ in 0..8 {
                assert_eq!(browser.sign_in(user, password).await.status, 200);
                let cookie = browser.jar["authjs.session-token"].clone();
                let first = browser.get("/api/auth/session").await.body;
                let id = first["session_id"].as_str().expect("a session").to_owned();
                for _ in 0..2 {
                    let again = browser.get("/api/auth/session").await.body;
                    assert_eq!(again["session_id"], id.as_str(), "another session's body");
                    assert_eq!(again["user"]["username"], user);
                }
                assert_eq!(browser.sign_out().await.status, 200);
                let replayed = browser
                    .http
                    .get(
                        "/api/auth/session",
                        &[("cookie", &format!("authjs.session-token={cookie}"))],
                    )
                    .await;
                assert_eq!(replayed.body, json!({}), "signed out for real");
                ids.push(id);
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.expect("browser"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 128, "every sign-in its own session");
    let listed = browser
        .http
        .get("/__mock/sessions?contract=authjs", &[])
        .await
        .body;
    let sessions = listed["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 128, "no session lost");
    assert!(sessions.iter().all(|s| s["state"] == "signed-out"));
}

/// The real next-auth v4 client (`next-auth/react`, the version npm serves
/// as latest) in Node, through `tests/next-auth-client/client.mjs`. Needs
/// node and `npm ci --prefix tests/next-auth-client`; `.ci/run` installs
/// both and runs it.
#[tokio::test]
#[ignore = "needs node and `npm ci --prefix tests/next-auth-client`; .ci/run runs it"]
async fn the_real_next_auth_client_signs_in_reads_and_signs_out() {
    let (_server, browser) = mock().await;
    let base = browser.origin().to_owned();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/next-auth-client");
    assert!(
        dir.join("node_modules/next-auth").is_dir(),
        "run `npm ci --prefix tests/next-auth-client` first"
    );
    let output = tokio::process::Command::new("node")
        .arg(dir.join("client.mjs"))
        .args([base.as_str(), "alice", "wonderland"])
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let steps: Value = serde_json::from_str(stdout.trim()).expect("the client's JSON");
    assert_eq!(steps["providers"]["credentials"]["type"], "credentials");
    assert_eq!(steps["csrfTokenLength"], 64);
    assert_eq!(
        steps["before"],
        Value::Null,
        "v4 reads `{{}}` as no session"
    );
    assert_eq!(steps["wrongPassword"]["error"], "CredentialsSignin");
    assert_eq!(steps["wrongPassword"]["url"], Value::Null);
    assert_eq!(steps["signIn"]["error"], Value::Null, "{stdout}");
    assert_eq!(steps["signIn"]["ok"], true);
    assert_eq!(steps["signIn"]["url"], format!("{base}/app"));
    assert_eq!(steps["session"]["user"]["username"], "alice");
    assert_conforms(&steps["session"]);
    assert_eq!(steps["signOut"]["url"], format!("{base}/"));
    assert_eq!(steps["after"], Value::Null);
    assert_eq!(steps["replayed"], json!({"status": 200, "body": {}}));
}

#[tokio::test]
async fn next_auth_v4_asks_for_json_with_a_form_field_and_gets_the_same_answers() {
    let (_server, mut browser) = mock().await;
    let origin = browser.origin().to_owned();
    let csrf = browser.csrf().await;
    let wrong = browser
        .post_form(
            "/api/auth/callback/credentials",
            &[
                ("username", "alice"),
                ("password", "no"),
                ("csrfToken", &csrf),
                ("json", "true"),
            ],
            false,
        )
        .await;
    assert_eq!(
        (wrong.status, &wrong.body),
        (
            200,
            &json!({"url": format!("{origin}/api/auth/signin?error=CredentialsSignin&code=credentials")})
        )
    );
    let right = browser
        .post_form(
            "/api/auth/callback/credentials",
            &[
                ("username", "alice"),
                ("password", "wonderland"),
                ("csrfToken", &csrf),
                ("callbackUrl", "/app"),
                ("json", "true"),
            ],
            false,
        )
        .await;
    assert_eq!(
        (right.status, &right.body),
        (200, &json!({"url": format!("{origin}/app")}))
    );
    assert!(right.set_cookie("authjs.session-token").is_some());
    let out = browser
        .post_form(
            "/api/auth/signout",
            &[("csrfToken", &csrf), ("json", "true")],
            false,
        )
        .await;
    assert_eq!(out.status, 200, "{}", out.text);
    assert_eq!(browser.get("/api/auth/session").await.body, json!({}));
}
