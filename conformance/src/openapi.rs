//! Contracts as an OpenAPI 3.1 document, for the tools that speak it: Prism
//! mocks it, Schemathesis tests a server with it, openapi-typescript makes
//! types from it. OpenAPI 3.1 schemas are JSON Schema 2020-12, so each
//! contract's `$defs` go to `components/schemas` as they are (renamed
//! `<contract>_<Def>`, their `$ref`s rewritten); each documented status
//! becomes a response with its schema, the contract's headers and the
//! fixtures of its documented scenarios and examples as named examples.
//! Off-contract scenarios are left out: they are what a server must not send.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use session_schemas::manifest::{
    ExampleManifest, HeaderScope, IndexMap, Manifest, Method, OutcomesManifest, ResponseManifest,
    ScenarioManifest, SessionManifest,
};
use session_schemas::{Auth, Contract, Protocol};

use crate::error::CliError;

/// The operation extension that carries a contract's manifest.
pub const EXTENSION: &str = "x-session-contract";

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
            // The rest of the manifest (outcomes, identity, invariants...),
            // which OpenAPI has no words for, so an import loses nothing.
            EXTENSION: contract.document().get("x-contract").cloned().unwrap_or(Value::Null),
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
    rewrite(
        value,
        "#/$defs/",
        &format!("#/components/schemas/{prefix}_"),
    );
}

/// Every `$ref` that starts with `from` starts with `to` instead.
fn rewrite(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(target) if key == "$ref" => {
                        if let Some(rest) = target.strip_prefix(from) {
                            *target = format!("{to}{rest}");
                        }
                    }
                    _ => rewrite(child, from, to),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, from, to)),
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

/// A contract made from one OpenAPI operation: the schema file's text,
/// its fixtures, and what was filled in by default (for people to check).
#[derive(Debug)]
pub struct Imported {
    pub name: String,
    pub schema: Value,
    pub fixtures: Vec<(String, Value)>,
    pub defaults: Vec<String>,
}

/// Makes a contract from `operation` (`GET /path`) of an OpenAPI 3.x
/// document. Its response schemas and every component they reach go to
/// `$defs`; each named example of a JSON response becomes a scenario with
/// its fixture; the security scheme becomes the credential carrier. A
/// manifest exported by this tool (`x-session-contract`) restores outcomes,
/// identity, invariants and headers; without one they are inferred and
/// listed in `defaults`.
pub fn import(document: &Value, operation: &str, name: Option<&str>) -> Result<Imported, CliError> {
    let (method, path) = split_operation(operation)?;
    let op = find_operation(document, operation, &method, &path)?;
    let method: Method = method
        .parse()
        .map_err(|why| bad(format!("--operation {operation:?}: {why}")))?;
    let carried = carried_manifest(op)?;
    let name = name
        .map(str::to_owned)
        .or_else(|| carried.as_ref().map(|m| m.name.clone()))
        .or_else(|| {
            op.get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .ok_or_else(|| bad("give --name: the operation has no operationId".to_owned()))?;
    let mut defaults = Vec::new();
    let mut taken = Taken::from_operation(op, &mut defaults);
    let components = document
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let scenario_schemas = carried
        .as_ref()
        .map(|m| carried_scenario_schemas(m, components, &mut taken.wanted))
        .unwrap_or_default();
    let defs = reachable_components(taken.defs, taken.wanted, components)?;
    if taken.responses.is_empty() {
        return Err(bad(format!(
            "{operation} has no JSON response to make a contract of"
        )));
    }
    let auth = auth_of(document, op, &mut defaults);
    let outcomes = match &carried {
        Some(carried) => carried.outcomes.clone(),
        None => inferred_outcomes(&taken.scenarios, &taken.fixtures, &mut defaults),
    };
    let mut manifest = Manifest {
        name: name.clone(),
        source: None,
        method,
        path,
        auth,
        responses: taken.responses,
        scenarios: taken.scenarios,
        examples: IndexMap::new(),
        outcomes,
        headers: taken.headers,
        invariants: Vec::new(),
        session: SessionManifest::default(),
        protocol: None,
    };
    if let Some(carried) = carried {
        restore(&mut manifest, carried, &scenario_schemas);
    }
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": op.get("summary").and_then(Value::as_str).unwrap_or(&name),
        "description": op.get("description").and_then(Value::as_str).unwrap_or(""),
        "$defs": defs,
    });
    schema["x-contract"] = serde_json::to_value(&manifest)
        .map_err(|e| bad(format!("the manifest does not serialize: {e}")))?;
    Ok(Imported {
        name,
        schema,
        fixtures: taken.fixtures,
        defaults,
    })
}

/// A usage error of `contracts import`.
fn bad(why: String) -> CliError {
    CliError::Usage(format!("contracts import: {why}"))
}

/// `GET /path` as the method in lower case (as OpenAPI keys it) and the path.
fn split_operation(operation: &str) -> Result<(String, String), CliError> {
    operation
        .trim()
        .split_once(' ')
        .map(|(m, p)| (m.trim().to_ascii_lowercase(), p.trim().to_owned()))
        .ok_or_else(|| {
            bad(format!(
                "--operation {operation:?}: expected METHOD /path, e.g. 'GET /auth/session'"
            ))
        })
}

/// The operation `method` (lower case) `path` of an OpenAPI 3 document.
fn find_operation<'a>(
    document: &'a Value,
    operation: &str,
    method: &str,
    path: &str,
) -> Result<&'a Value, CliError> {
    let version = document
        .get("openapi")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !version.starts_with("3.") {
        return Err(bad(format!(
            "not an OpenAPI 3 document (openapi: {version:?})"
        )));
    }
    document
        .pointer(&format!("/paths/{}/{method}", escape(path)))
        .ok_or_else(|| {
            bad(format!(
                "no operation {operation}; the document has: {}",
                operations(document).join(", ")
            ))
        })
}

/// Every `METHOD /path` of the document, for an error message.
fn operations(document: &Value) -> Vec<String> {
    document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(p, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .filter(|(m, _)| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                .map(move |(m, _)| format!("{} {p}", m.to_ascii_uppercase()))
        })
        .collect()
}

/// The manifest an export carried in the operation, if any.
fn carried_manifest(op: &Value) -> Result<Option<Manifest>, CliError> {
    let Some(carried) = op.get(EXTENSION).filter(|m| m.is_object()) else {
        return Ok(None);
    };
    Manifest::deserialize(carried).map(Some).map_err(|e| {
        bad(format!(
            "the operation's {EXTENSION} is not a contract manifest: {e}"
        ))
    })
}

/// What the operation's responses give: the manifest's responses,
/// scenarios (one per named example, with its fixture) and headers, the
/// inline schemas as `$defs`, and the components they name.
#[derive(Default)]
struct Taken {
    defs: Map<String, Value>,
    responses: IndexMap<u16, ResponseManifest>,
    scenarios: IndexMap<String, ScenarioManifest>,
    fixtures: Vec<(String, Value)>,
    headers: IndexMap<HeaderScope, IndexMap<String, String>>,
    wanted: Vec<String>,
}

impl Taken {
    fn from_operation(op: &Value, defaults: &mut Vec<String>) -> Self {
        let mut taken = Self::default();
        for (status, response) in op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Ok(code) = status.parse::<u16>() else {
                defaults.push(format!(
                    "response `{status}` left out: only numeric statuses are contracts"
                ));
                continue;
            };
            let Some(media) = response.pointer("/content/application~1json") else {
                defaults.push(format!(
                    "response {status} left out: no application/json content"
                ));
                continue;
            };
            taken.response(code, response, media);
        }
        taken
    }

    /// One JSON response: its schema, its named examples and its constant headers.
    fn response(&mut self, status: u16, response: &Value, media: &Value) {
        let schema = media.get("schema").cloned().unwrap_or(Value::Bool(true));
        let pointer = match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            Some(component) if schema.as_object().is_some_and(|m| m.len() == 1) => {
                self.wanted.push(component.to_owned());
                format!("#/$defs/{component}")
            }
            _ => {
                let def = format!("Response{status}");
                collect_refs(&schema, &mut self.wanted);
                self.defs.insert(def.clone(), schema);
                format!("#/$defs/{def}")
            }
        };
        let description = response.get("description").and_then(Value::as_str);
        self.responses.insert(
            status,
            ResponseManifest {
                schema: pointer,
                description: description.unwrap_or("").to_owned(),
            },
        );
        for (example, value) in media
            .get("examples")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(body) = value.get("value") else {
                continue;
            };
            let file = format!("{example}.json");
            self.fixtures.push((file.clone(), body.clone()));
            let scenario = ScenarioManifest {
                status,
                fixture: file,
                aliases: Vec::new(),
                schema: None,
                recorded_at: None,
            };
            self.scenarios.insert(example.clone(), scenario);
        }
        for (header, spec) in response
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(value) = spec.pointer("/schema/const").and_then(Value::as_str) {
                self.headers
                    .entry(HeaderScope::Status(status))
                    .or_default()
                    .insert(header.clone(), value.to_owned());
            }
        }
    }
}

/// A carried manifest's scenario schemas, as `(scenario, pointer)`, and the
/// components they need. They name the contract's own `$defs`, which the
/// export prefixed with the contract's name.
fn carried_scenario_schemas(
    carried: &Manifest,
    components: Option<&Map<String, Value>>,
    wanted: &mut Vec<String>,
) -> Vec<(String, String)> {
    let prefix = component_prefix(&carried.name);
    let mut schemas = Vec::new();
    for (scenario, entry) in &carried.scenarios {
        let Some(rest) = entry
            .schema
            .as_deref()
            .and_then(|p| p.strip_prefix("#/$defs/"))
        else {
            continue;
        };
        let (def, tail) = rest.split_once('/').map_or((rest, ""), |(d, t)| (d, t));
        let prefixed = format!("{prefix}_{def}");
        let component = if components.is_some_and(|c| c.contains_key(&prefixed)) {
            prefixed
        } else {
            def.to_owned()
        };
        wanted.push(component.clone());
        let tail = if tail.is_empty() {
            String::new()
        } else {
            format!("/{tail}")
        };
        schemas.push((scenario.clone(), format!("#/$defs/{component}{tail}")));
    }
    schemas
}

/// `defs` with every component `wanted` reaches, transitively, their
/// `$ref`s rewritten to `$defs`.
fn reachable_components(
    mut defs: Map<String, Value>,
    mut wanted: Vec<String>,
    components: Option<&Map<String, Value>>,
) -> Result<Value, CliError> {
    while let Some(component) = wanted.pop() {
        if defs.contains_key(&component) {
            continue;
        }
        let schema = components.and_then(|c| c.get(&component)).ok_or_else(|| {
            bad(format!(
                "#/components/schemas/{component} is referenced but not in the document"
            ))
        })?;
        collect_refs(schema, &mut wanted);
        defs.insert(component, schema.clone());
    }
    let mut defs = Value::Object(defs);
    rewrite(&mut defs, "#/components/schemas/", "#/$defs/");
    Ok(defs)
}

/// The credential carrier from the operation's first security scheme;
/// bearer (said in `defaults`) when it names neither bearer nor a cookie.
fn auth_of(document: &Value, op: &Value, defaults: &mut Vec<String>) -> Auth {
    let scheme = op
        .get("security")
        .and_then(Value::as_array)
        .and_then(|s| {
            s.iter()
                .find_map(|r| r.as_object().and_then(|m| m.keys().next().cloned()))
        })
        .and_then(|scheme| {
            document.pointer(&format!("/components/securitySchemes/{}", escape(&scheme)))
        });
    match scheme {
        Some(s) if s["type"] == "apiKey" && s["in"] == "cookie" => Auth::Cookie {
            names: vec![s["name"].as_str().unwrap_or("session").to_owned()],
        },
        Some(s)
            if s["type"] == "http"
                && s["scheme"]
                    .as_str()
                    .is_some_and(|x| x.eq_ignore_ascii_case("bearer")) =>
        {
            Auth::Bearer
        }
        _ => {
            defaults.push(
                "auth: no bearer or cookie security scheme on the operation; assumed bearer"
                    .to_owned(),
            );
            Auth::Bearer
        }
    }
}

/// What a carried manifest keeps that OpenAPI has no words for: the
/// carrier, outcomes, session, invariants, examples, protocol, source, and
/// the scenarios' schemas, aliases and recording times.
fn restore(manifest: &mut Manifest, carried: Manifest, scenario_schemas: &[(String, String)]) {
    manifest.auth = carried.auth;
    manifest.session = carried.session;
    manifest.invariants = carried.invariants;
    manifest.protocol = carried.protocol;
    manifest.source = carried.source;
    // Named extra examples came back as scenarios; keep them examples.
    for (name, example) in carried.examples {
        // As serde_json's `Map::remove` did here before: the last scenario
        // takes the removed one's place.
        manifest.scenarios.swap_remove(&name);
        let fixture = format!("{name}.json");
        manifest.examples.insert(
            name,
            ExampleManifest {
                status: example.status,
                fixture,
            },
        );
    }
    for (name, scenario) in &mut manifest.scenarios {
        if let Some((_, pointer)) = scenario_schemas.iter().find(|(s, _)| s == name) {
            scenario.schema = Some(pointer.clone());
        }
        if let Some(original) = carried.scenarios.get(name) {
            scenario.aliases.clone_from(&original.aliases);
            scenario.recorded_at.clone_from(&original.recorded_at);
        }
    }
}

/// The outcomes guessed from the scenarios, with what is left to check said
/// in `defaults`.
fn inferred_outcomes(
    scenarios: &IndexMap<String, ScenarioManifest>,
    fixtures: &[(String, Value)],
    defaults: &mut Vec<String>,
) -> OutcomesManifest {
    let outcomes = infer_outcomes(scenarios, fixtures);
    let said = serde_json::to_string(&outcomes).unwrap_or_default();
    defaults.push(format!(
        "outcomes inferred: {said}; check that a valid credential gets `authenticated`, none gets `unauthenticated` and a revoked one `revoked`"
    ));
    defaults.push("session.identity empty: list the fields that identify a session (JSON pointers), or stability is not judged".to_owned());
    defaults.push("no invariants: add the rules a schema cannot say (timestamp order, an active session not expired)".to_owned());
    outcomes
}

/// Authenticated: the first 2xx example with a non-empty object body;
/// unauthenticated: a 401 example, else a 2xx `{}` or `null`; revoked: a
/// 404 example, else the unauthenticated one.
fn infer_outcomes(
    scenarios: &IndexMap<String, ScenarioManifest>,
    fixtures: &[(String, Value)],
) -> OutcomesManifest {
    let body = |name: &str| {
        fixtures
            .iter()
            .find(|(f, _)| *f == format!("{name}.json"))
            .map(|(_, b)| b)
    };
    let list: Vec<(&String, u16)> = scenarios.iter().map(|(n, s)| (n, s.status)).collect();
    let find = |pred: &dyn Fn(&str, u16) -> bool| {
        list.iter()
            .find(|(n, s)| pred(n, *s))
            .map(|(n, _)| (*n).clone())
    };
    let authenticated = find(&|n, s| {
        (200..300).contains(&s)
            && body(n)
                .and_then(Value::as_object)
                .is_some_and(|o| !o.is_empty())
    })
    .or_else(|| list.first().map(|(n, _)| (*n).clone()))
    .unwrap_or_default();
    let unauthenticated = find(&|_, s| s == 401)
        .or_else(|| {
            find(&|n, s| {
                (200..300).contains(&s)
                    && body(n)
                        .is_some_and(|b| b.is_null() || b.as_object().is_some_and(|o| o.is_empty()))
            })
        })
        .unwrap_or_else(|| authenticated.clone());
    let revoked = find(&|_, s| s == 404).unwrap_or_else(|| unauthenticated.clone());
    OutcomesManifest {
        authenticated,
        unauthenticated,
        revoked,
        expired: None,
    }
}

/// A JSON pointer token: `~` and `/` escaped.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match child {
                    Value::String(target) if key == "$ref" => {
                        if let Some(component) = target.strip_prefix("#/components/schemas/") {
                            let component = component.split('/').next().unwrap_or(component);
                            out.push(component.to_owned());
                        }
                    }
                    _ => collect_refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
