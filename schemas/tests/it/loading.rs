//! Loading contracts: the embedded ones load, the schema files are valid
//! draft 2020-12, and every kind of broken contract file is refused with an
//! error that names the file and the problem.

use session_schemas::{Auth, ContractError, ContractSource, Outcome, Registry};

/// An edit to a contract document, for the broken-file cases.
type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;

fn source_with(edit: impl FnOnce(&mut serde_json::Value)) -> ContractSource {
    let mut source = Registry::embedded_sources()
        .into_iter()
        .find(|s| s.file == "session-api.schema.json")
        .expect("embedded");
    let mut document: serde_json::Value = serde_json::from_str(&source.schema).expect("json");
    edit(&mut document);
    source.schema = document.to_string();
    source
}

fn load_error(source: ContractSource) -> String {
    match Registry::from_sources([source]) {
        Ok(_) => panic!("a broken contract was accepted"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn the_embedded_contracts_load_with_their_metadata() {
    let registry = Registry::builtin();
    for name in ["authjs", "session-api"] {
        assert!(registry.names().contains(&name), "{name} is built in");
    }
    let api = registry.get("session-api").expect("session-api");
    assert_eq!(
        (api.method.as_str(), api.path.as_str(), &api.auth),
        ("GET", "/auth/session", &Auth::Bearer)
    );
    assert_eq!(api.documented_statuses(), [200, 401, 404, 500]);
    assert_eq!(api.outcome(Outcome::Unauthenticated).status, 401);
    assert_eq!(api.outcome(Outcome::Revoked).status, 404);
    assert_eq!(
        api.headers_for(401)
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect::<Vec<_>>(),
        [("WWW-Authenticate", "Bearer")]
    );
    assert_eq!(
        api.headers_for(200)
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect::<Vec<_>>(),
        [("Cache-Control", "no-store")]
    );
    assert_eq!(api.identity, ["/session_id", "/user_id"]);
    assert_eq!(api.monotonic, ["/last_activity_at"]);
    let authjs = registry.get("authjs").expect("authjs");
    assert_eq!(authjs.path, "/api/auth/session");
    assert!(matches!(&authjs.auth, Auth::Cookie { names } if names[0] == "authjs.session-token"));
    assert_eq!(authjs.documented_statuses(), [200, 500]);
    assert_eq!(authjs.outcome(Outcome::Unauthenticated).name, "empty");
    assert_eq!(authjs.headers_for(200).count(), 3);
    assert_eq!(authjs.authenticated_keys, ["user"]);
    assert_eq!(
        authjs.scenario("server-error").map(|s| s.status).ok(),
        Some(500)
    );
    assert_eq!(
        api.example("invalid-token")
            .map(|(status, body)| (status, body["message"].clone())),
        Some((401, "Invalid or expired token".into()))
    );
}

#[test]
fn each_schema_file_is_valid_draft_2020_12() {
    for source in Registry::embedded_sources() {
        let schema: serde_json::Value = serde_json::from_str(&source.schema).expect("json");
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{}",
            source.file
        );
        if let Err(error) = jsonschema::draft202012::meta::validate(&schema) {
            panic!("{}: {error}", source.file);
        }
    }
    // And the meta-validation does reject a broken schema.
    let message = load_error(source_with(|d| {
        d["$defs"]["Session"]["type"] = serde_json::json!(12)
    }));
    assert!(
        message.contains("not a valid JSON Schema (draft 2020-12)"),
        "{message}"
    );
}

#[test]
fn lookups_of_unknown_names_list_what_exists() {
    let registry = Registry::builtin();
    let error = registry.get("sessions").expect_err("unknown");
    assert_eq!(
        error.to_string(),
        format!(
            "unknown contract `sessions`; did you mean `session-api`?; known contracts: {}",
            registry.names().join(", ")
        )
    );
    // A stem shared with no single contract suggests nothing.
    let error = registry.get("teapot").expect_err("unknown");
    assert_eq!(
        error.to_string(),
        format!(
            "unknown contract `teapot`; known contracts: {}",
            registry.names().join(", ")
        )
    );
    let api = registry.get("session-api").expect("known");
    assert_eq!(
        api.response(418).expect_err("undocumented").to_string(),
        "contract session-api documents no status 418; documented statuses: 200, 401, 404, 500"
    );
    let scenario = api
        .scenario("teapot")
        .expect_err("unknown scenario")
        .to_string();
    assert!(scenario.contains("401 (unauthorized)"), "{scenario}");
}

#[test]
fn a_session_is_claimed_only_by_an_authenticated_body() {
    let registry = Registry::builtin();
    let api = registry.get("session-api").expect("session-api");
    let valid = &api.scenario("valid").expect("valid").body;
    assert!(api.claims_session(200, valid));
    // A partial session still claims one: a bypass is not excused by a missing field.
    assert!(api.claims_session(200, &serde_json::json!({"session_id": "x"})));
    assert!(!api.claims_session(401, valid));
    assert!(!api.claims_session(200, &serde_json::json!({})));
    assert!(!api.claims_session(200, &serde_json::json!({"error": "unauthorized"})));
    let authjs = registry.get("authjs").expect("authjs");
    assert!(authjs.claims_session(200, &authjs.scenario("valid").expect("valid").body));
    assert!(!authjs.claims_session(200, &serde_json::json!({})));
    assert!(!authjs.claims_session(200, &serde_json::Value::Null));
}

#[test]
fn broken_contract_files_are_refused_with_the_reason() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            r#"x-contract/session/identity/0: "session_id" does not match "^/" (pattern)"#,
            Box::new(|d| {
                d["x-contract"]["session"]["identity"] = serde_json::json!(["session_id"])
            }),
        ),
        (
            "no `x-contract` manifest",
            Box::new(|d| drop(d.as_object_mut().expect("object").remove("x-contract"))),
        ),
        (
            "is named for `session-api`",
            Box::new(|d| d["x-contract"]["name"] = "other".into()),
        ),
        (
            "outcomes names unknown scenario `gone`",
            Box::new(|d| d["x-contract"]["outcomes"]["revoked"] = "gone".into()),
        ),
        (
            "x-contract.scenarios.valid.fixture: fixture missing.json (under fixtures/session-api/): no such file",
            Box::new(|d| d["x-contract"]["scenarios"]["valid"]["fixture"] = "missing.json".into()),
        ),
        (
            "`#/$defs/Nope` does not point into this document",
            Box::new(|d| d["x-contract"]["responses"]["200"]["schema"] = "#/$defs/Nope".into()),
        ),
        (
            r#"x-contract/responses: "2xx" does not match "^[1-5][0-9][0-9]$" (propertyNames)"#,
            Box::new(|d| {
                d["x-contract"]["responses"]["2xx"] =
                    serde_json::json!({"schema": "#/$defs/Session"})
            }),
        ),
        (
            "the name `unauthorized` is used twice",
            Box::new(|d| {
                d["x-contract"]["scenarios"]["404"]["aliases"] = serde_json::json!(["unauthorized"])
            }),
        ),
        (
            "x-contract: Additional properties are not allowed ('colour' was unexpected) (additionalProperties)",
            Box::new(|d| d["x-contract"]["colour"] = "blue".into()),
        ),
        (
            r#"x-contract/method: "FETCH" is not one of"#,
            Box::new(|d| d["x-contract"]["method"] = "FETCH".into()),
        ),
        (
            "x-contract/invariants/0: ",
            Box::new(|d| {
                d["x-contract"]["invariants"][0]
                    .as_object_mut()
                    .expect("an invariant")
                    .remove("later");
            }),
        ),
        (
            "invariant `active-session-not-expired` applies to status 201",
            Box::new(|d| d["x-contract"]["invariants"][3]["status"] = 201.into()),
        ),
        (
            "example `invalid-token` does not match its schema",
            Box::new(|d| {
                d["x-contract"]["examples"]["invalid-token"]["fixture"] = "valid.json".into()
            }),
        ),
    ];
    let mut mismatches = Vec::new();
    for (expected, edit) in cases {
        let message = load_error(source_with(edit));
        if !message.contains(expected) {
            mismatches.push(format!("expected {expected:?} in {message:?}"));
        }
        assert!(
            message.contains("session-api"),
            "the error names the contract: {message}"
        );
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[test]
fn malformed_json_is_reported_with_line_and_column() {
    let mut source = Registry::embedded_sources()
        .into_iter()
        .next()
        .expect("one");
    source.schema = "{\n  \"title\": \"x\",\n  oops\n}".to_owned();
    let error = Registry::from_sources([source]).expect_err("malformed");
    assert!(
        matches!(
            error,
            ContractError::Json {
                line: 3,
                column: 3,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn the_session_life_is_described_by_the_manifest_and_checked_at_load() {
    use session_schemas::{Answer, Expiry, Protocol};
    let registry = Registry::builtin();
    let api = registry.get("session-api").expect("session-api");
    assert_eq!(api.expiry, Expiry::Fixed);
    assert_eq!(api.protocol, None);
    assert_eq!(api.session_fields.expires.as_deref(), Some("/expires_at"));
    assert_eq!(api.session_fields.state.as_deref(), Some("/state"));
    let (status, body) = api.answer(api.expired);
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("Invalid or expired token"))
    );
    assert!(matches!(api.expired, Answer::Example(_)));
    let authjs = registry.get("authjs").expect("authjs");
    assert_eq!(
        (authjs.expiry, authjs.protocol),
        (Expiry::Sliding, Some(Protocol::AuthJs))
    );
    assert_eq!(authjs.session_fields.user.as_deref(), Some("/user"));
    assert_eq!(authjs.answer(authjs.expired), (200, &serde_json::json!({})));

    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|d| d["x-contract"]["session"]["fields"]["expires"] = "/no_such_field".into()),
            "x-contract.session.fields.expires: `/no_such_field` does not point to a value",
        ),
        (
            Box::new(|d| d["x-contract"]["session"]["fields"]["user"] = "/state".into()),
            "x-contract.session.fields.user: `/state` does not point to an object",
        ),
        (
            Box::new(|d| d["x-contract"]["session"]["fields"]["colour"] = "/state".into()),
            "x-contract/session/fields: Additional properties are not allowed ('colour' was unexpected) (additionalProperties)",
        ),
        (
            Box::new(|d| d["x-contract"]["session"]["expiry"] = "eventually".into()),
            r#"x-contract/session/expiry: "eventually" is not one of "fixed" or "sliding" (enum)"#,
        ),
        (
            Box::new(|d| d["x-contract"]["protocol"] = "saml".into()),
            r#"x-contract/protocol: "saml" is not one of "authjs" (enum)"#,
        ),
        (
            Box::new(|d| d["x-contract"]["outcomes"]["expired"] = "gone".into()),
            "x-contract.outcomes.expired names `gone`, neither a scenario nor an example",
        ),
    ];
    let mut mismatches = Vec::new();
    for (edit, says) in cases {
        let error = load_error(source_with(edit));
        if !error.contains(says) {
            mismatches.push(format!("expected {says:?} in {error:?}"));
        }
        assert!(error.contains("session-api.schema.json"), "{error}");
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // Without an `expired` outcome, an expired credential is unauthenticated.
    let plain = Registry::from_sources([source_with(|d| {
        d["x-contract"]["outcomes"]
            .as_object_mut()
            .expect("outcomes")
            .remove("expired");
    })])
    .expect("loads");
    let api = plain.get("session-api").expect("contract");
    assert_eq!(api.answer(api.expired).0, 401);
    assert!(matches!(api.expired, Answer::Scenario(_)));
}

#[test]
fn each_contract_names_a_source_document_that_is_in_the_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for contract in Registry::builtin().contracts() {
        let source = contract.source.as_deref().expect("a source");
        assert!(source.starts_with("docs/sources/"), "{source}");
        let text = std::fs::read_to_string(root.join(source)).expect("the source document");
        assert!(
            text.contains(&contract.path),
            "{source} documents {}",
            contract.path
        );
    }
}

#[test]
fn a_near_miss_name_gets_a_did_you_mean_and_a_far_one_does_not() {
    let registry = Registry::builtin();
    let error = registry.get("sesion-api").expect_err("typo").to_string();
    assert!(error.contains("did you mean `session-api`?"), "{error}");
    let error = registry.get("graphql").expect_err("unknown").to_string();
    assert!(!error.contains("did you mean"), "{error}");
    let api = registry.get("session-api").expect("api");
    for (typo, meant) in [
        ("unauthorised", "unauthorized"),
        ("vaild", "valid"),
        ("servererror", "server-error"),
    ] {
        let error = api.scenario(typo).expect_err("typo").to_string();
        assert!(
            error.contains(&format!("did you mean `{meant}`?")),
            "{error}"
        );
    }
    assert!(
        !api.scenario("teapot")
            .expect_err("unknown")
            .to_string()
            .contains("did you mean")
    );
    assert_eq!(
        session_schemas::suggest("emtpy", ["valid", "empty"]),
        Some("empty")
    );
    assert_eq!(session_schemas::suggest("x", ["valid", "empty"]), None);
}

#[test]
fn fields_marked_undocumented_are_listed_by_status_and_path() {
    let authjs = Registry::builtin().get("authjs").expect("authjs");
    let fields = authjs.undocumented_fields();
    for expected in ["/expires", "/user/product_code", "/user/effectiveTier"] {
        assert!(
            fields.contains(&(200, expected.to_owned())),
            "{expected} in {fields:?}"
        );
    }
    assert!(
        !fields.iter().any(|(_, path)| path == "/user/id"),
        "a documented field is not listed: {fields:?}"
    );
}
