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
    let document = export(&["--format", "openapi"]);
    assert!(document["paths"]["/api/auth/get-session"].is_null());
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
