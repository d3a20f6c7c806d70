//! A known token and cookie, the mock logging at its most verbose level, the
//! runner writing every report and reproduction it can: no output of either
//! program holds a secret, whole or in part.

use std::io::Write;
use std::sync::{Arc, Mutex};

use assert_cmd::cargo::cargo_bin_cmd;
use session_conformance::selftest;
use session_mock::{AuthMode, MockServer};

const TOKEN: &str = "secret-token-Zq8Xk3Lm9Pw2Tn6";
const COOKIE: &str = "secret-cookie-Hy7Rt5Vb1Nc4Qd8";
const REVOKED: &str = "secret-revoked-Jf3Gs6Wa2Ke9";

/// Log lines the mock writes, kept in memory.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The runner with one credential (and the revoked one) in the environment.
fn runner(var: &str, value: &str, revoked_var: &str) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("session-conformance");
    command
        .env_remove("SESSION_TOKEN")
        .env_remove("SESSION_COOKIE")
        .env(var, value)
        .env(revoked_var, REVOKED);
    command
}

/// Every piece of `secret` long enough to be redacted (12 characters).
fn pieces(secret: &str) -> Vec<&str> {
    (0..=secret.len() - 12)
        .map(|i| &secret[i..i + 12])
        .collect()
}

#[test]
fn no_output_of_the_runner_or_the_mock_holds_a_secret() {
    let logs = Capture::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .try_init()
        .expect("the only subscriber in this test binary");

    let runtime = crate::util::runtime();
    let (mut config, _) = selftest::mock_config(AuthMode::Known, REVOKED);
    config.tokens = vec![TOKEN.to_owned()];
    config.cookies = vec![COOKIE.to_owned()];
    config.journal_size = 4096;
    config.admin = true;
    config.log = "trace".to_owned();
    let server = runtime.block_on(MockServer::start(config)).expect("mock");
    let url = format!("http://{}", server.addr());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let mut outputs: Vec<(String, String)> = Vec::new();
    for (contract, var, value, revoked_var) in [
        (
            "session-api",
            "SESSION_TOKEN",
            TOKEN,
            "SESSION_REVOKED_TOKEN",
        ),
        ("authjs", "SESSION_COOKIE", COOKIE, "SESSION_REVOKED_COOKIE"),
    ] {
        for format in ["human", "json"] {
            let json = dir.join(format!("{contract}-{format}.json"));
            let junit = dir.join(format!("{contract}-{format}.xml"));
            // A zero response-time budget fails every case (a warning), so
            // every report carries failures, excerpts and curl reproductions.
            let output = runner(var, value, revoked_var)
                .args([
                    "check",
                    "-c",
                    contract,
                    "--base-url",
                    &url,
                    "--cases",
                    "200",
                    "--seed",
                    "11",
                ])
                .args([
                    "--max-response-time",
                    "0ms",
                    "--strict",
                    "--format",
                    format,
                    "--color",
                    "always",
                ])
                .arg(format!("--report=json={}", json.display()))
                .arg(format!("--report=junit={}", junit.display()))
                .output()
                .expect("runs");
            assert_eq!(
                output.status.code(),
                Some(1),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            assert!(
                stdout.contains("curl"),
                "reproductions are printed:\n{stdout}"
            );
            outputs.push((format!("{contract} {format} stdout"), stdout));
            outputs.push((
                format!("{contract} {format} stderr"),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ));
            outputs.push((
                format!("{contract} JSON report"),
                std::fs::read_to_string(&json).unwrap(),
            ));
            outputs.push((
                format!("{contract} JUnit report"),
                std::fs::read_to_string(&junit).unwrap(),
            ));
        }
        let output = runner(var, value, revoked_var)
            .args([
                "snapshot",
                "-c",
                contract,
                "--base-url",
                &url,
                "--samples",
                "2",
                "--color",
                "always",
            ])
            .arg("--dir")
            .arg(dir.join("shapes"))
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        outputs.push((
            format!("{contract} snapshot stdout"),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ));
        outputs.push((
            format!("{contract} snapshot stderr"),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    for entry in std::fs::read_dir(dir.join("shapes")).unwrap() {
        let path = entry.unwrap().path();
        outputs.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    // The journal and the scenario listing, as the admin API serves them.
    for path in ["/__mock/requests", "/__mock/scenarios"] {
        let body = runtime.block_on(async {
            let response = reqwest::get(format!("{url}{path}")).await.unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        });
        outputs.push((format!("mock {path}"), body));
    }
    runtime.block_on(server.stop());
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("answered"),
        "the mock logged its answers:\n{}",
        &logs[..logs.len().min(500)]
    );
    outputs.push(("mock log (trace)".to_owned(), logs));
    let journal = &outputs
        .iter()
        .find(|(name, _)| name == "mock /__mock/requests")
        .unwrap()
        .1;
    assert!(
        journal.contains("/api/auth/session") && journal.contains("/auth/session"),
        "{journal}"
    );

    for (name, text) in &outputs {
        for secret in [TOKEN, COOKIE, REVOKED] {
            for piece in pieces(secret) {
                assert!(
                    !text.contains(piece),
                    "{name} holds {piece:?} of a secret:\n{text}"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
