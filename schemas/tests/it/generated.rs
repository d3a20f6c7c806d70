//! Bodies generated from the schemas: valid (strict mode, so the generator
//! invents no field), consistent with every invariant at the time they were
//! generated for, varied, and reproducible from a seed.

use serde_json::Value;
use session_schemas::{Clock, Mode, Registry};
use time::macros::datetime;

const BODIES_PER_RESPONSE: usize = 10_000;

#[test]
fn ten_thousand_generated_bodies_per_documented_response_conform() {
    let now = datetime!(2026-11-21 12:00:00 UTC);
    let clock = Clock::new(now, time::Duration::ZERO);
    for contract in Registry::builtin().contracts() {
        for spec in &contract.responses {
            let generator = contract
                .generator(spec.status, now, 7)
                .expect("a strategy for every documented response");
            let mut count = 0;
            for body in generator.take(BODIES_PER_RESPONSE) {
                let violations = contract
                    .check(spec.status, &body, Mode::Strict, Some(&clock))
                    .expect("documented");
                assert!(
                    violations.is_empty(),
                    "{} {}: {body}\n{violations:#?}",
                    contract.name,
                    spec.status
                );
                count += 1;
            }
            assert_eq!(
                count, BODIES_PER_RESPONSE,
                "{} {}",
                contract.name, spec.status
            );
        }
    }
}

#[test]
fn generation_explores_the_alternatives_the_schema_allows() {
    let now = datetime!(2026-11-21 12:00:00 UTC);
    let authjs = Registry::builtin().get("authjs").expect("authjs");
    let bodies: Vec<Value> = authjs
        .generator(200, now, 1)
        .expect("200")
        .take(2_000)
        .collect();
    let seen = |predicate: &dyn Fn(&Value) -> bool| bodies.iter().any(predicate);
    assert!(
        seen(&|b| b.as_object().is_some_and(serde_json::Map::is_empty)),
        "the empty-session alternative"
    );
    assert!(
        seen(&|b| b.get("user").is_some()),
        "the authenticated alternative"
    );
    assert!(
        seen(&|b| b["user"]["subscription_status"].is_null()
            && b["user"].get("subscription_status").is_some()),
        "a null enum value"
    );
    assert!(
        seen(&|b| b["user"]["subscription_status"].is_string()),
        "a non-null enum value"
    );
    assert!(
        seen(&|b| b.get("user").is_some() && b.get("session_id").is_none()),
        "an optional field left out"
    );
    let api = Registry::builtin().get("session-api").expect("session-api");
    let messages: std::collections::BTreeSet<String> = api
        .generator(401, now, 1)
        .expect("401")
        .take(200)
        .map(|b| b["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        messages.len(),
        2,
        "both of the document's 401 messages: {messages:?}"
    );
}

#[test]
fn generated_timestamps_sit_where_a_live_session_has_them() {
    let now = datetime!(2026-11-21 12:00:00 UTC);
    let api = Registry::builtin().get("session-api").expect("session-api");
    for body in api.generator(200, now, 3).expect("200").take(500) {
        let at = |field: &str| {
            time::OffsetDateTime::parse(
                body[field].as_str().expect("string"),
                &time::format_description::well_known::Rfc3339,
            )
            .expect("date-time")
        };
        assert!(
            at("created_at") <= at("last_activity_at")
                && at("last_activity_at") <= now
                && now < at("expires_at"),
            "{body}"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_bodies_and_another_seed_others() {
    let now = datetime!(2026-11-21 12:00:00 UTC);
    for contract in Registry::builtin().contracts() {
        let run = |seed| {
            contract
                .generator(200, now, seed)
                .expect("200")
                .take(50)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42), "{}", contract.name);
        assert_ne!(run(42), run(43), "{}", contract.name);
    }
}

#[test]
fn a_scenario_can_narrow_generation_to_one_alternative() {
    let now = datetime!(2026-11-21 12:00:00 UTC);
    let authjs = Registry::builtin().get("authjs").expect("authjs");
    let valid = authjs.scenario("valid").expect("valid");
    let strategy = authjs.scenario_strategy(valid, now).expect("strategy");
    for body in session_schemas::BodyGenerator::new(strategy, 9).take(300) {
        assert!(
            body.get("user").is_some(),
            "valid never generates the empty session: {body}"
        );
    }
}
