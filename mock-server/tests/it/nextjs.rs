//! A real Next.js App Router app with Auth.js 5 (`tests/nextjs-app`: next
//! 16, next-auth 5.0.0-beta.32), developed against the mock as the README
//! says: `/api/auth/*` rewritten to the mock at build time, the same
//! `AUTH_SECRET` in both, the stock Auth.js 5 contract. Driven in headless
//! Chromium: the client page (`useSession`), a server component (`auth()`)
//! and a page behind the app's middleware (`proxy.js`) all see the same
//! persona, and sign-out ends it on all three. Needs node, `npm ci --prefix
//! tests/nextjs-app`, chromium and chromedriver; `.ci/run` installs them
//! and runs it. Screenshots: `target/nextjs-app/`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::util::serve;
use crate::webdriver::{browser, click, driver, free_port, until};

const SECRET: &str = "a-secret-the-next-app-and-the-mock-share";

fn app_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/nextjs-app")
}

/// `next start` on a loopback port, stopped on drop.
struct NextApp {
    child: tokio::process::Child,
    origin: String,
}

impl Drop for NextApp {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Builds the app with the rewrite to `mock` baked in, and starts it.
async fn next_app(mock: &str) -> NextApp {
    let dir = app_dir();
    let next = dir.join("node_modules/.bin/next");
    assert!(
        next.exists(),
        "run `npm ci --prefix tests/nextjs-app` first"
    );
    let built = tokio::process::Command::new(&next)
        .arg("build")
        .current_dir(&dir)
        .env("MOCK_AUTH", "1")
        .env("MOCK_URL", mock)
        .env("AUTH_SECRET", SECRET)
        .env("NEXT_TELEMETRY_DISABLED", "1")
        .output()
        .await
        .expect("next build runs");
    assert!(
        built.status.success(),
        "next build:\n{}\n{}",
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );
    let port = free_port();
    let child = tokio::process::Command::new(&next)
        .args(["start", "-H", "127.0.0.1", "-p", &port.to_string()])
        .current_dir(&dir)
        .env("AUTH_SECRET", SECRET)
        .env("NEXT_TELEMETRY_DISABLED", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("next start runs");
    // `localhost`, not 127.0.0.1: Next.js writes the URLs Auth.js builds
    // (the sign-in redirect's callbackUrl) with `localhost`, and cookies
    // are per host.
    let origin = format!("http://localhost:{port}");
    let client = reqwest::Client::new();
    let start = Instant::now();
    while !client
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "next start never answered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    NextApp { child, origin }
}

async fn text(client: &Client, id: &str) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"))
        .text()
        .await
        .expect("text")
}

/// Opens `path` of the app and waits for the element `id` to show `want`.
async fn page_shows(client: &Client, origin: &str, path: &str, id: &str, want: &str) {
    client
        .goto(&format!("{origin}{path}"))
        .await
        .expect("the page loads");
    let shown = until(
        client,
        &format!("#{id} = {want} on {path}"),
        "const e = document.getElementById(arguments[0]); return e && e.textContent === arguments[1];",
        vec![json!(id), json!(want)],
    )
    .await;
    assert_eq!(shown, true);
}

/// The session cookie the browser holds for the app (chunks joined).
async fn session_cookie(client: &Client) -> Option<String> {
    let cookies = client.get_all_cookies().await.expect("cookies");
    let mut chunks: Vec<(String, String)> = cookies
        .iter()
        .filter(|c| c.name().starts_with("authjs.session-token"))
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect();
    chunks.sort();
    let joined: String = chunks.into_iter().map(|(_, v)| v).collect();
    (!joined.is_empty()).then_some(joined)
}

struct Shots {
    dir: PathBuf,
    taken: usize,
}

impl Shots {
    fn new() -> Self {
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
            PathBuf::from,
        );
        let dir = target.join("nextjs-app");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        Self { dir, taken: 0 }
    }

    async fn take(&mut self, client: &Client, state: &str) {
        let png = client.screenshot().await.expect("screenshot");
        self.taken += 1;
        std::fs::write(self.dir.join(format!("{:02}-{state}.png", self.taken)), png)
            .expect("write screenshot");
    }
}

async fn sign_in_on_the_client_page(client: &Client, origin: &str, user: &str, password: &str) {
    page_shows(client, origin, "/", "client-status", "unauthenticated").await;
    for (id, value) in [("username", user), ("password", password)] {
        client
            .find(Locator::Id(id))
            .await
            .expect("input")
            .send_keys(value)
            .await
            .expect("typed");
    }
    click(client, "#sign-in").await;
    until(
        client,
        "signed in on the client page",
        "return document.getElementById('client-status').textContent === 'authenticated' \
         && document.getElementById('client-name').textContent !== '';",
        vec![],
    )
    .await;
}

#[tokio::test]
#[ignore = "needs node, `npm ci --prefix tests/nextjs-app`, chromium and chromedriver; .ci/run runs it"]
async fn a_next_js_app_router_app_is_signed_in_on_its_server_too() {
    let contract = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/authjs-v5.schema.json");
    let contract = contract.to_str().expect("utf-8");
    let (_mock, http) = serve(&[
        "--auth-secret",
        SECRET,
        "--user",
        "alice:wonderland",
        "--user",
        "bob:builder",
        "--contract",
        contract,
    ])
    .await;
    let app = next_app(&http.base).await;
    let origin = app.origin.clone();
    let driver = driver().await;
    let client = browser(&driver).await;
    let mut shots = Shots::new();

    // Signed out everywhere to begin with.
    page_shows(
        &client,
        &origin,
        "/server",
        "server-status",
        "unauthenticated",
    )
    .await;

    // Sign in on the client page (next-auth/react's signIn, through the rewrite).
    sign_in_on_the_client_page(&client, &origin, "alice", "wonderland").await;
    assert_eq!(text(&client, "client-name").await, "Alice");
    assert_eq!(text(&client, "client-email").await, "alice@example.com");
    shots.take(&client, "client-signed-in").await;

    // The app's own server decrypts the mock's cookie with its AUTH_SECRET.
    page_shows(
        &client,
        &origin,
        "/server",
        "server-status",
        "authenticated",
    )
    .await;
    assert_eq!(text(&client, "server-name").await, "Alice");
    assert_eq!(text(&client, "server-email").await, "alice@example.com");
    let server_session: Value =
        serde_json::from_str(&text(&client, "server-session").await).expect("JSON");
    assert_eq!(server_session["user"]["email"], "alice@example.com");
    shots.take(&client, "server-component").await;

    // Its middleware lets the persona through, and clears nothing.
    page_shows(&client, &origin, "/protected", "protected-name", "Alice").await;
    shots.take(&client, "protected").await;
    assert!(
        session_cookie(&client).await.is_some(),
        "no answer cleared the session cookie"
    );
    // What the middleware re-encrypted is still a session on the mock.
    page_shows(&client, &origin, "/", "client-name", "Alice").await;

    // Sign-out on the client page ends it on all three.
    click(&client, "#sign-out").await;
    until(
        &client,
        "signed out on the client page",
        "return document.getElementById('client-status').textContent === 'unauthenticated';",
        vec![],
    )
    .await;
    page_shows(
        &client,
        &origin,
        "/server",
        "server-status",
        "unauthenticated",
    )
    .await;
    client.refresh().await.expect("reload");
    page_shows(
        &client,
        &origin,
        "/server",
        "server-status",
        "unauthenticated",
    )
    .await;

    // The protected page sends the browser to sign in (the mock's page,
    // through the rewrite); signing in there lands back on it, as bob.
    client
        .goto(&format!("{origin}/protected"))
        .await
        .expect("navigate");
    let url = client.current_url().await.expect("url");
    assert!(
        url.path().ends_with("/api/auth/signin"),
        "redirected to sign in: {url}"
    );
    shots.take(&client, "sign-in-page").await;
    for (name, value) in [("username", "bob"), ("password", "builder")] {
        client
            .find(Locator::Css(&format!("input[name={name}]")))
            .await
            .expect("the sign-in form")
            .send_keys(value)
            .await
            .expect("typed");
    }
    click(&client, "form button[type=submit]").await;
    until(
        &client,
        "the protected page as bob",
        "const e = document.getElementById('protected-name'); return e && e.textContent === 'Bob';",
        vec![],
    )
    .await;
    assert_eq!(
        client.current_url().await.expect("url").path(),
        "/protected"
    );
    shots.take(&client, "protected-after-redirect").await;
    page_shows(&client, &origin, "/server", "server-name", "Bob").await;

    // A revocation on the mock reaches the app's server once the client
    // has read its session: the mock answers null and clears the cookie.
    let revoked = http.admin("DELETE", "/__mock/sessions", Value::Null).await;
    assert!(revoked.body["revoked"].as_u64().is_some_and(|n| n >= 1));
    page_shows(&client, &origin, "/", "client-status", "unauthenticated").await;
    page_shows(
        &client,
        &origin,
        "/server",
        "server-status",
        "unauthenticated",
    )
    .await;
    assert_eq!(session_cookie(&client).await, None, "cleared");
    shots.take(&client, "revoked").await;
    drop(app);
}
