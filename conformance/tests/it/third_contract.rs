//! A third contract, loaded at run time from `tests/contracts/` (modelled on
//! Better Auth's get-session: non-uuid ids, `null` when signed out, no `401`
//! scenario, its signed-in scenario named `signed-in`), through every runner
//! command: `validate`, `contracts`, `check` and `snapshot` against the mock
//! serving it, and `self-test`. No code knows it.

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use session_mock::{AuthMode, MockServer, Mount};
use session_schemas::{ContractSource, Outcome, Registry};

const FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/contracts/better-auth.schema.json"
);
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
            FILE,
            &format!("{FIXTURES}/signed-in.json"),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("conforms to better-auth 200"));
    runner()
        .args([
            "validate",
            "--contract",
            FILE,
            &format!("{FIXTURES}/500.json"),
        ])
        .assert()
        .code(1);
    runner()
        .args(["contracts", "--contract", FILE])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "better-auth  GET /api/auth/get-session",
        ))
        .stdout(predicate::str::contains("signed-in 200"));
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
        ContractSource::from_file(FILE.as_ref()).expect("source"),
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
    }];
    let server = runtime.block_on(MockServer::start(config)).expect("mock");
    let base = format!("http://{}", server.addr());
    runner()
        .env("SESSION_COOKIE", &token)
        .args([
            "check",
            "--contract",
            FILE,
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
        .args(["snapshot", "--contract", FILE, "--base-url", &base, "--dir"])
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
        .args(["self-test", "--cases", "24", "--contract", FILE])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "ok   better-auth: the full check passes against the auth-aware mock",
        ))
        .stdout(predicate::str::contains(
            "better-auth: the full check against the mock pinned to `signed-in` finds the auth bypass",
        ));
}
