//! A third contract, loaded at run time from `tests/contracts/` (modelled on
//! Better Auth's get-session: non-uuid ids, `null` when signed out, no `401`
//! scenario, its signed-in scenario named `signed-in`), through every runner
//! command: `validate`, `contracts`, `check` and `snapshot` against the mock
//! serving it, and `self-test`. No code knows it.

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use session_mock::{AuthMode, MockServer, Mount};
use session_schemas::{ContractSource, Outcome, Registry};

/// The repository's copy, read by the bad-file test.
const SOURCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/contracts/better-auth.schema.json"
);

/// The contract as a user would add it: copied, with its fixtures, into a
/// temporary directory outside the repository, once per test run.
fn file() -> &'static str {
    static COPY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    COPY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("third-contract-{}", std::process::id()));
        let fixtures = dir.join("fixtures/better-auth");
        std::fs::create_dir_all(&fixtures).expect("dir");
        for entry in std::fs::read_dir(FIXTURES).expect("fixtures") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), fixtures.join(entry.file_name())).expect("copy");
        }
        let file = dir.join("better-auth.schema.json");
        std::fs::copy(SOURCE, &file).expect("copy");
        file.display().to_string()
    })
}
const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/contracts/fixtures/better-auth"
);

fn runner() -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("session-conformance");
    command
        .env_remove("SESSION_COOKIE")
        .env_remove("SESSION_TOKEN");
    command
}

#[test]
fn validate_and_contracts_take_a_contract_file() {
    runner()
        .args([
            "validate",
            "--contract",
            file(),
            &format!("{FIXTURES}/signed-in.json"),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("conforms to better-auth 200"));
    runner()
        .args([
            "validate",
            "--contract",
            file(),
            &format!("{FIXTURES}/500.json"),
        ])
        .assert()
        .code(1);
    runner()
        .args(["contracts", "--contract", file()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "better-auth  GET /api/auth/get-session",
        ))
        .stdout(predicate::str::contains("signed-in 200"))
        // A contract without invariants says so; no heading stands empty.
        .stdout(predicate::str::contains("  invariants: none\n"))
        .stdout(predicate::str::contains(
            "  invariants:\n    session-not-expired",
        ))
        .stdout(
            predicate::str::is_match(r"(?m)^  invariants:\n(  [^ ]|\n|\z)")
                .expect("regex")
                .not(),
        );
    // An unknown name still gets a did-you-mean, against the loaded registry.
    runner()
        .args(["validate", "--contract", "better-auht", "--contracts"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/contracts"))
        .arg(format!("{FIXTURES}/signed-in.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("better-auth"));
}

#[test]
fn check_and_snapshot_pass_against_the_mock_serving_it() {
    let (registry, _) = Registry::with(vec![
        ContractSource::from_file(file().as_ref()).expect("source"),
    ])
    .expect("loads");
    let registry = registry.leak();
    let contract = registry.get("better-auth").expect("better-auth");
    let runtime = crate::util::runtime();
    let (mut config, token) =
        session_conformance::selftest::mock_config(AuthMode::Known, "revoked-third");
    config.mounts = vec![Mount {
        contract,
        path: contract.path.clone(),
        scenario: contract.outcome(Outcome::Authenticated).name.clone(),
        overrides: None,
        upstream: None,
    }];
    let server = runtime.block_on(MockServer::start(config)).expect("mock");
    let base = format!("http://{}", server.addr());
    runner()
        .env("SESSION_COOKIE", &token)
        .args([
            "check",
            "--contract",
            file(),
            "--base-url",
            &base,
            "--cases",
            "96",
            "--seed",
            "9",
        ])
        .args(["--strict"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("result: CONFORMANT"))
        .stdout(predicate::str::contains("better-auth (better-auth)"));
    let dir = std::env::temp_dir().join(format!("third-shapes-{}", std::process::id()));
    runner()
        .env("SESSION_COOKIE", &token)
        .args([
            "snapshot",
            "--contract",
            file(),
            "--base-url",
            &base,
            "--dir",
        ])
        .arg(&dir)
        .assert()
        .code(0);
    assert!(dir.join("better-auth__valid.snap").exists());
    let _ = std::fs::remove_dir_all(&dir);
    runtime.block_on(server.stop());
}

#[test]
fn self_test_proves_its_claims_for_a_loaded_contract() {
    runner()
        .args(["self-test", "--cases", "24", "--contract", file()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "ok   better-auth: the full check passes against the auth-aware mock",
        ))
        .stdout(predicate::str::contains(
            "better-auth: the full check against the mock pinned to `signed-in` finds the auth bypass",
        ));
}

/// Bad contract files stop the runner's commands with exit 2 (the mock's
/// start: mock-server/tests/it/scenarios.rs), naming the file and
/// where in it: a missing fixture, a misspelled manifest key, a schema not
/// draft 2020-12, an outcome whose fixture breaks its own schema.
#[test]
fn bad_contract_files_exit_2_naming_file_and_path() {
    let source = std::fs::read_to_string(SOURCE).expect("contract");
    let signed_in = std::fs::read_to_string(format!("{FIXTURES}/signed-in.json")).expect("fixture");
    let cases: [(&str, String, Option<&str>, &str); 4] = [
        (
            "missing fixture",
            source.replace("\"fixture\": \"500.json\"", "\"fixture\": \"gone.json\""),
            None,
            "gone.json",
        ),
        (
            "misspelled key",
            source.replace("\"outcomes\": {", "\"outcome\": {}, \"outcomes\": {"),
            None,
            "x-contract: Additional properties are not allowed ('outcome' was unexpected)",
        ),
        (
            "not draft 2020-12",
            source.replace("draft/2020-12/schema", "draft-07/schema"),
            None,
            "/$schema: a contract is JSON Schema draft 2020-12",
        ),
        (
            "an outcome breaking its schema",
            source.clone(),
            Some(r#"{"session": {"id": "short"}}"#),
            "x-contract.outcomes.authenticated: scenario `signed-in` (fixture signed-in.json) is off-contract",
        ),
    ];
    for (what, text, fixture, says) in cases {
        let dir = std::env::temp_dir().join(format!(
            "bad-contract-{}-{}",
            std::process::id(),
            what.replace(' ', "-")
        ));
        let fixtures = dir.join("fixtures/better-auth");
        std::fs::create_dir_all(&fixtures).expect("dir");
        for name in ["signed-out.json", "500.json"] {
            std::fs::copy(format!("{FIXTURES}/{name}"), fixtures.join(name)).expect("copy");
        }
        std::fs::write(
            fixtures.join("signed-in.json"),
            fixture.unwrap_or(&signed_in),
        )
        .expect("write");
        let file = dir.join("better-auth.schema.json");
        std::fs::write(&file, text).expect("write");
        for args in [vec!["contracts", "--contract"], vec!["validate", "-c"]] {
            let mut command = runner();
            command.args(&args).arg(&file);
            if args[0] == "validate" {
                command.arg(format!("{FIXTURES}/500.json"));
            }
            command
                .assert()
                .code(2)
                .stderr(predicate::str::contains("better-auth.schema.json"))
                .stderr(predicate::str::contains(says));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
