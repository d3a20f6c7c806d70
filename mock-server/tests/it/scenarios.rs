//! Every contract x scenario x selection mechanism, each body judged by the
//! schemas crate; off-contract answers marked; runtime switching; overrides.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use session_schemas::{Clock, Mode, Registry};

use crate::util::{app, get, send};

#[tokio::test]
async fn every_scenario_by_every_mechanism_answers_its_status_and_a_conforming_body() {
    let mock = app(&[]);
    let clock = Clock::new(time::OffsetDateTime::now_utc(), time::Duration::seconds(2));
    for contract in Registry::builtin().contracts() {
        for scenario in &contract.scenarios {
            let name = scenario.name.as_str();
            let code = format!("code={}", scenario.status);
            let query = format!("{}?__scenario={name}", contract.path);
            let by_alias = scenario
                .aliases
                .first()
                .map(|alias| format!("{}?__scenario={alias}", contract.path));
            let mut answers = vec![
                ("query", get(&mock, &query, &[]).await),
                (
                    "header",
                    get(&mock, &contract.path, &[("mock-scenario", name)]).await,
                ),
                (
                    "prefer example",
                    get(
                        &mock,
                        &contract.path,
                        &[("prefer", &format!("example={name}"))],
                    )
                    .await,
                ),
            ];
            // Prefer: code picks the first scenario with that status.
            if contract
                .scenarios
                .iter()
                .find(|s| s.status == scenario.status)
                .is_some_and(|s| s.name == name)
            {
                answers.push((
                    "prefer code",
                    get(&mock, &contract.path, &[("prefer", &code)]).await,
                ));
            }
            if let Some(uri) = by_alias {
                answers.push(("alias", get(&mock, &uri, &[]).await));
            }
            for (mechanism, answer) in answers {
                let what = format!("{} {name} by {mechanism}", contract.name);
                assert_eq!(answer.status.as_u16(), scenario.status, "{what}");
                assert_eq!(
                    answer.header("content-type"),
                    Some("application/json"),
                    "{what}"
                );
                assert_eq!(answer.header("mock-scenario"), Some(name), "{what}");
                assert_eq!(
                    answer.header("mock-off-contract").is_some(),
                    !scenario.is_documented(),
                    "{what}"
                );
                if scenario.is_documented() {
                    let violations = contract
                        .check(scenario.status, &answer.body, Mode::Strict, Some(&clock))
                        .expect("documented");
                    assert!(violations.is_empty(), "{what}: {violations:?}");
                } else {
                    assert_eq!(
                        answer.body, scenario.body,
                        "{what}: the off-contract fixture"
                    );
                }
                for rule in contract.headers_for(scenario.status) {
                    assert_eq!(
                        answer.header(&rule.name),
                        Some(rule.value.as_str()),
                        "{what}: {}",
                        rule.name
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn the_configured_default_is_served_per_contract() {
    let mock = app(&["--scenario", "500", "--scenario", "authjs=empty"]);
    assert_eq!(
        get(&mock, "/auth/session", &[]).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let authjs = get(&mock, "/api/auth/session", &[]).await;
    assert_eq!(
        (authjs.status, authjs.body.clone()),
        (StatusCode::OK, serde_json::json!({}))
    );
}

#[tokio::test]
async fn a_runtime_choice_applies_to_the_next_request_and_per_request_choices_still_win() {
    let mock = app(&[]);
    let put = |body: &'static str| {
        Request::put("/__mock/scenarios")
            .body(Body::from(body))
            .expect("request")
    };
    let changed = send(&mock, put(r#"{"session-api": "unauthorized"}"#)).await;
    assert_eq!(changed.status, StatusCode::OK);
    let api = changed.body["contracts"]
        .as_array()
        .expect("contracts")
        .iter()
        .find(|c| c["contract"] == "session-api")
        .expect("session-api listed");
    assert_eq!(api["active"], "401");
    assert_eq!(
        get(&mock, "/auth/session", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&mock, "/auth/session", &[("mock-scenario", "valid")])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        get(&mock, "/api/auth/session", &[]).await.body["user"]["email"],
        "ada.lovelace@example.com",
        "other contracts unchanged"
    );
    send(&mock, put(r#"{"session-api": null}"#)).await;
    assert_eq!(
        get(&mock, "/auth/session", &[]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_names_and_bad_admin_bodies_get_400_saying_what_is_valid() {
    let mock = app(&[]);
    let answer = get(&mock, "/auth/session?__scenario=teapot", &[]).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["error"], "unknown_scenario");
    assert!(
        answer.body["valid"]
            .as_array()
            .expect("list")
            .iter()
            .any(|v| v == "404 (not-found)")
    );
    for (body, expected) in [
        ("{not json", "not valid JSON"),
        ("[1]", "not an object"),
        (r#"{"nope": "401"}"#, "`nope` is not a mounted contract"),
        (
            r#"{"authjs": "teapot"}"#,
            "`teapot` is not a scenario of authjs",
        ),
        (r#"{"authjs": 401}"#, "expected a scenario name or null"),
    ] {
        let answer = send(
            &mock,
            Request::put("/__mock/scenarios")
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            answer.body["message"]
                .as_str()
                .expect("message")
                .contains(expected),
            "{body}: {}",
            answer.body
        );
    }
    let huge = "x".repeat(100_000);
    let answer = send(
        &mock,
        Request::put("/__mock/scenarios")
            .body(Body::from(huge))
            .expect("request"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn fixture_mode_moves_timestamps_to_now_and_frozen_mode_serves_the_file_byte_for_byte() {
    let live = get(&app(&[]), "/auth/session", &[]).await;
    let expires = time::OffsetDateTime::parse(
        live.body["expires_at"].as_str().expect("string"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("date-time");
    let now = time::OffsetDateTime::now_utc();
    assert!(
        expires > now && expires < now + time::Duration::hours(1),
        "the document's 30-minute interval, from now: {expires}"
    );
    let frozen = get(&app(&["--data", "frozen"]), "/auth/session", &[]).await;
    let file = std::fs::read("../fixtures/session-api/valid.json").expect("fixture");
    assert_eq!(frozen.raw, file);
}

#[tokio::test]
async fn generated_mode_is_deterministic_per_seed_and_valid() {
    let bodies = |seed: &'static str| async move {
        let mock = app(&["--data", "generated", "--seed", seed]);
        let mut out = Vec::new();
        for _ in 0..5 {
            let mut body = get(&mock, "/auth/session", &[]).await.body;
            // Timestamps move with the clock; the rest is the seed's.
            for field in ["expires_at", "created_at", "last_activity_at"] {
                body[field] = serde_json::Value::Null;
            }
            out.push(body);
        }
        out
    };
    assert_eq!(bodies("1").await, bodies("1").await);
    assert_ne!(bodies("1").await, bodies("2").await);
    let contract = Registry::builtin().get("authjs").expect("authjs");
    let mock = app(&["--data", "generated"]);
    for _ in 0..20 {
        let body = get(&mock, "/api/auth/session", &[]).await.body;
        assert!(
            body.get("user").is_some(),
            "valid is always authenticated: {body}"
        );
        assert!(
            contract
                .validate(200, &body, Mode::Strict)
                .expect("200")
                .is_empty(),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_override_is_merged_into_the_valid_body_only() {
    let mock = app(&[
        "--override",
        r#"authjs={"user":{"user_type":"client","plan":null}}"#,
    ]);
    let valid = get(&mock, "/api/auth/session", &[]).await.body;
    assert_eq!(valid["user"]["user_type"], "client");
    assert!(valid["user"].get("plan").is_none(), "null removes a field");
    assert_eq!(
        get(&mock, "/api/auth/session?__scenario=empty", &[])
            .await
            .body,
        serde_json::json!({})
    );
}

#[test]
fn an_override_that_breaks_the_schema_is_refused_at_startup_unless_allowed() {
    let breaking = [
        "--override",
        r#"session-api={"session_id":"not-a-uuid","user_id":null}"#,
    ];
    let error = session_mock::app(crate::util::config(&breaking))
        .expect_err("refused")
        .to_string();
    assert!(error.contains("contracts.session-api.override"), "{error}");
    assert!(
        error.contains("/session_id") && error.contains("\"user_id\" is a required property"),
        "{error}"
    );
    let allowed = [breaking[0], breaking[1], "--allow-invalid-override"];
    assert!(session_mock::app(crate::util::config(&allowed)).is_ok());
}

#[tokio::test]
async fn the_admin_api_refuses_non_loopback_peers_unless_opened() {
    let from = |peer: &str| crate::util::from_peer("GET", "/__mock/scenarios", peer);
    let mock = app(&[]);
    let refused = send(&mock, from("10.1.2.3:5000")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body["message"]
            .as_str()
            .expect("message")
            .contains("--admin-open")
    );
    assert_eq!(
        send(&mock, from("127.0.0.1:5000")).await.status,
        StatusCode::OK
    );
    assert_eq!(send(&mock, from("[::1]:5000")).await.status, StatusCode::OK);
    assert_eq!(
        get(&mock, "/auth/session", &[]).await.status,
        StatusCode::OK,
        "the endpoints themselves are not restricted"
    );
    let opened = app(&["--admin-open"]);
    assert_eq!(
        send(&opened, from("10.1.2.3:5000")).await.status,
        StatusCode::OK
    );
    // The session and clock routes sit behind the same rule.
    for (method, path) in [
        ("GET", "/__mock/sessions"),
        ("POST", "/__mock/sessions"),
        ("DELETE", "/__mock/sessions/some-id"),
        ("GET", "/__mock/clock"),
        ("PUT", "/__mock/clock"),
        // And the control page with its files.
        ("GET", "/__mock"),
        ("GET", "/__mock/"),
        ("GET", "/__mock/ui/app.js"),
    ] {
        let request = crate::util::from_peer(method, path, "10.1.2.3:5000");
        assert_eq!(
            send(&mock, request).await.status,
            StatusCode::FORBIDDEN,
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn scenario_typos_at_runtime_and_per_request_get_a_did_you_mean() {
    let mock = app(&[]);
    let request = Request::put("/__mock/scenarios")
        .body(Body::from(r#"{"session-api": "servererror"}"#))
        .expect("request");
    let answer = send(&mock, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let message = answer.body["message"].as_str().expect("message");
    assert!(
        message.contains("did you mean `server-error`?"),
        "{message}"
    );
    let request = Request::put("/__mock/scenarios")
        .body(Body::from(r#"{"sesion-api": "500"}"#))
        .expect("request");
    let message = send(&mock, request).await.body["message"].to_string();
    assert!(message.contains("did you mean `session-api`?"), "{message}");
    let answer = get(&mock, "/auth/session?__scenario=unauthorised", &[]).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let message = answer.body["message"].as_str().expect("message");
    assert!(
        message.contains("did you mean `unauthorized`?"),
        "{message}"
    );
}

/// A contract loaded at run time (tests/contracts/better-auth.schema.json:
/// non-uuid ids, `null` when signed out, no `401`, its signed-in scenario
/// named `signed-in`) is served beside the built-ins with no code of its own.
#[tokio::test]
async fn a_contract_loaded_from_a_file_is_served_beside_the_built_ins() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/contracts/better-auth.schema.json"
    );
    let mock = app(&["--contract", file]);
    let signed_in = get(&mock, "/api/auth/get-session", &[]).await;
    assert_eq!(signed_in.status, StatusCode::OK);
    assert_eq!(signed_in.body["user"]["name"], "Ada Lovelace");
    assert_eq!(signed_in.header("cache-control"), Some("no-store"));
    let signed_out = get(
        &mock,
        "/api/auth/get-session",
        &[("mock-scenario", "signed-out")],
    )
    .await;
    assert_eq!(signed_out.body, serde_json::Value::Null);
    // The built-ins are still there.
    assert_eq!(
        get(&mock, "/auth/session", &[]).await.status,
        StatusCode::OK
    );

    // A bare --scenario applies where it exists, and the start says where not.
    let config = crate::util::config(&["--contract", file, "--scenario", "401"]);
    let scenarios: Vec<(&str, &str)> = config
        .mounts
        .iter()
        .map(|m| (m.contract.name.as_str(), m.scenario.as_str()))
        .collect();
    assert!(
        scenarios.contains(&("better-auth", "signed-in")),
        "{scenarios:?}"
    );
    assert!(scenarios.contains(&("session-api", "401")), "{scenarios:?}");
    assert!(
        config
            .notes
            .iter()
            .any(|n| n.contains("better-auth has no `401` scenario")),
        "{:?}",
        config.notes
    );
    let only_here = crate::util::config(&["--contract", file, "--scenario", "signed-out"]);
    assert!(only_here.mounts.iter().any(|m| m.scenario == "signed-out"));
}

#[test]
fn a_broken_contract_file_stops_the_start_naming_file_and_path() {
    use clap::Parser;
    let dir = std::env::temp_dir().join(format!("broken-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/contracts/better-auth.schema.json"
    ))
    .expect("contract");
    let file = dir.join("better-auth.schema.json");
    std::fs::write(
        &file,
        source.replace("\"expiry\": \"fixed\"", "\"expiry\": \"someday\""),
    )
    .expect("write");
    let args = session_mock::MockArgs::try_parse_from([
        "session-mock",
        "--contract",
        file.to_str().expect("utf-8"),
    ])
    .expect("flags parse");
    let error = session_mock::MockConfig::from_sources(&args, Default::default())
        .expect_err("a broken contract is refused")
        .to_string();
    assert!(error.contains("better-auth.schema.json"), "{error}");
    assert!(error.contains("x-contract/session/expiry"), "{error}");
    let missing = session_mock::MockArgs::try_parse_from([
        "session-mock",
        "--contract",
        "/no/such.schema.json",
    ])
    .expect("flags parse");
    let error = session_mock::MockConfig::from_sources(&missing, Default::default())
        .expect_err("a missing file is refused")
        .to_string();
    assert!(error.contains("/no/such.schema.json"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Auth-aware, each credential gets its own values in the manifest's
/// identity fields whatever their format (here `ses_...` / `usr_...`, not
/// uuids), consistently wherever the value appears, in the same shape.
#[tokio::test]
async fn each_credential_gets_its_own_identity_in_the_manifest_fields() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/contracts/better-auth.schema.json"
    );
    let mock = app(&["--contract", file, "--auth", "any"]);
    let read = |cookie: &'static str| {
        let mock = mock.clone();
        async move {
            get(&mock, "/api/auth/get-session", &[("cookie", cookie)])
                .await
                .body
        }
    };
    let ada = read("better-auth.session_token=first-credential-0001").await;
    let bob = read("better-auth.session_token=second-credential-0002").await;
    let ada_again = read("better-auth.session_token=first-credential-0001").await;
    assert_ne!(ada["session"]["id"], bob["session"]["id"], "{ada} {bob}");
    assert_ne!(ada["user"]["id"], bob["user"]["id"]);
    assert_eq!(
        ada["session"]["id"], ada_again["session"]["id"],
        "stable per credential"
    );
    for body in [&ada, &bob] {
        assert_eq!(
            body["session"]["userId"], body["user"]["id"],
            "one value, everywhere"
        );
        let id = body["user"]["id"].as_str().expect("id");
        assert!(
            id.starts_with("usr_") && id.len() == "usr_4hN6bR1cY8dJ2kS5".len(),
            "{id}"
        );
    }
}

/// The admin API's session default is no hidden convention: with two
/// contracts without a sign-in protocol mounted, it asks which.
#[tokio::test]
async fn an_admin_session_without_a_contract_is_refused_when_it_is_ambiguous() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/contracts/better-auth.schema.json"
    );
    let mut config = crate::util::config(&["--contract", file]);
    config.listen = "127.0.0.1:0".parse().expect("addr");
    let (_server, http) = crate::util::serve_config(config).await;
    let reply = http
        .admin("POST", "/__mock/sessions", serde_json::json!({}))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert!(reply.text.contains("name the contract"), "{}", reply.text);
    let named = http
        .admin(
            "POST",
            "/__mock/sessions",
            serde_json::json!({"contract": "session-api"}),
        )
        .await;
    assert_eq!(named.status, 201, "{}", named.text);
}
