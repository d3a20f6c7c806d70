//! `contracts export --format openapi`: an OpenAPI 3.1 document an OpenAPI
//! parser (oas3) reads, whose references all resolve, whose named examples
//! validate against their response schemas, and whose schemas still reject
//! what the contracts reject.

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use serde_json::Value;

fn export(args: &[&str]) -> Value {
    let output = cargo_bin_cmd!("session-conformance")
        .args(["contracts", "export"])
        .args(args)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// A validator for one component, resolving `$ref`s inside the document.
fn validator(document: &Value, reference: &str) -> jsonschema::Validator {
    let mut root = document.clone();
    root["$ref"] = Value::String(reference.to_owned());
    jsonschema::draft202012::new(&root).expect("the exported schema compiles")
}

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match child {
                    Value::String(target) if key == "$ref" => out.push(target),
                    _ => refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn the_export_is_openapi_3_1_with_resolving_refs_and_valid_examples() {
    let document = export(&[]);
    let text = serde_json::to_string(&document).expect("text");
    let spec = oas3::from_json(&text).expect("an OpenAPI 3.1 parser reads it");
    assert_eq!(spec.openapi, "3.1.0");
    assert!(document["paths"]["/auth/session"]["get"].is_object());
    assert!(document["paths"]["/api/auth/session"]["get"].is_object());
    // Auth.js's session route answers update() too, and says so.
    let update = &document["paths"]["/api/auth/session"]["post"];
    assert_eq!(update["operationId"], "authjs-update");
    assert!(update["responses"]["400"].is_object());
    assert!(document["paths"]["/auth/session"]["post"].is_null());
    assert_eq!(
        document["components"]["securitySchemes"]["session-api_bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        document["components"]["securitySchemes"]["authjs_cookie"]["name"],
        "authjs.session-token"
    );
    let mut all = Vec::new();
    refs(&document, &mut all);
    assert!(!all.is_empty());
    for target in all {
        let pointer = target.strip_prefix('#').expect("a local reference");
        assert!(document.pointer(pointer).is_some(), "{target} resolves");
    }
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (status, response) in item["get"]["responses"].as_object().expect("responses") {
            let media = &response["content"]["application/json"];
            let reference = media["schema"]["$ref"].as_str().expect("a component");
            let validator = validator(&document, reference);
            for (name, example) in media["examples"].as_object().into_iter().flatten() {
                let errors: Vec<String> = validator
                    .iter_errors(&example["value"])
                    .map(|e| e.to_string())
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{path} {status} example {name}: {errors:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 6, "only {checked} examples");
    // Off-contract scenarios are not offered as examples.
    let api_200 = &document["paths"]["/auth/session"]["get"]["responses"]["200"];
    assert!(api_200["content"]["application/json"]["examples"]["empty"].is_null());
    assert_eq!(
        api_200["headers"]["Cache-Control"]["schema"]["const"],
        "no-store"
    );
}

#[test]
fn the_exported_schemas_still_reject_what_the_contracts_reject() {
    let document = export(&["session-api"]);
    assert!(
        document["paths"]["/api/auth/session"].is_null(),
        "only the one asked for"
    );
    let reference = document["paths"]["/auth/session"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"]["$ref"]
        .as_str()
        .expect("a component")
        .to_owned();
    let validator = validator(&document, &reference);
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/session-api");
    let valid: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{fixtures}/valid.json")).expect("fixture"),
    )
    .expect("JSON");
    assert!(validator.is_valid(&valid));
    let mut broken = valid.clone();
    broken.as_object_mut().expect("object").remove("session_id");
    assert!(
        !validator.is_valid(&broken),
        "a session without session_id is rejected"
    );
    cargo_bin_cmd!("session-conformance")
        .args(["contracts", "export", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown contract `nope`"));
}

#[test]
fn a_loaded_contract_is_exported_too() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/contracts/better-auth.schema.json"
    );
    // Without it, the built-ins alone.
    let document = export(&["--format", "openapi"]);
    let paths = document["paths"].as_object().expect("paths");
    for contract in session_schemas::Registry::builtin().contracts() {
        assert!(paths.contains_key(&contract.path), "{}", contract.path);
    }
    let output = cargo_bin_cmd!("session-conformance")
        .args(["contracts", "--contract", file, "export", "better-auth"])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let get = &document["paths"]["/api/auth/get-session"]["get"];
    assert_eq!(get["operationId"], "better-auth");
    assert!(
        get["responses"]["200"]["content"]["application/json"]["examples"]["signed-out"]
            .is_object()
    );
}

/// Every built-in exported and imported back judges the counter-examples in
/// `fixtures/<contract>/invalid/` exactly as the original: the same
/// violations, path and rule, schema and invariants alike.
#[test]
fn a_round_trip_through_openapi_judges_every_counter_example_alike() {
    use session_schemas::{Clock, ContractSource, Mode, Registry};
    let dir = std::env::temp_dir().join(format!("round-trip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let exported = dir.join("openapi.json");
    cargo_bin_cmd!("session-conformance")
        .args(["contracts", "export", "--out"])
        .arg(&exported)
        .assert()
        .code(0);
    let mut compared = 0;
    for original in Registry::builtin().contracts() {
        let out = dir.join(&original.name);
        cargo_bin_cmd!("session-conformance")
            .args(["contracts", "import"])
            .arg(&exported)
            .args(["--operation", &format!("GET {}", original.path), "--out"])
            .arg(&out)
            .assert()
            .code(0)
            .stdout(predicate::str::contains("check:").not());
        let file = out.join(format!("{}.schema.json", original.name));
        let source = ContractSource::from_file(&file).expect("the imported files");
        let imported = Registry::from_sources([source]).expect("the import loads");
        let imported = imported.get(&original.name).expect("same name");
        assert_eq!(imported.auth, original.auth);
        assert_eq!(
            imported.documented_statuses(),
            original.documented_statuses()
        );
        let invalid = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures")
            .join(&original.name)
            .join("invalid");
        if !invalid.is_dir() {
            continue; // a contract without counter-examples
        }
        for entry in std::fs::read_dir(&invalid).expect("invalid/") {
            let path = entry.expect("entry").path();
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
            let status = case["status"].as_u64().expect("status") as u16;
            let mode = if case["strict"].as_bool().unwrap_or(false) {
                Mode::Strict
            } else {
                Mode::Lenient
            };
            let clock = case["received_at"].as_str().map(|at| {
                Clock::new(
                    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                        .expect("received_at"),
                    time::Duration::ZERO,
                )
            });
            let judge = |c: &session_schemas::Contract| -> Vec<(String, String)> {
                let mut found: Vec<(String, String)> = c
                    .check(status, &case["body"], mode, clock.as_ref())
                    .expect("documented")
                    .iter()
                    .flat_map(|v| v.flatten())
                    .map(|v| (v.path.clone(), v.rule.clone()))
                    .collect();
                found.sort();
                found
            };
            let (before, after) = (judge(original), judge(imported));
            assert!(!before.is_empty(), "{}", path.display());
            assert_eq!(before, after, "{}", path.display());
            compared += 1;
        }
    }
    assert!(compared >= 20, "{compared} counter-examples");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A plain OpenAPI document (no manifest carried) still makes a contract
/// that loads; what could not be inferred is printed, to be checked.
#[test]
fn a_plain_openapi_operation_imports_with_its_defaults_named() {
    let dir = std::env::temp_dir().join(format!("plain-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut document = export(&["session-api"]);
    document["paths"]["/auth/session"]["get"]
        .as_object_mut()
        .expect("operation")
        .remove(session_conformance::openapi::EXTENSION);
    let plain = dir.join("plain.json");
    std::fs::write(&plain, document.to_string()).expect("write");
    cargo_bin_cmd!("session-conformance")
        .args(["contracts", "import"])
        .arg(&plain)
        .args([
            "--operation",
            "GET /auth/session",
            "--name",
            "my-session",
            "--out",
        ])
        .arg(&dir)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("check: outcomes inferred"))
        .stdout(predicate::str::contains("\"authenticated\":\"valid\""))
        .stdout(predicate::str::contains("\"unauthenticated\":\"401\""))
        .stdout(predicate::str::contains("session.identity empty"));
    cargo_bin_cmd!("session-conformance")
        .args(["validate", "-c"])
        .arg(dir.join("my-session.schema.json"))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/session-api/valid.json"
        ))
        .assert()
        .code(0);
    // Not an OpenAPI document, or no such operation: exit 2, saying which.
    cargo_bin_cmd!("session-conformance")
        .args(["contracts", "import"])
        .arg(&plain)
        .args(["--operation", "GET /nope", "--out"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no operation GET /nope; the document has: GET /auth/session",
        ));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same document as YAML imports the same contract.
#[test]
fn a_yaml_openapi_document_imports_too() {
    let dir = std::env::temp_dir().join(format!("yaml-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let document = export(&["session-api"]);
    let yaml = dir.join("openapi.yaml");
    std::fs::write(&yaml, serde_norway::to_string(&document).expect("yaml")).expect("write");
    cargo_bin_cmd!("session-conformance")
        .args(["contracts", "import"])
        .arg(&yaml)
        .args(["--operation", "GET /auth/session", "--out"])
        .arg(&dir)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("session-api.schema.json"));
    std::fs::write(&yaml, "openapi: [unclosed").expect("write");
    cargo_bin_cmd!("session-conformance")
        .args(["contracts", "import"])
        .arg(&yaml)
        .args(["--operation", "GET /auth/session", "--out"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not valid YAML"));
    let _ = std::fs::remove_dir_all(&dir);
}
