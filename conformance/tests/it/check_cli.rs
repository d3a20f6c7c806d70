//! `check` and `self-test` through the real binary, against the mock served
//! in this process on 127.0.0.1: exit codes, what is printed, report files,
//! every usage error before any request, and no credential in any output.

use std::net::TcpListener;
use std::path::PathBuf;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use session_conformance::selftest;
use session_mock::{AuthMode, MockServer};

const REVOKED: &str = "cli-test-revoked-token";

/// A mock served in this process for as long as the value lives.
struct Served {
    runtime: tokio::runtime::Runtime,
    server: Option<MockServer>,
    token: String,
}

impl Served {
    fn start(auth: AuthMode) -> Self {
        let runtime = crate::util::runtime();
        let (config, token) = selftest::mock_config(auth, REVOKED);
        let server = runtime.block_on(MockServer::start(config)).expect("mock");
        Self {
            runtime,
            server: Some(server),
            token,
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.server.as_ref().expect("running").addr())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }
}

fn check(base_url: &str) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("session-conformance");
    command
        .env_remove("SESSION_TOKEN")
        .env_remove("SESSION_COOKIE")
        .env_remove("SESSION_REVOKED_TOKEN")
        .env_remove("SESSION_REVOKED_COOKIE")
        .args([
            "check",
            "--base-url",
            base_url,
            "--cases",
            "64",
            "--seed",
            "5",
        ]);
    command
}

fn temp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()))
}

#[test]
fn a_conformant_target_exits_0() {
    let mock = Served::start(AuthMode::Known);
    for (contract, var) in [
        ("session-api", "SESSION_TOKEN"),
        ("authjs", "SESSION_COOKIE"),
    ] {
        check(&mock.base_url())
            .args(["--contract", contract])
            .env(var, &mock.token)
            .env(var.replace("SESSION_", "SESSION_REVOKED_"), REVOKED)
            .assert()
            .code(0)
            .stdout(predicate::str::contains("result: CONFORMANT"))
            .stdout(predicate::str::contains("auth-bypass"))
            .stdout(predicate::str::contains(&mock.token).not());
    }
}

#[test]
fn violations_exit_1_with_reproductions_and_reports_without_the_secret() {
    let mock = Served::start(AuthMode::Off);
    let (json, junit) = (temp("report.json"), temp("report.xml"));
    let output = check(&mock.base_url())
        .args(["--contract", "session-api"])
        .arg("--report")
        .arg(format!("json={}", json.display()))
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .env("SESSION_TOKEN", &mock.token)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("NOT CONFORMANT; ")
            && stdout.contains(" distinct failure")
            && stdout.contains("session-api/auth-bypass ("),
        "{stdout}"
    );
    assert!(stdout.contains("minimal case"), "{stdout}");
    assert!(
        stdout.contains("reproduce: curl -sS -i 'http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(stdout.contains("--seed 5"), "{stdout}");
    let json = std::fs::read_to_string(&json).expect("json report");
    let junit = std::fs::read_to_string(&junit).expect("junit report");
    for text in [
        &*stdout,
        &*String::from_utf8_lossy(&output.stderr),
        &json,
        &junit,
    ] {
        assert!(!text.contains(&mock.token), "the token leaked: {text}");
    }
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(value["conformant"], false);
}

#[test]
fn json_format_prints_the_report() {
    let mock = Served::start(AuthMode::Known);
    let output = check(&mock.base_url())
        .args(["--contract", "session-api", "--format", "json"])
        .env("SESSION_TOKEN", &mock.token)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let value: serde_json::Value = serde_json::from_slice(&output).expect("JSON on stdout");
    assert_eq!(value["targets"][0]["cases"], 64);
}

#[test]
fn an_unreachable_target_exits_2_before_any_case() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    check(&format!("http://127.0.0.1:{port}"))
        .args(["--contract", "session-api"])
        .env("SESSION_TOKEN", "anything")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot reach http://127.0.0.1:"))
        .stderr(predicate::str::contains("anything").not());
}

#[test]
fn a_rejected_credential_exits_2_before_any_case() {
    let mock = Served::start(AuthMode::Known);
    check(&mock.base_url())
        .args(["--contract", "session-api"])
        .env("SESSION_TOKEN", "not-a-token-the-mock-knows")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did not accept the credential"))
        .stderr(predicate::str::contains("got 401"))
        .stderr(predicate::str::contains("not-a-token-the-mock-knows").not());
    // Without the oracle checks, a target that rejects the credential can still be judged.
    check(&mock.base_url())
        .args(["--contract", "session-api", "--checks", "response"])
        .env("SESSION_TOKEN", "not-a-token-the-mock-knows")
        .assert()
        .code(0);
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    let cases: [(&[&str], &str); 8] = [
        (
            &["--contract", "session-api", "--checks", "bogus"],
            "unknown check `bogus`",
        ),
        (
            &["--contract", "session-api", "--timeout", "5"],
            "--timeout: `5` needs a unit",
        ),
        (
            &["--contract", "session-api", "--max-body", "lots"],
            "--max-body \"lots\"",
        ),
        (
            &["--contract", "session-api", "--report", "xml=out.xml"],
            "expected json=PATH or junit=PATH",
        ),
        (
            &[
                "--contract",
                "session-api",
                "--report",
                "json=/no/such/dir/r.json",
            ],
            "does not exist",
        ),
        (
            &["--contract", "session-api", "--rate-limit", "0"],
            "--rate-limit 0",
        ),
        (
            &["--contract", "authjs", "--token", "abc"],
            "takes a session cookie",
        ),
        (
            &["--contract", "nope"],
            "unknown contract `nope`; known contracts: ",
        ),
    ];
    for (args, message) in cases {
        check("http://127.0.0.1:9")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    cargo_bin_cmd!("session-conformance")
        .args([
            "check",
            "--contract",
            "session-api",
            "--base-url",
            "ftp://127.0.0.1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("scheme `ftp`"));
}

#[test]
fn help_never_shows_secret_values_from_the_environment() {
    cargo_bin_cmd!("session-conformance")
        .args(["check", "--help"])
        .env("SESSION_TOKEN", "super-secret-help-token")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("SESSION_TOKEN"))
        .stdout(predicate::str::contains("super-secret-help-token").not());
}

#[test]
fn a_targets_file_runs_every_target() {
    let mock = Served::start(AuthMode::Known);
    let file = temp("targets.toml");
    std::fs::write(
        &file,
        format!(
            "[[target]]\nname = \"api\"\ncontract = \"session-api\"\nbase-url = \"{url}\"\n\
             token-env = \"CLI_TEST_TOKEN\"\n\n[[target]]\nname = \"web\"\ncontract = \"authjs\"\n\
             base-url = \"{url}\"\ncookie-env = \"CLI_TEST_COOKIE\"\n",
            url = mock.base_url()
        ),
    )
    .expect("write");
    let run = |with_cookie: bool| {
        let mut command = cargo_bin_cmd!("session-conformance");
        command
            .args(["check", "--cases", "32", "--config"])
            .arg(&file)
            .env("CLI_TEST_TOKEN", &mock.token);
        if with_cookie {
            command.env("CLI_TEST_COOKIE", &mock.token);
        }
        command.assert()
    };
    run(true)
        .code(0)
        .stdout(predicate::str::contains("api (session-api)"))
        .stdout(predicate::str::contains("web (authjs)"));
    run(false)
        .code(2)
        .stderr(predicate::str::contains("target 2 (`web`)"))
        .stderr(predicate::str::contains("CLI_TEST_COOKIE is not set"));
}

#[test]
fn self_test_passes() {
    let output = cargo_bin_cmd!("session-conformance")
        .args(["self-test", "--cases", "32"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // "self-test: N of N claims hold", however many contracts there are.
    let summary = stdout
        .lines()
        .find_map(|l| l.strip_prefix("self-test: "))
        .expect("a summary line");
    let words: Vec<&str> = summary.split_whitespace().collect();
    assert_eq!(words[0], words[2], "{summary}");
    assert!(summary.contains("claims hold"), "{summary}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
}

/// An unset secret in CI must not look like a pass: without a valid
/// credential `check` stops before any request, naming the variable, unless
/// told to run without one or asked only for checks that need none.
#[test]
fn a_missing_credential_exits_2_unless_the_run_says_it_needs_none() {
    let mock = Served::start(AuthMode::Known);
    for (contract, var) in [
        ("session-api", "SESSION_TOKEN"),
        ("authjs", "SESSION_COOKIE"),
    ] {
        let output = check(&mock.base_url())
            .args(["--contract", contract])
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("{var} is not set")), "{stderr}");
        assert!(stderr.contains("--no-credential"), "{stderr}");
        assert!(output.stdout.is_empty(), "nothing ran");
    }
    check(&mock.base_url())
        .args(["--contract", "session-api", "--no-credential"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no valid credential given"))
        .stdout(predicate::str::contains("--no-credential"));
    check(&mock.base_url())
        .args(["--contract", "session-api", "--checks", "response"])
        .assert()
        .code(0);
}
