//! The golden fixtures conform; each counter-example fails with exactly the
//! violation it declares, and only in the mode and at the time it declares.

use session_schemas::{Clock, Mode, Registry};
use time::Duration;
use time::format_description::well_known::Rfc3339;

use crate::util::{fixtures_dir, json_files, read_json};

#[test]
fn every_documented_scenario_and_example_conforms_strictly_and_keeps_the_invariants() {
    for contract in Registry::builtin().contracts() {
        let bodies = contract
            .scenarios
            .iter()
            .filter(|s| s.is_documented())
            .map(|s| (&s.fixture, s.status, &s.body))
            .chain(
                contract
                    .examples
                    .iter()
                    .map(|e| (&e.fixture, e.status, &e.body)),
            );
        for (fixture, status, body) in bodies {
            let violations = contract
                .check(status, body, Mode::Strict, None)
                .expect("documented status");
            assert!(
                violations.is_empty(),
                "{}/{fixture}: {violations:?}",
                contract.name
            );
        }
    }
}

#[test]
fn every_fixture_file_outside_invalid_is_named_by_its_manifest() {
    for contract in Registry::builtin().contracts() {
        let dir = fixtures_dir().join(&contract.name);
        for path in json_files(&dir) {
            let relative = path
                .strip_prefix(&dir)
                .expect("under dir")
                .to_string_lossy()
                .replace('\\', "/");
            if relative.starts_with("invalid/") {
                continue;
            }
            let named = contract.scenarios.iter().any(|s| s.fixture == relative)
                || contract.examples.iter().any(|e| e.fixture == relative);
            assert!(
                named,
                "fixtures/{}/{relative} is not named by the manifest",
                contract.name
            );
        }
    }
}

#[test]
fn off_contract_fixtures_are_exactly_those_under_off_contract() {
    for contract in Registry::builtin().contracts() {
        for scenario in &contract.scenarios {
            assert_eq!(
                scenario.fixture.starts_with("off-contract/"),
                !scenario.is_documented(),
                "{} scenario {}: {:?}",
                contract.name,
                scenario.name,
                scenario.off_contract
            );
        }
    }
}

#[test]
fn every_invalid_fixture_fails_with_its_declared_violation() {
    let mut checked = 0;
    for contract in Registry::builtin().contracts() {
        let dir = fixtures_dir().join(&contract.name).join("invalid");
        for path in json_files(&dir) {
            let case = read_json(&path);
            let name = path.display();
            let status = u16::try_from(case["status"].as_u64().expect("status")).expect("u16");
            let body = &case["body"];
            let strict = case["strict"].as_bool().unwrap_or(false);
            let mode = if strict { Mode::Strict } else { Mode::Lenient };
            let clock = case["received_at"].as_str().map(|at| {
                Clock::new(
                    time::OffsetDateTime::parse(at, &Rfc3339).expect("received_at"),
                    Duration::ZERO,
                )
            });
            let found = contract
                .check(status, body, mode, clock.as_ref())
                .expect("documented status");
            let flat: Vec<(String, String)> = found
                .iter()
                .flat_map(|v| v.flatten())
                .map(|v| (v.path.clone(), v.rule.clone()))
                .collect();
            let expected = case["expect"].as_array().expect("expect");
            assert!(!expected.is_empty(), "{name}: declares no violation");
            for want in expected {
                let want = (
                    want["path"].as_str().expect("path").to_owned(),
                    want["rule"].as_str().expect("rule").to_owned(),
                );
                assert!(
                    flat.contains(&want),
                    "{name}: expected {want:?}, found {flat:?}"
                );
            }
            // The declared violations are the only ones: a counter-example
            // that breaks several rules would hide which one a check missed.
            let unexpected: Vec<_> = found
                .iter()
                .filter(|v| {
                    !expected
                        .iter()
                        .any(|w| w["path"] == v.path.as_str() && w["rule"] == v.rule.as_str())
                        && v.causes.is_empty()
                })
                .collect();
            assert!(
                unexpected.is_empty(),
                "{name}: unexpected violations {unexpected:?}"
            );
            // What only strict mode or a live clock catches must pass without them.
            if strict {
                assert!(
                    contract
                        .check(status, body, Mode::Lenient, clock.as_ref())
                        .expect("status")
                        .is_empty(),
                    "{name}: should pass in lenient mode"
                );
            }
            if clock.is_some() {
                assert!(
                    contract
                        .check(status, body, mode, None)
                        .expect("status")
                        .is_empty(),
                    "{name}: should pass without a clock"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} counter-examples found");
}

#[test]
fn an_ambiguous_anyof_failure_lists_each_alternative() {
    let authjs = Registry::builtin().get("authjs").expect("authjs");
    let found = authjs
        .validate(
            200,
            &serde_json::json!({"session_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}),
            Mode::Lenient,
        )
        .expect("200");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule, "anyOf");
    let causes: Vec<&str> = found[0].causes.iter().map(|c| c.rule.as_str()).collect();
    assert_eq!(causes, ["required", "maxProperties"]);
    assert!(
        found[0]
            .to_string()
            .contains("option 1: \"user\" is a required property"),
        "{}",
        found[0]
    );
}

#[test]
fn the_scenario_table_matches_contracts_md() {
    let table: Vec<(String, String, u16, bool)> = Registry::builtin()
        .contracts()
        .iter()
        .flat_map(|c| {
            c.scenarios
                .iter()
                .map(|s| (c.name.clone(), s.name.clone(), s.status, s.is_documented()))
        })
        .collect();
    let expected = [
        ("authjs", "valid", 200, true),
        ("authjs", "empty", 200, true),
        ("authjs", "401", 401, false),
        ("authjs", "404", 404, false),
        ("authjs", "500", 500, true),
        ("session-api", "valid", 200, true),
        ("session-api", "empty", 200, false),
        ("session-api", "401", 401, true),
        ("session-api", "404", 404, true),
        ("session-api", "500", 500, true),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(c, s, st, d)| ((*c).to_owned(), (*s).to_owned(), *st, *d))
        .collect();
    assert_eq!(table, expected);
}

#[test]
fn recorded_fixtures_moved_to_now_stay_valid_and_live() {
    let now = time::OffsetDateTime::now_utc();
    let clock = Clock::new(now, Duration::seconds(1));
    // Contracts whose rules judge the present (an active session not expired).
    for contract in Registry::builtin()
        .contracts()
        .iter()
        .filter(|c| c.invariants.iter().any(|i| i.is_live_only()))
    {
        let valid = contract.outcome(session_schemas::Outcome::Authenticated);
        assert!(
            valid.recorded_at.is_some(),
            "{}: the valid fixture says when it was recorded",
            contract.name
        );
        assert!(
            !contract
                .check(200, &valid.body, Mode::Strict, Some(&clock))
                .expect("200")
                .is_empty(),
            "{}: the fixture as written has expired",
            contract.name
        );
        let moved = valid.body_at(now);
        let violations = contract
            .check(200, &moved, Mode::Strict, Some(&clock))
            .expect("200");
        assert!(
            violations.is_empty(),
            "{}: {moved} {violations:?}",
            contract.name
        );
    }
}
