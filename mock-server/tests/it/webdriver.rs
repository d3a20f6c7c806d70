//! A real browser for the tests that need one (the control page, the
//! Next.js app): Chromium through chromedriver, or Firefox through
//! geckodriver with `SESSION_MOCK_BROWSER=firefox`, over W3C WebDriver
//! (fantoccini); started on a free loopback port, stopped on drop.

use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// A WebDriver server on a free loopback port, stopped on drop.
pub(crate) struct Driver {
    child: tokio::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

pub(crate) fn firefox() -> bool {
    std::env::var("SESSION_MOCK_BROWSER").is_ok_and(|b| b == "firefox")
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub(crate) async fn driver() -> Driver {
    let (program, flag) = if firefox() {
        ("geckodriver", "--port")
    } else {
        ("chromedriver", "--port")
    };
    let port = free_port();
    let child = tokio::process::Command::new(program)
        .arg(format!("{flag}={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} does not start ({e}); install chromium and chromium-driver (.ci/run does)")
        });
    let url = format!("http://127.0.0.1:{port}");
    let status = format!("{url}/status");
    let client = reqwest::Client::new();
    let start = Instant::now();
    loop {
        let ready = async {
            let answer = client.get(&status).send().await.ok()?;
            let body: Value = serde_json::from_slice(&answer.bytes().await.ok()?).ok()?;
            Some(body["value"]["ready"] == true)
        };
        if tokio::time::timeout(Duration::from_secs(1), ready).await == Ok(Some(true)) {
            break;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "{program} never said it was ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver { child, url }
}

pub(crate) async fn browser(driver: &Driver) -> Client {
    let capabilities = if firefox() {
        json!({"moz:firefoxOptions": {"args": ["-headless"]}})
    } else {
        json!({"goog:chromeOptions": {"args": [
            "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--window-size=1280,800",
        ]}})
    };
    let Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Waits until `script` (a function body returning a value) returns
/// something truthy, and returns it; fails with `what` after PATIENCE.
pub(crate) async fn until(client: &Client, what: &str, script: &str, args: Vec<Value>) -> Value {
    let start = Instant::now();
    loop {
        let value = client.execute(script, args.clone()).await.expect("script");
        if !(value.is_null() || value == false || value == "") {
            return value;
        }
        assert!(start.elapsed() < PATIENCE, "the page never showed {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks the element, brought to the middle of the window first (the
/// page's header stays at the top and would take a click meant for
/// something under it).
pub(crate) async fn click(client: &Client, css: &str) {
    let element = client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"));
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&element).expect("element reference")],
        )
        .await
        .expect("scroll");
    element
        .click()
        .await
        .unwrap_or_else(|e| panic!("`{css}` cannot be clicked: {e}"));
}
