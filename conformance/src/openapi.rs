//! Contracts as an OpenAPI 3.1 document, for the tools that speak it: Prism
//! mocks it, Schemathesis tests a server with it, openapi-typescript makes
//! types from it. OpenAPI 3.1 schemas are JSON Schema 2020-12, so each
//! contract's `$defs` go to `components/schemas` as they are (renamed
//! `<contract>_<Def>`, their `$ref`s rewritten); each documented status
//! becomes a response with its schema, the contract's headers and the
//! fixtures of its documented scenarios and examples as named examples.
//! Off-contract scenarios are left out: they are what a server must not send.

use serde_json::{Map, Value, json};
use session_schemas::{Auth, Contract, Protocol};

use crate::error::CliError;

/// The OpenAPI document for `contracts`.
pub fn export(contracts: &[&Contract]) -> Result<Value, CliError> {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let mut schemes = Map::new();
    for contract in contracts {
        let prefix = component_prefix(&contract.name);
        if let Some(defs) = contract.document().get("$defs").and_then(Value::as_object) {
            for (name, schema) in defs {
                let mut schema = schema.clone();
                rewrite_refs(&mut schema, &prefix);
                schemas.insert(format!("{prefix}_{name}"), schema);
            }
        }
        let (scheme_name, scheme) = match &contract.auth {
            Auth::Bearer => (
                format!("{prefix}_bearer"),
                json!({"type": "http", "scheme": "bearer"}),
            ),
            Auth::Cookie { names } => (
                format!("{prefix}_cookie"),
                json!({"type": "apiKey", "in": "cookie", "name": names[0]}),
            ),
        };
        schemes.insert(scheme_name.clone(), scheme);
        let method = contract.method.to_ascii_lowercase();
        let entry = paths
            .entry(contract.path.clone())
            .or_insert_with(|| json!({}));
        if entry.get(&method).is_some() {
            return Err(CliError::Usage(format!(
                "contracts export: two contracts describe {} {}",
                contract.method, contract.path
            )));
        }
        entry[&method] = json!({
            "operationId": contract.name,
            "summary": contract.title,
            "description": contract.description,
            // The credential is optional: a session endpoint answers
            // without one too (its unauthenticated outcome).
            "security": [security(&scheme_name), {}],
            "responses": responses(contract, &prefix),
        });
        if contract.protocol == Some(Protocol::AuthJs) && method == "get" {
            entry["post"] = authjs_update(contract, &prefix, &scheme_name);
        }
    }
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Session contracts",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Exported by session-conformance from the contracts: \
                            schemas, security, headers and named examples.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": { "schemas": schemas, "securitySchemes": schemes },
    }))
}

fn security(scheme: &str) -> Value {
    let mut requirement = Map::new();
    requirement.insert(scheme.to_owned(), json!([]));
    Value::Object(requirement)
}

/// Auth.js answers a POST to its session route too: `update()` (Auth.js
/// core, `action "session"` on POST), so an exported Auth.js contract
/// declares it, or a tool would take the mock's answer to it for an
/// undeclared method. With a verified CSRF token and a live session, the
/// updated session; without the token (or with data refused), 400 `null`.
fn authjs_update(contract: &Contract, prefix: &str, scheme_name: &str) -> Value {
    let session = contract.outcome(session_schemas::Outcome::Authenticated);
    let schema = contract
        .responses
        .iter()
        .find(|r| r.status == session.status)
        .map_or(Value::Bool(true), |r| {
            response_schema(contract, &r.schema_pointer, prefix)
        });
    json!({
        "operationId": format!("{}-update", contract.name),
        "summary": "Auth.js update(): change the session's data",
        "description": "The session route of Auth.js answers POST as update(): the CSRF \
                        token (from GET csrf, with its cookie) and the data to merge.",
        "security": [security(scheme_name), {}],
        "requestBody": {
            "required": true,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["csrfToken"],
                        "properties": {
                            "csrfToken": { "type": "string" },
                            "data": { "type": "object" }
                        }
                    }
                }
            }
        },
        "responses": {
            session.status.to_string(): {
                "description": "The updated session, or the signed-out answer without a live session",
                "content": { "application/json": { "schema": schema } }
            },
            "400": {
                "description": "No verified CSRF token, data refused, or a body that is not a JSON object: `null` (or Auth.js's \"Bad request.\")",
                "content": { "application/json": { "schema": { "type": ["null", "string"] } } }
            },
            "413": {
                "description": "The body is over the bound",
                "content": { "application/json": { "schema": { "type": "object" } } }
            }
        }
    })
}

/// Component names allow letters, digits, `.`, `-` and `_`.
fn component_prefix(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `#/$defs/X...` becomes `#/components/schemas/<prefix>_X...`.
fn rewrite_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(target) if key == "$ref" => {
                        if let Some(rest) = target.strip_prefix("#/$defs/") {
                            *target = format!("#/components/schemas/{prefix}_{rest}");
                        }
                    }
                    _ => rewrite_refs(child, prefix),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, prefix)),
        _ => {}
    }
}

/// The schema of a response: a reference into components when the pointer
/// is a `$defs` entry, else the standalone schema inlined.
fn response_schema(contract: &Contract, pointer: &str, prefix: &str) -> Value {
    match pointer.strip_prefix("#/$defs/") {
        Some(rest) => json!({ "$ref": format!("#/components/schemas/{prefix}_{rest}") }),
        None => {
            let mut schema = contract
                .document()
                .pointer(pointer.trim_start_matches('#'))
                .cloned()
                .unwrap_or(Value::Bool(true));
            rewrite_refs(&mut schema, prefix);
            schema
        }
    }
}

fn responses(contract: &Contract, prefix: &str) -> Value {
    let mut out = Map::new();
    for response in &contract.responses {
        let mut examples = Map::new();
        for scenario in contract
            .scenarios
            .iter()
            .filter(|s| s.status == response.status && s.is_documented())
        {
            examples.insert(
                scenario.name.clone(),
                json!({ "summary": format!("scenario `{}`", scenario.name), "value": scenario.body }),
            );
        }
        for example in contract
            .examples
            .iter()
            .filter(|e| e.status == response.status)
        {
            examples.insert(
                example.name.clone(),
                json!({ "summary": format!("example `{}`", example.name), "value": example.body }),
            );
        }
        let mut media =
            json!({ "schema": response_schema(contract, &response.schema_pointer, prefix) });
        if !examples.is_empty() {
            media["examples"] = Value::Object(examples);
        }
        let mut entry = json!({
            "description": if response.description.is_empty() {
                format!("status {}", response.status)
            } else {
                response.description.clone()
            },
            "content": { "application/json": media },
        });
        let headers: Map<String, Value> = contract
            .headers_for(response.status)
            .map(|h| {
                (
                    h.name.clone(),
                    json!({ "schema": { "type": "string", "const": h.value } }),
                )
            })
            .collect();
        if !headers.is_empty() {
            entry["headers"] = Value::Object(headers);
        }
        out.insert(response.status.to_string(), entry);
    }
    Value::Object(out)
}
