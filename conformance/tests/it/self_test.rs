//! The self-test's six claims, each a test: runner and mock agree.

use session_conformance::checks::{CheckId, CheckSet};
use session_conformance::selftest::{
    self, against_mock, lifecycle_against_mock, lifecycle_expected, lifecycle_passed,
    off_contract_check,
};
use session_mock::SessionStrategy;
use session_schemas::{Contract, Registry};

use crate::util::{failed, runtime};

fn contracts() -> impl Iterator<Item = &'static Contract> {
    Registry::builtin().contracts().iter()
}

#[test]
fn the_full_check_passes_against_the_auth_aware_mock() {
    let settings = selftest::settings(192, 11, CheckSet::all());
    runtime().block_on(async {
        for contract in contracts() {
            let run = against_mock(contract, None, &settings).await.expect("run");
            assert_eq!(
                failed(&run),
                Vec::<&str>::new(),
                "{}: {:#?}",
                contract.name,
                run.failures
            );
            // The oracle was exercised: authenticated, unauthenticated and revoked cases.
            let tally = |c: CheckId| run.tallies.iter().find(|t| t.check == c).expect("tally");
            assert!(tally(CheckId::Stability).passed > 10, "{}", contract.name);
            assert!(tally(CheckId::AuthBypass).passed > 100, "{}", contract.name);
        }
    });
}

#[test]
fn response_checks_pass_against_each_documented_scenario() {
    let settings = selftest::settings(64, 12, CheckSet::parse("response").expect("group"));
    runtime().block_on(async {
        for contract in contracts() {
            for scenario in contract.scenarios.iter().filter(|s| s.is_documented()) {
                let run = against_mock(contract, Some(&scenario.name), &settings)
                    .await
                    .expect("run");
                assert_eq!(
                    failed(&run),
                    Vec::<&str>::new(),
                    "{} pinned to {}",
                    contract.name,
                    scenario.name
                );
            }
        }
    });
}

#[test]
fn off_contract_scenarios_fail_on_the_reason_they_are_off_contract() {
    let settings = selftest::settings(64, 13, CheckSet::parse("response").expect("group"));
    let mut seen = 0;
    runtime().block_on(async {
        for contract in contracts() {
            for scenario in contract.scenarios.iter().filter(|s| !s.is_documented()) {
                seen += 1;
                let run = against_mock(contract, Some(&scenario.name), &settings)
                    .await
                    .expect("run");
                let reason = off_contract_check(contract, scenario.status);
                assert_eq!(
                    run.failed_checks(),
                    [reason],
                    "{} pinned to {}",
                    contract.name,
                    scenario.name
                );
                assert!(!run.conformant());
            }
        }
    });
    // session-api `empty`, authjs `401` and `404`.
    assert_eq!(seen, 3);
}

#[test]
fn the_mock_pinned_to_valid_is_an_auth_bypass() {
    let settings = selftest::settings(64, 14, CheckSet::all());
    runtime().block_on(async {
        for contract in contracts() {
            let signed_in = &contract
                .outcome(session_schemas::Outcome::Authenticated)
                .name;
            let run = against_mock(contract, Some(signed_in), &settings)
                .await
                .expect("run");
            assert!(
                run.failed_checks().contains(&CheckId::AuthBypass),
                "{}: {:?}",
                contract.name,
                failed(&run)
            );
            // One distinct failure per outcome the mock let in; the one for
            // requests without a valid credential shrinks to none at all.
            let minimal: Vec<String> = run
                .failures
                .iter()
                .filter(|f| f.check == CheckId::AuthBypass)
                .map(|f| {
                    f.shrunk
                        .as_ref()
                        .map_or(f.case.as_ref().expect("a case"), |s| &s.case)
                        .to_string()
                })
                .collect();
            assert!(
                minimal.iter().any(|m| m == "no credential"),
                "{}: {minimal:?}",
                contract.name
            );
        }
    });
}

#[test]
fn the_lifecycle_checks_pass_against_the_auth_aware_mock() {
    let settings = selftest::settings(64, 15, CheckSet::all());
    runtime().block_on(async {
        for contract in contracts() {
            let run = lifecycle_against_mock(contract, SessionStrategy::Database, &settings)
                .await
                .expect("run");
            assert_eq!(
                failed(&run),
                Vec::<&str>::new(),
                "{}: {:#?}",
                contract.name,
                run.failures
            );
            assert_eq!(
                lifecycle_passed(&run),
                lifecycle_expected(contract),
                "{}",
                contract.name
            );
        }
    });
}

#[test]
fn a_mock_whose_sign_out_forgets_nothing_is_caught() {
    let settings = selftest::settings(32, 16, CheckSet::all());
    let contract = Registry::builtin().get("authjs").expect("authjs");
    let run = runtime()
        .block_on(lifecycle_against_mock(
            contract,
            SessionStrategy::Jwt,
            &settings,
        ))
        .expect("run");
    assert_eq!(
        failed(&run),
        ["sign-out-ends-session"],
        "{:#?}",
        run.failures
    );
    assert!(run.conformant(), "a warning unless --strict");
    let failure = &run.failures[0];
    assert!(
        failure
            .finding
            .message
            .contains("still gets a session after sign-out"),
        "{}",
        failure.finding.message
    );
}
