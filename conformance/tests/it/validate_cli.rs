//! `validate` and `contracts` through the real binary: exit codes, what is
//! printed, and the error texts (snapshotted).

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

const VALID_API: &str = "../fixtures/session-api/valid.json";

fn validate(args: &[&str]) -> assert_cmd::assert::Assert {
    cargo_bin_cmd!("session-conformance")
        .arg("validate")
        .args(args)
        .assert()
}

/// The body of a counter-example fixture, written to a temporary file.
fn invalid_body(contract: &str, name: &str) -> tempfile_path::TempJson {
    let case: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("../fixtures/{contract}/invalid/{name}.json"))
            .expect("fixture"),
    )
    .expect("json");
    tempfile_path::TempJson::new(name, &case["body"])
}

mod tempfile_path {
    use std::path::PathBuf;

    /// A JSON file in the target directory, removed on drop.
    pub(crate) struct TempJson(pub(crate) PathBuf);

    impl TempJson {
        pub(crate) fn new(name: &str, value: &serde_json::Value) -> Self {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
            let path = dir.join(format!("{name}-{}.json", std::process::id()));
            std::fs::write(&path, value.to_string()).expect("write temp file");
            Self(path)
        }

        pub(crate) fn arg(&self) -> &str {
            self.0.to_str().expect("UTF-8 temp path")
        }
    }

    impl Drop for TempJson {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn a_valid_file_exits_0() {
    let run = validate(&["--contract", "session-api", "--status", "200", VALID_API]).success();
    insta::assert_snapshot!(stdout_of(&run), @"valid: ../fixtures/session-api/valid.json conforms to session-api 200 (lenient mode; rules about the present not judged, see --received-at)");
}

#[test]
fn an_invalid_file_exits_1_listing_each_violation_with_path_and_rule() {
    let body = invalid_body("authjs", "user-missing-email");
    let run = validate(&["--contract", "authjs", body.arg()]).code(1);
    let printed = stdout_of(&run).replace(body.arg(), "[file]");
    insta::assert_snapshot!(printed, @r#"
    invalid: [file] breaks authjs 200 with 1 violation (lenient mode; status 200 assumed: pass --status, or save the response with curl -si; rules about the present not judged, see --received-at)
      /user: "email" is a required property [required]
    "#);
}

#[test]
fn strict_mode_rejects_an_unknown_property_that_lenient_mode_accepts() {
    let body = invalid_body("session-api", "unknown-key-strict");
    validate(&["-c", "session-api", body.arg()]).success();
    validate(&["-c", "session-api", "--strict", body.arg()])
        .code(1)
        .stdout(predicate::str::contains("'role' was unexpected"));
}

#[test]
fn received_at_turns_on_the_rules_about_the_present() {
    validate(&["-c", "session-api", VALID_API]).success();
    let run = validate(&[
        "-c",
        "session-api",
        "--received-at",
        "2024-12-19T16:00:00Z",
        VALID_API,
    ])
    .code(1);
    assert!(
        stdout_of(&run)
            .contains("/expires_at: expires_at (2024-12-19T15:30:00Z) had already passed"),
        "{}",
        stdout_of(&run)
    );
    // The document's own example expired in 2024: judged now, it is expired too.
    validate(&["-c", "session-api", "--received-at", "now", VALID_API]).code(1);
}

#[test]
fn json_output_is_machine_readable() {
    let body = invalid_body("session-api", "bad-uuid");
    let run = validate(&["-c", "session-api", "--format", "json", body.arg()]).code(1);
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&run)).expect("JSON report");
    assert_eq!(report["valid"], false);
    assert_eq!(report["violations"][0]["path"], "/session_id");
    assert_eq!(report["violations"][0]["rule"], "format");
}

#[test]
fn standard_input_is_read_with_a_dash() {
    cargo_bin_cmd!("session-conformance")
        .args(["validate", "-c", "authjs", "-"])
        .write_stdin("{}")
        .assert()
        .success();
    cargo_bin_cmd!("session-conformance")
        .args(["validate", "-c", "authjs", "-"])
        .write_stdin("null")
        .assert()
        .code(1);
}

#[test]
fn malformed_json_exits_2_with_line_and_column() {
    let run = cargo_bin_cmd!("session-conformance")
        .args(["validate", "-c", "authjs", "-"])
        .write_stdin("{\"user\": {\n  \"id\": 1,\n}")
        .assert()
        .code(2);
    assert!(stdout_of(&run).is_empty());
    insta::assert_snapshot!(stderr_of(&run), @"error: standard input is not valid JSON: trailing comma at line 3, column 1");
}

#[test]
fn an_unknown_contract_exits_2_listing_the_known_ones() {
    let run = validate(&["--contract", "sessions", VALID_API]).code(2);
    let stderr = stderr_of(&run);
    assert!(
        stderr.starts_with(
            "error: unknown contract `sessions`; did you mean `session-api`?; known contracts: "
        ),
        "{stderr}"
    );
    for name in session_schemas::Registry::builtin().names() {
        assert!(stderr.contains(name), "{name} listed: {stderr}");
    }
}

#[test]
fn an_undocumented_status_exits_2_listing_the_documented_ones() {
    let run = validate(&["--contract", "authjs", "--status", "401", VALID_API]).code(2);
    insta::assert_snapshot!(stderr_of(&run), @"error: contract authjs documents no status 401; documented statuses: 200, 500");
}

#[test]
fn an_unreadable_file_exits_2_naming_it() {
    let run = validate(&["--contract", "authjs", "no/such/response.json"]).code(2);
    insta::assert_snapshot!(stderr_of(&run), @"error: cannot read no/such/response.json: No such file or directory (os error 2)");
}

#[test]
fn a_bad_received_at_exits_2_saying_what_is_accepted() {
    let run = validate(&["-c", "authjs", "--received-at", "yesterday", VALID_API]).code(2);
    assert!(
        stderr_of(&run).contains("is not an RFC 3339 time such as 2026-11-21T12:00:00Z, nor `now`"),
        "{}",
        stderr_of(&run)
    );
}

#[test]
fn contracts_lists_paths_statuses_and_off_contract_scenarios() {
    let run = cargo_bin_cmd!("session-conformance")
        .arg("contracts")
        .assert()
        .success();
    let listing = stdout_of(&run);
    assert!(
        listing.contains("session-api  GET /auth/session  (Authorization: Bearer <token>)"),
        "{listing}"
    );
    assert!(
        listing.contains("authjs  GET /api/auth/session  (cookie authjs.session-token"),
        "{listing}"
    );
    assert!(
        listing.contains(
            "401     401 (alias unauthorized)  OFF-CONTRACT: status 401 is not documented by authjs"
        ),
        "{listing}"
    );
    let run = cargo_bin_cmd!("session-conformance")
        .args(["contracts", "--format", "json"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&run)).expect("JSON listing");
    let documented_of = |name: &str| -> Vec<bool> {
        json.as_array()
            .expect("a list")
            .iter()
            .find(|c| c["name"] == name)
            .expect("listed by name")["scenarios"]
            .as_array()
            .expect("scenarios")
            .iter()
            .map(|s| s["documented"].as_bool().expect("bool"))
            .collect()
    };
    assert_eq!(
        documented_of("session-api"),
        [true, false, true, true, true]
    );
    assert_eq!(
        json.as_array().expect("a list").len(),
        session_schemas::Registry::builtin().contracts().len()
    );
}

/// `session-conformance ... 2>&1 | head -1`, as a shell runs it: the reader
/// leaves early. The command neither panics nor turns the closed pipe into
/// an error: it finishes with its verdict (1: violations).
#[test]
fn a_reader_that_leaves_early_gets_the_verdict_not_a_panic() {
    // 5,000 wrong-typed add-ons: one violation each, far more output than a
    // pipe holds, so the writes after `head` leaves do fail.
    let mut body: serde_json::Value =
        serde_json::from_str(include_str!("../../../fixtures/authjs/valid.json")).expect("fixture");
    body["user"]["addons"] = (0..5000).collect();
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("many-violations-{}.json", std::process::id()));
    std::fs::write(&path, body.to_string()).expect("write");
    let binary = assert_cmd::cargo::cargo_bin!("session-conformance");
    for redirect in ["", "2>&1"] {
        let script = format!(
            r#""$0" validate --contract authjs --status 200 "$1" {redirect} | head -1 >/dev/null; echo "${{PIPESTATUS[0]}}""#
        );
        let output = std::process::Command::new("bash")
            .args(["-c", &script])
            .arg(binary)
            .arg(&path)
            .output()
            .expect("bash runs");
        let status = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            status.trim(),
            "1",
            "{redirect}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::remove_file(&path).ok();
}

/// `curl -si ... | session-conformance validate -c CONTRACT -`: the status
/// line and headers come with the body, and are judged with it.
#[test]
fn curl_si_output_is_judged_with_its_status_and_headers() {
    let judge = |input: &str, extra: &[&str]| {
        let output = cargo_bin_cmd!("session-conformance")
            .args(["validate", "-c", "session-api"])
            .args(extra)
            .arg("-")
            .write_stdin(input.to_owned())
            .output()
            .expect("runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let error = r#"{"error":"unauthorized","message":"Authentication required"}"#;
    let answered = format!(
        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nwww-authenticate: Bearer\r\n\r\n{error}"
    );
    let (code, out, _) = judge(&answered, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("conforms to session-api 401")
            && out.contains("status and headers from the response"),
        "{out}"
    );

    // The same body bare would be judged as a 200, and says so.
    let (code, out, _) = judge(error, &[]);
    assert_eq!(code, Some(1));
    assert!(out.contains("status 200 assumed"), "{out}");
    assert_eq!(judge(error, &["--status", "401"]).0, Some(0));

    // A missing contract header and a non-JSON type are violations.
    let bare_headers = format!("HTTP/1.1 401 Unauthorized\ncontent-type: text/plain\n\n{error}");
    let (code, out, _) = judge(&bare_headers, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("header WWW-Authenticate: missing (the contract sends `Bearer`)"),
        "{out}"
    );
    assert!(
        out.contains("header Content-Type: `text/plain` is not JSON"),
        "{out}"
    );

    // 100 Continue first: the final answer counts.
    let continued = format!("HTTP/1.1 100 Continue\r\n\r\n{answered}");
    assert_eq!(judge(&continued, &[]).0, Some(0));

    // An undocumented status the server answered with is a finding...
    let teapot =
        format!("HTTP/1.1 418 I'm a teapot\r\ncontent-type: application/json\r\n\r\n{error}");
    let (code, out, _) = judge(&teapot, &[]);
    assert_eq!(code, Some(1));
    assert!(
        out.contains("status 418 is not documented by session-api"),
        "{out}"
    );
    // ...a --status that contradicts the response is a usage error...
    let (code, _, err) = judge(&answered, &["--status", "200"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("status line says 401 but --status says 200"),
        "{err}"
    );
    // ...and a head that never ends or a status line that is not one is refused.
    assert_eq!(judge("HTTP/1.1 200 OK\r\ncontent-type: x", &[]).0, Some(2));
    assert_eq!(judge("HTTP/1.1 OK\r\n\r\n{}", &[]).0, Some(2));
}

#[test]
fn the_contract_help_names_the_contracts_the_registry_knows() {
    for command in ["validate", "check", "snapshot"] {
        let run = cargo_bin_cmd!("session-conformance")
            .args([command, "--help"])
            .assert()
            .code(0);
        let help = stdout_of(&run);
        let names = session_schemas::Registry::builtin().names().join(", ");
        assert!(
            help.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(&format!("one of {names}")),
            "{command}: {help}"
        );
    }
}
