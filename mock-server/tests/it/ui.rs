//! The control page at `/__mock/`: what is served and where (in process),
//! and what it does in a real headless browser (`browser`, run by `.ci/run`).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::util::{app, from_peer, get, send, serve};

/// Every `"/__mock..."` path the script names (literal or the fixed part
/// of a template).
fn admin_paths_in(script: &str) -> std::collections::BTreeSet<String> {
    let mut paths = std::collections::BTreeSet::new();
    for quote in ['"', '`'] {
        for piece in script.split(quote).skip(1).step_by(2) {
            if let Some(rest) = piece.strip_prefix("/__mock") {
                let end = rest.find(['$', '?', ' ']).unwrap_or(rest.len());
                paths.insert(format!("/__mock{}", &rest[..end]));
            }
        }
    }
    paths
}

#[tokio::test]
async fn the_page_is_embedded_small_and_locked_down() {
    let mock = app(&[]);
    let mut total = 0;
    for asset in &session_mock::testing::ui::ASSETS {
        let answer = get(&mock, asset.path, &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", asset.path);
        assert_eq!(
            answer.header("content-type"),
            Some(asset.content_type),
            "{}",
            asset.path
        );
        assert_eq!(
            answer.header("content-security-policy"),
            Some(session_mock::testing::ui::CONTENT_SECURITY_POLICY_VALUE)
        );
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            answer.raw, asset.bytes,
            "{} is served as embedded",
            asset.path
        );
        total += answer.raw.len();
        // Revalidation: the same bytes are never sent twice to one browser.
        let etag = answer.header("etag").expect("an etag").to_owned();
        let again = get(&mock, asset.path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{}", asset.path);
        assert!(again.raw.is_empty());
        let stale = get(&mock, asset.path, &[("if-none-match", "\"other\"")]).await;
        assert_eq!(stale.status, StatusCode::OK);
    }
    assert!(total < 100 * 1024, "the page's files weigh {total} bytes");

    let policy = session_mock::testing::ui::CONTENT_SECURITY_POLICY_VALUE;
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");

    let text = |path: &str| {
        let asset = session_mock::testing::ui::ASSETS
            .iter()
            .find(|a| a.path == path)
            .expect("asset");
        std::str::from_utf8(asset.bytes).expect("utf-8")
    };
    let html = text("/__mock/");
    let script = text("/__mock/ui/app.js");
    let style = text("/__mock/ui/app.css");
    // Nothing the policy would block, and nothing from elsewhere.
    for (what, body) in [("html", html), ("script", script), ("style", style)] {
        for far in ["https://", "http://", "//cdn", "@import", "url("] {
            assert!(!body.contains(far), "{what} names `{far}`");
        }
    }
    assert!(!html.contains(" style="), "inline style attributes");
    assert!(!html.contains(" onclick="), "inline handlers");
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script type=\"module\" src=\"/__mock/ui/")
            .count(),
        "every script is a file of the page"
    );
    let linked = |name: &str| html.split(name).skip(1).collect::<Vec<_>>();
    for attribute in [linked(" src=\""), linked(" href=\"")].concat() {
        assert!(
            attribute.starts_with("/__mock/") || attribute.starts_with('#'),
            "{}",
            &attribute[..attribute.len().min(40)]
        );
    }
    // Text goes into the page as text: a path or a user name is never markup.
    assert!(!script.contains("innerHTML") && !script.contains("insertAdjacentHTML"));

    // The script talks to the admin API and nothing else, through one function.
    // (The other `fetch(` is the text of the fetch snippet.)
    assert_eq!(
        script.matches("fetch(").count(),
        script.matches("await fetch(path, init)").count()
            + script
                .matches("`const res = await fetch(\"${url}\"")
                .count(),
        "one fetch call"
    );
    for other in [
        "XMLHttpRequest",
        "EventSource",
        "WebSocket",
        "sendBeacon",
        "import(",
    ] {
        assert!(!script.contains(other), "{other}");
    }
    assert_eq!(
        admin_paths_in(script),
        [
            "/__mock/clock",
            "/__mock/requests",
            "/__mock/scenarios",
            "/__mock/sessions",
            "/__mock/sessions/",
            "/__mock/violations"
        ]
        .map(String::from)
        .into()
    );
    for path in [
        "/__mock/scenarios",
        "/__mock/sessions",
        "/__mock/clock",
        "/__mock/requests",
    ] {
        assert_eq!(get(&mock, path, &[]).await.status, StatusCode::OK, "{path}");
    }

    // The address without its slash leads to the page.
    let bare = get(&mock, "/__mock", &[]).await;
    assert_eq!(bare.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(bare.header("location"), Some("/__mock/"));
}

#[tokio::test]
async fn the_page_is_only_where_the_admin_api_is() {
    let off = app(&["--no-admin"]);
    for path in ["/__mock/", "/__mock/ui/app.js", "/__mock"] {
        assert_eq!(
            get(&off, path, &[]).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Non-loopback peers: refused unless opened (see also
    // scenarios::the_admin_api_refuses_non_loopback_peers_unless_opened).
    let from = |peer: &str| from_peer("GET", "/__mock/", peer);
    assert_eq!(
        send(&app(&[]), from("192.168.1.20:5000")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app(&["--admin-open"]), from("192.168.1.20:5000"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn other_sites_in_the_developers_browser_cannot_drive_the_admin_api() {
    use axum::body::Body;
    use axum::http::Request;
    let put = |origin: Option<&str>, host: &str| {
        let mut request = Request::put("/__mock/scenarios").header("host", host);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request
            .body(Body::from(r#"{"session-api": "500"}"#))
            .expect("request")
    };
    let runtime = |mock: &session_mock::MockApp| {
        let mock = mock.clone();
        async move { get(&mock, "/__mock/scenarios", &[]).await.body["contracts"][1]["runtime"].clone() }
    };
    let mock = app(&[]);
    // A page of another site: refused, and nothing changed.
    for origin in [
        "https://evil.example",
        "null",
        "http://localhost.evil.example:80",
    ] {
        let refused = send(&mock, put(Some(origin), "127.0.0.1:4010")).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(refused.body["error"], "foreign_origin");
        assert_eq!(runtime(&mock).await, Value::Null, "{origin}");
    }
    let read = get(
        &mock,
        "/__mock/requests",
        &[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:4010"),
        ],
    )
    .await;
    assert_eq!(read.status, StatusCode::FORBIDDEN);
    // The control page itself (its own origin), an allowed dev origin, and
    // curl (no Origin) all pass.
    for (origin, host) in [
        (Some("http://127.0.0.1:4010"), "127.0.0.1:4010"),
        (Some("http://localhost:3000"), "127.0.0.1:4010"),
        (None, "127.0.0.1:4010"),
    ] {
        assert_eq!(
            send(&mock, put(origin, host)).await.status,
            StatusCode::OK,
            "{origin:?}"
        );
        assert_eq!(runtime(&mock).await, "500");
    }
    // Opened to the network, the page under a LAN address is its own origin.
    let opened = app(&["--admin-open"]);
    assert_eq!(
        send(
            &opened,
            put(Some("http://192.168.1.20:4010"), "192.168.1.20:4010")
        )
        .await
        .status,
        StatusCode::OK
    );
    // Without the default origins, a dev server elsewhere is another site.
    let strict = app(&["--no-default-origins"]);
    assert_eq!(
        send(
            &strict,
            put(Some("http://localhost:3000"), "127.0.0.1:4010")
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_admin_api_answers_only_requests_addressed_to_loopback() {
    // DNS rebinding: a page of rebound.example whose name now points at
    // 127.0.0.1 reads the mock "same-origin": its Host is its own name.
    let mock = app(&[]);
    for host in [
        "rebound.example:4010",
        "rebound.example",
        "10.0.0.5:4010",
        "localhost.example",
    ] {
        for path in ["/__mock/requests", "/__mock/", "/__mock/sessions"] {
            let refused = get(&mock, path, &[("host", host)]).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{host} {path}");
            assert_eq!(refused.body["error"], "foreign_host", "{host} {path}");
        }
    }
    for host in [
        "127.0.0.1:4010",
        "localhost:4010",
        "LOCALHOST",
        "[::1]:4010",
        "127.1.2.3",
    ] {
        assert_eq!(
            get(&mock, "/__mock/requests", &[("host", host)])
                .await
                .status,
            StatusCode::OK,
            "{host}"
        );
    }
    // The endpoints themselves answer any name; --admin-open drops the rule.
    assert_eq!(
        get(&mock, "/auth/session", &[("host", "rebound.example")])
            .await
            .status,
        StatusCode::OK
    );
    let opened = app(&["--admin-open"]);
    assert_eq!(
        get(&opened, "/__mock/requests", &[("host", "dev-box.lan:4010")])
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_journal_reads_from_a_cursor_and_shows_clears() {
    let (_server, http) = serve(&[]).await;
    for n in 0..3 {
        http.get(&format!("/auth/session?n{n}"), &[]).await;
    }
    let all = http.get("/__mock/requests", &[]).await;
    assert_eq!(
        (all.body["first"].as_u64(), all.body["next"].as_u64()),
        (Some(1), Some(4))
    );
    let seqs = |listing: &Value| -> Vec<(u64, String)> {
        listing["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                (
                    e["seq"].as_u64().expect("seq"),
                    e["query"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        seqs(&all.body),
        [(1, "n0".into()), (2, "n1".into()), (3, "n2".into())]
    );
    let after = http.get("/__mock/requests?after=2", &[]).await;
    assert_eq!(seqs(&after.body), [(3, "n2".into())]);
    assert_eq!(
        seqs(&http.get("/__mock/requests?after=3", &[]).await.body),
        []
    );

    // A clear, by anyone: a reader's cursor stays valid, and `first` tells
    // it to forget what it held.
    assert_eq!(
        http.admin("DELETE", "/__mock/requests", Value::Null)
            .await
            .status,
        204
    );
    http.get("/auth/session?n3", &[]).await;
    let cleared = http.get("/__mock/requests?after=3", &[]).await;
    assert_eq!(seqs(&cleared.body), [(4, "n3".into())]);
    assert_eq!(cleared.body["first"], 4);

    for (query, says) in [
        ("after=two", "`two` is not a whole number"),
        ("after=-1", "`-1` is not a whole number"),
        ("since=1", "unknown query parameter `since`"),
    ] {
        let refused = http.get(&format!("/__mock/requests?{query}"), &[]).await;
        assert_eq!(refused.status, 400, "{query}");
        assert!(
            refused.body["message"]
                .as_str()
                .expect("message")
                .contains(says),
            "{query}: {}",
            refused.text
        );
    }
}

#[tokio::test]
async fn the_listings_say_what_a_page_needs_and_no_password() {
    let (_server, http) = serve(&["--user", "alice:wonderland"]).await;
    let scenarios = http.get("/__mock/scenarios", &[]).await.body;
    let by_name = |name: &str| -> Value {
        scenarios["contracts"]
            .as_array()
            .expect("contracts")
            .iter()
            .find(|c| c["contract"] == name)
            .cloned()
            .expect("mounted")
    };
    let authjs = by_name("authjs");
    assert_eq!(authjs["base"], "/api/auth");
    assert_eq!(authjs["protocol"], "authjs");
    assert_eq!(
        authjs["credential"],
        json!({"in": "cookie", "name": "authjs.session-token"})
    );
    let api = by_name("session-api");
    assert_eq!(api["base"], "/auth");
    assert_eq!(api["protocol"], Value::Null);
    assert_eq!(
        api["credential"],
        json!({"in": "header", "name": "Authorization", "scheme": "Bearer"})
    );

    let sessions = http.get("/__mock/sessions", &[]).await;
    assert_eq!(sessions.body["users"], json!(["alice"]));
    assert!(!sessions.text.contains("wonderland"));
}

/// The banner's lines up to `Sessions (`, from the binary on a free port.
fn banner(extra: &[&str]) -> (u16, Vec<String>) {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("session-mock"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .env_remove("SESSION_MOCK_LISTEN")
        .env_remove("SESSION_MOCK_NO_ADMIN")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the mock starts");
    let stdout = child.stdout.take().expect("stdout");
    let lines: Vec<String> = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take_while(|line| !line.starts_with("Sessions ("))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    (port, lines)
}

#[test]
fn the_banner_prints_the_page_address_where_there_is_a_page() {
    let (port, lines) = banner(&[]);
    let page = format!("http://127.0.0.1:{port}/__mock/");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("Control page: {page} "))),
        "{lines:#?}"
    );
    let (_, lines) = banner(&["--no-admin"]);
    assert!(
        lines.iter().any(|l| l.starts_with("Switch scenarios")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("Control page")),
        "{lines:#?}"
    );
}

/// `--scenario 401` reaches every contract that has it; where that
/// scenario is outside the contract's document, its banner line says so.
#[test]
fn the_banner_marks_a_default_scenario_outside_a_contracts_document() {
    let (_, lines) = banner(&["--scenario", "401"]);
    let line = |name: &str| {
        lines
            .iter()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} line in {lines:#?}"))
    };
    let authjs = line("authjs");
    assert!(
        authjs.ends_with("scenario 401  OFF-CONTRACT: status 401 is not documented by authjs"),
        "{authjs}"
    );
    let api = line("session-api");
    assert!(
        api.ends_with("scenario 401") && !api.contains("OFF-CONTRACT"),
        "{api}"
    );
    let (_, lines) = banner(&[]);
    assert!(
        !lines.iter().any(|l| l.contains("OFF-CONTRACT")),
        "{lines:#?}"
    );
}

/// The page in a real browser: Debian's chromium through chromedriver
/// (`SESSION_MOCK_BROWSER=firefox` with geckodriver works too). `.ci/run`
/// installs both packages when missing and runs these.
mod browser {
    use std::path::PathBuf;
    use std::time::Duration;

    use fantoccini::{Client, Locator};
    use serde_json::{Value, json};

    use crate::util::serve;
    use crate::webdriver::{Driver, browser, click, driver, firefox, until};

    /// A browser with the control page of the mock at `base` open, at 1280x800.
    async fn open_page(base: &str) -> (Driver, Client) {
        let driver = driver().await;
        let client = browser(&driver).await;
        client
            .set_window_size(1280, 800)
            .await
            .expect("window size");
        client
            .goto(&format!("{base}/__mock/"))
            .await
            .expect("the page loads");
        (driver, client)
    }

    /// Screenshots for a reviewer: `target/control-page/<browser>/<test>-NN-<state>.png`.
    struct Shots {
        dir: PathBuf,
        test: &'static str,
        taken: usize,
    }

    impl Shots {
        fn new(test: &'static str) -> Self {
            let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
                || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
                PathBuf::from,
            );
            let dir =
                target
                    .join("control-page")
                    .join(if firefox() { "firefox" } else { "chromium" });
            std::fs::create_dir_all(&dir).expect("screenshot directory");
            Self {
                dir,
                test,
                taken: 0,
            }
        }

        /// The viewport after scrolling `section` to its top.
        async fn take(&mut self, client: &Client, section: &str, state: &str) {
            client
                .execute(
                    "document.getElementById(arguments[0]).scrollIntoView({block: 'start'});",
                    vec![json!(section)],
                )
                .await
                .expect("scroll");
            // The clock's display ticks each second; one frame settles layout.
            tokio::time::sleep(Duration::from_millis(150)).await;
            let png = client.screenshot().await.expect("screenshot");
            assert!(png.starts_with(b"\x89PNG"), "a PNG");
            self.taken += 1;
            let path = self
                .dir
                .join(format!("{}-{:02}-{state}.png", self.test, self.taken));
            std::fs::write(&path, png).expect("write screenshot");
        }
    }

    /// `curl -s URL [-H header]`: status and body, from outside the browser.
    async fn curl(url: &str, header: Option<&str>) -> (u16, Value) {
        let mut command = tokio::process::Command::new("curl");
        command.args(["-s", "-w", "\n%{http_code}", url]);
        if let Some(header) = header {
            command.args(["-H", header]);
        }
        let output = command.output().await.expect("curl runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let (body, status) = text.rsplit_once('\n').expect("status line");
        (
            status.trim().parse().expect("a status"),
            serde_json::from_str(body).unwrap_or(Value::Null),
        )
    }

    const PRESSED: &str = "const b = document.querySelector(arguments[0]); \
                           return b && b.getAttribute('aria-pressed') === 'true';";
    const SESSION_STATE: &str = "const row = document.querySelector(`tr[data-session=\"${arguments[0]}\"]`); \
                                 return row && row.dataset.state === arguments[1];";

    /// Creates a session through the page's form and returns its id and the
    /// token the page shows.
    async fn create_on_page(client: &Client, contract: &str, lifetime: &str) -> (String, String) {
        let previous = client
            .execute(
                "return document.getElementById('created-token').value;",
                vec![],
            )
            .await
            .expect("script");
        client
            .execute(
                "document.getElementById('create-contract').value = arguments[0]; \
                 document.getElementById('create-lifetime').value = arguments[1];",
                vec![json!(contract), json!(lifetime)],
            )
            .await
            .expect("fill the form");
        click(client, "#create-form button[type=submit]").await;
        let token = until(
            client,
            "the new session's token",
            "const t = document.getElementById('created-token').value; \
             return t !== arguments[0] && !document.getElementById('created').hidden && t;",
            vec![previous],
        )
        .await;
        let token = token.as_str().expect("token").to_owned();
        let id = client
            .execute(
                "return document.getElementById('created').dataset.session;",
                vec![],
            )
            .await
            .expect("script");
        let id = id.as_str().expect("the session's id").to_owned();
        until(
            client,
            "the new session's row",
            SESSION_STATE,
            vec![json!(id), json!("active")],
        )
        .await;
        (id, token)
    }

    /// Clicks `button`, waits until session `id`'s row reads `state`, and
    /// returns what curl then gets at `url` with `header`.
    async fn end_on_page(
        client: &Client,
        button: &str,
        (id, state): (&str, &str),
        (url, header): (&str, &str),
    ) -> (u16, Value) {
        click(client, button).await;
        until(
            client,
            &format!("session {id} {state}"),
            SESSION_STATE,
            vec![json!(id), json!(state)],
        )
        .await;
        curl(url, Some(header)).await
    }

    /// A page of another origin, open in the same browser, sends the
    /// drive-by request a form could: a no-CORS text/plain POST that makes
    /// a session. The mock that does not allow that origin refuses it; the
    /// one that allows it (the default `http://127.0.0.1:*`) takes it, so the
    /// request really arrives and the origin rule is what stops it.
    #[tokio::test]
    #[ignore = "needs chromium and chromedriver (Debian: chromium, chromium-driver); .ci/run runs it"]
    async fn a_page_of_another_site_cannot_drive_the_admin_api() {
        let (_strict, strict) = serve(&["--no-default-origins"]).await;
        let (_open, open) = serve(&[]).await;
        let site = wiremock::MockServer::start().await;
        let page = r#"<!doctype html><title>elsewhere</title><script>
            const target = new URLSearchParams(location.search).get("mock");
            fetch(target + "/__mock/sessions", {method: "POST", mode: "no-cors",
              headers: {"Content-Type": "text/plain"}, body: '{"contract": "session-api"}'})
              .finally(() => { document.title = "sent"; });
            </script>"#;
        wiremock::Mock::given(wiremock::matchers::path("/elsewhere"))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(page, "text/html"))
            .mount(&site)
            .await;
        let driver = driver().await;
        let client = browser(&driver).await;
        for (http, made) in [(&strict, 0), (&open, 1)] {
            client
                .goto(&format!("{}/elsewhere?mock={}", site.uri(), http.base))
                .await
                .expect("the other site's page loads");
            until(
                &client,
                "the request sent",
                "return document.title === 'sent';",
                vec![],
            )
            .await;
            let sessions = http.get("/__mock/sessions", &[]).await.body;
            assert_eq!(
                sessions["sessions"].as_array().map(Vec::len),
                Some(made),
                "{}: {sessions}",
                http.base
            );
        }
        client.close().await.expect("the browser closes");
    }

    /// A proxied contract's card shows what the upstream broke, as the
    /// validating proxy's summary says; the journal row names its source.
    #[tokio::test]
    #[ignore = "needs chromium and chromedriver (Debian: chromium, chromium-driver); .ci/run runs it"]
    async fn the_page_shows_what_a_proxied_upstream_broke() {
        let upstream = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::path("/auth/session"))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw("{}", "text/plain"))
            .mount(&upstream)
            .await;
        let proxy = format!("session-api={}", upstream.uri());
        let (_server, http) = serve(&["--proxy", &proxy]).await;
        let base = http.base.clone();
        let (status, _) = curl(&format!("{base}/auth/session"), None).await;
        assert_eq!(status, 200, "the upstream's answer, passed through");
        let (_driver, client) = open_page(&base).await;
        let mut shots = Shots::new("proxy");
        let card = until(
            &client,
            "the upstream's violations",
            "const u = document.querySelector('[data-upstream=\"session-api\"] ul.violations'); \
             return u && u.textContent;",
            vec![],
        )
        .await;
        assert!(
            card.as_str().expect("text").contains("content-type"),
            "{card}"
        );
        let row = until(
            &client,
            "the proxied request",
            "const row = document.querySelector('#journal-table tbody tr[data-contract=\"session-api\"]'); \
             return row && row.textContent;",
            vec![],
        )
        .await;
        let row = row.as_str().expect("text");
        assert!(
            row.contains("from upstream") && row.contains("contract violation"),
            "{row}"
        );
        shots.take(&client, "contracts", "violations").await;
        click(&client, "button[data-key=\"violations:session-api\"]").await;
        until(
            &client,
            "the reset summary",
            "return !document.querySelector('[data-upstream] ul.violations');",
            vec![],
        )
        .await;
        assert_eq!(
            http.get("/__mock/violations", &[]).await.body["distinct_violations"],
            0
        );
        client.close().await.expect("the browser closes");
    }

    #[tokio::test]
    #[ignore = "needs chromium and chromedriver (Debian: chromium, chromium-driver); .ci/run runs it"]
    async fn the_control_page_drives_the_mock_in_a_real_browser() {
        let (_server, http) = serve(&["--auth"]).await;
        let base = http.base.clone();
        let (_driver, client) = open_page(&base).await;
        let mut shots = Shots::new("page");
        until(
            &client,
            "the contracts",
            "return document.body.dataset.ready === 'true' && \
                    document.querySelector('article[data-contract=\"session-api\"]');",
            vec![],
        )
        .await;

        // Every control has a name a screen reader can say.
        let unnamed = client
            .execute(
                "return [...document.querySelectorAll('button, input, select')].filter(el => \
                   !(el.getAttribute('aria-label') || (el.labels && el.labels.length) || \
                     (el.tagName === 'BUTTON' && el.textContent.trim()))).map(el => el.outerHTML);",
                vec![],
            )
            .await
            .expect("script");
        assert_eq!(unnamed, json!([]), "controls without a label");
        shots.take(&client, "contracts", "start").await;

        // A click switches the scenario; the next GET from curl serves it.
        let five_hundred = "article[data-contract=\"session-api\"] button[data-scenario=\"500\"]";
        click(&client, five_hundred).await;
        until(&client, "500 pressed", PRESSED, vec![json!(five_hundred)]).await;
        let (status, body) = curl(&format!("{base}/auth/session"), None).await;
        assert_eq!(
            (status, &body["error"]),
            (500, &json!("internal_error")),
            "{body}"
        );
        shots.take(&client, "contracts", "scenario-500").await;

        // And a change by curl shows on the page.
        let changed = http
            .admin("PUT", "/__mock/scenarios", json!({"authjs": "empty"}))
            .await;
        assert_eq!(changed.status, 200);
        let empty = "article[data-contract=\"authjs\"] button[data-scenario=\"empty\"]";
        until(&client, "authjs's curl change", PRESSED, vec![json!(empty)]).await;
        // The keyboard alone switches one back: focus and Enter.
        let valid = "article[data-contract=\"authjs\"] button[data-scenario=\"valid\"]";
        let button = client
            .find(Locator::Css(valid))
            .await
            .expect("authjs valid button");
        button
            .send_keys(&fantoccini::key::Key::Enter.to_string())
            .await
            .expect("Enter on the button");
        until(
            &client,
            "valid pressed from the keyboard",
            PRESSED,
            vec![json!(valid)],
        )
        .await;
        assert_eq!(
            http.get("/__mock/scenarios", &[]).await.body["contracts"][0]["runtime"],
            "valid"
        );
        click(&client, "#reset-scenarios").await;
        until(
            &client,
            "the reset",
            "return !document.querySelector('#contract-list [data-key^=\"default:\"]');",
            vec![],
        )
        .await;
        let (status, _) = curl(&format!("{base}/auth/session"), None).await;
        assert_eq!(status, 401, "back to the default: no credential, 401");

        // A request made here appears in the journal view, fingerprint only.
        let probe = format!("ui-probe-{}", std::process::id());
        let (status, _) = curl(
            &format!("{base}/auth/session?{probe}"),
            Some("Authorization: Bearer not-a-real-token"),
        )
        .await;
        assert_eq!(status, 401);
        let row = until(
            &client,
            "the probe request",
            "const row = [...document.querySelectorAll('#journal-table tbody tr')] \
               .find(r => r.textContent.includes(arguments[0])); return row && row.textContent;",
            vec![json!(probe)],
        )
        .await;
        let row = row.as_str().expect("row text");
        assert!(row.contains("session-api") && row.contains("401"), "{row}");
        assert!(
            !row.contains("not-a-real-token"),
            "the credential itself: {row}"
        );
        shots.take(&client, "journal", "journal").await;

        // Filtered to another contract, it is gone; paused, nothing new comes in.
        client
            .execute(
                "const s = document.getElementById('journal-filter'); s.value = 'authjs'; \
                 s.dispatchEvent(new Event('change'));",
                vec![],
            )
            .await
            .expect("filter");
        until(
            &client,
            "the filter",
            "return ![...document.querySelectorAll('#journal-table tbody tr')] \
               .some(r => r.textContent.includes(arguments[0]));",
            vec![json!(probe)],
        )
        .await;
        client
            .execute(
                "const s = document.getElementById('journal-filter'); s.value = ''; \
                 s.dispatchEvent(new Event('change'));",
                vec![],
            )
            .await
            .expect("filter");
        click(&client, "#journal-pause").await;
        let paused = format!("{probe}-paused");
        curl(&format!("{base}/auth/session?{paused}"), None).await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let shown = client
            .execute(
                "return document.getElementById('journal-table').textContent.includes(arguments[0]);",
                vec![json!(paused)],
            )
            .await
            .expect("script");
        assert_eq!(shown, false, "a paused journal takes nothing in");
        click(&client, "#journal-pause").await;
        until(
            &client,
            "the request made while paused",
            "return document.getElementById('journal-table').textContent.includes(arguments[0]);",
            vec![json!(paused)],
        )
        .await;

        // A session made on the page; its token works; the clock ends it.
        let (id, token) = create_on_page(&client, "session-api", "1h").await;
        let bearer = format!("Authorization: Bearer {token}");
        let (status, body) = curl(&format!("{base}/auth/session"), Some(&bearer)).await;
        assert_eq!(status, 200, "{body}");
        shots.take(&client, "sessions", "session-created").await;
        click(&client, "#copy-token").await;
        until(
            &client,
            "the token copied",
            "return document.getElementById('toast').textContent === 'Copied the token';",
            vec![],
        )
        .await;
        let ended = end_on_page(
            &client,
            "button[data-advance=\"1d\"]",
            (&id, "expired"),
            (&format!("{base}/auth/session"), &bearer),
        )
        .await;
        assert_eq!(
            ended,
            (
                401,
                json!({"error": "unauthorized", "message": "Invalid or expired token"})
            )
        );
        let clock = http.get("/__mock/clock", &[]).await.body;
        assert_eq!(clock["mode"], "offset");
        assert!(clock["offset_seconds"].as_i64().expect("offset") >= 86_399);
        shots.take(&client, "sessions", "session-expired").await;

        // Revoked from the page: the token is refused.
        let (id, token) = create_on_page(&client, "session-api", "").await;
        let bearer = format!("Authorization: Bearer {token}");
        assert_eq!(
            curl(&format!("{base}/auth/session"), Some(&bearer)).await.0,
            200
        );
        let ended = end_on_page(
            &client,
            &format!("button[data-key=\"revoked:{id}\"]"),
            (&id, "revoked"),
            (&format!("{base}/auth/session"), &bearer),
        )
        .await;
        assert_eq!(
            ended,
            (
                404,
                json!({"error": "not_found", "message": "Session not found"})
            )
        );
        shots.take(&client, "sessions", "session-revoked").await;

        // An Auth.js session (made by curl) signed out from the page.
        let made = http
            .admin("POST", "/__mock/sessions", json!({"contract": "authjs"}))
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        let cookie = made.body["header"].as_str().expect("header").to_owned();
        let id = made.body["session"]["id"].as_str().expect("id").to_owned();
        let (status, body) = curl(&format!("{base}/api/auth/session"), Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(body["user"].is_object(), "{body}");
        let ended = end_on_page(
            &client,
            &format!("button[data-key=\"signed out:{id}\"]"),
            (&id, "signed-out"),
            (&format!("{base}/api/auth/session"), &cookie),
        )
        .await;
        assert_eq!(ended, (200, json!({})));

        // Back to real time.
        click(&client, "#clock-real").await;
        until(
            &client,
            "real time",
            "return document.getElementById('top-mode').textContent === 'real time';",
            vec![],
        )
        .await;
        assert_eq!(http.get("/__mock/clock", &[]).await.body["mode"], "real");
        shots.take(&client, "clock", "real-time").await;
        shots.take(&client, "snippets", "snippets").await;
        let snippet = client
            .execute(
                "return document.querySelector('[data-snippet=\"curl\"] pre').textContent;",
                vec![],
            )
            .await
            .expect("script");
        let snippet = snippet.as_str().expect("text");
        assert!(snippet.contains(&format!("curl -i {base}/")), "{snippet}");
        // The next.config rewrite and the Vite proxy are the README's, for this mock.
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
            .expect("README");
        for title in ["next.config.js rewrite", "Vite proxy"] {
            let text = client
                .execute(
                    "const s = document.getElementById('snippet-contract'); s.value = 'authjs'; \
                     s.dispatchEvent(new Event('change')); \
                     return document.querySelector(`[data-snippet=\"${arguments[0]}\"] pre`).textContent;",
                    vec![json!(title)],
                )
                .await
                .expect("script");
            let text = text
                .as_str()
                .expect("text")
                .replace(&base, "http://127.0.0.1:4010");
            let block = text.split("\n// then:").next().expect("the snippet");
            assert!(
                readme.contains(block),
                "{title} differs from the README:\n{block}"
            );
        }

        // Nothing wider than the window, at 1280x800 and on a phone-sized one.
        for (width, height, section) in [(1280, 800, None), (420, 860, Some("sessions"))] {
            client
                .set_window_size(width, height)
                .await
                .expect("window size");
            tokio::time::sleep(Duration::from_millis(200)).await;
            let overflow = client
                .execute(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                    vec![],
                )
                .await
                .expect("script");
            assert!(
                overflow.as_i64().expect("pixels") <= 0,
                "{width}px wide: {overflow}px sideways"
            );
            if let Some(section) = section {
                shots.take(&client, section, "narrow").await;
            }
        }
        client.close().await.expect("the browser closes");
    }
}
