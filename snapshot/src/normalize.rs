//! Volatile values and their placeholders.
//!
//! A value is volatile when the contract's schema says so (`format: uuid` or
//! `date-time`, the `x-generate` hint, or an explicit `x-redact`
//! placeholder), or when it looks like one of them whatever its field (an
//! undeclared field is volatile too), or when it contains a credential.

use serde_json::{Map, Value};
use session_schemas::{Contract, is_uuid};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The placeholders the kit writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholder;

impl Placeholder {
    pub const UUID: &'static str = "[uuid]";
    pub const DATETIME: &'static str = "[datetime]";
    pub const TOKEN: &'static str = "[token]";
    pub const EMAIL: &'static str = "[email]";
    pub const URL: &'static str = "[url]";
    pub const STRING: &'static str = "[string]";
    pub const NUMBER: &'static str = "[number]";
    pub const BOOL: &'static str = "[bool]";
}

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    /// Any item of an array.
    Item,
}

/// A volatile field of a contract's body: where, as an insta selector, and
/// what it is replaced by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// An insta selector, e.g. `.user.id` or `.user.addons[]`.
    pub selector: String,
    pub placeholder: String,
    path: Vec<Step>,
}

/// The volatile fields the schema of `status` declares.
pub(crate) fn schema_redactions(contract: &Contract, status: u16) -> Vec<Redaction> {
    let mut found = Vec::new();
    if let Ok(spec) = contract.response(status)
        && let Some(root) = contract.schema_at(&spec.schema_pointer)
    {
        walk(contract, root, &mut Vec::new(), &mut found, 0);
    }
    found
}

/// References are followed to this depth, so a recursive schema ends.
const MAX_DEPTH: usize = 24;

fn walk(
    contract: &Contract,
    node: &Value,
    path: &mut Vec<Step>,
    found: &mut Vec<Redaction>,
    depth: usize,
) {
    let Some(map) = node.as_object() else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(target) = map
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| contract.schema_at(r))
    {
        walk(contract, target, path, found, depth + 1);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for alternative in map.get(key).and_then(Value::as_array).into_iter().flatten() {
            walk(contract, alternative, path, found, depth + 1);
        }
    }
    if let Some(placeholder) = declared_placeholder(map)
        && !path.is_empty()
    {
        let redaction = Redaction {
            selector: selector(path),
            placeholder: placeholder.to_owned(),
            path: path.clone(),
        };
        if !found.contains(&redaction) {
            found.push(redaction);
        }
    }
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        for (name, schema) in properties {
            path.push(Step::Key(name.clone()));
            walk(contract, schema, path, found, depth + 1);
            path.pop();
        }
    }
    if let Some(items) = map.get("items") {
        path.push(Step::Item);
        walk(contract, items, path, found, depth + 1);
        path.pop();
    }
}

fn declared_placeholder(map: &Map<String, Value>) -> Option<&str> {
    if let Some(explicit) = map.get("x-redact").and_then(Value::as_str) {
        return Some(explicit);
    }
    let format = map
        .get("format")
        .or_else(|| map.get("x-generate"))
        .and_then(Value::as_str)?;
    match format {
        "uuid" => Some(Placeholder::UUID),
        "date-time" => Some(Placeholder::DATETIME),
        _ => None,
    }
}

/// An insta selector for a path: `.a.b[]`, with `["..."]` for keys that are
/// not identifiers (insta's grammar: an identifier starts with a letter).
fn selector(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) if is_identifier(key) => {
                out.push('.');
                out.push_str(key);
            }
            Step::Key(key) => {
                out.push_str(&format!("[\"{key}\"]"));
            }
            Step::Item => out.push_str("[]"),
        }
    }
    out
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The schema's placeholder for the value at `path`, if it declares one.
pub(crate) fn declared<'a>(redactions: &'a [Redaction], path: &[Step]) -> Option<&'a str> {
    redactions
        .iter()
        .find(|r| r.path == path)
        .map(|r| r.placeholder.as_str())
}

/// `value` with its volatile values replaced and its keys sorted. `null`
/// stays `null`, so a field that became null still shows.
pub(crate) fn redact(value: &Value, redactions: &[Redaction], secrets: &[String]) -> Value {
    fn go(
        value: &Value,
        path: &mut Vec<Step>,
        redactions: &[Redaction],
        secrets: &[String],
    ) -> Value {
        match value {
            Value::Null => Value::Null,
            Value::Array(items) => {
                path.push(Step::Item);
                let items = items
                    .iter()
                    .map(|v| go(v, path, redactions, secrets))
                    .collect();
                path.pop();
                Value::Array(items)
            }
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for key in keys {
                    path.push(Step::Key(key.clone()));
                    out.insert(key.clone(), go(&map[key], path, redactions, secrets));
                    path.pop();
                }
                Value::Object(out)
            }
            scalar => {
                if let Some(placeholder) = declared(redactions, path) {
                    return Value::String(placeholder.to_owned());
                }
                match scalar {
                    Value::String(text) => Value::String(redact_text(text, secrets)),
                    other => other.clone(),
                }
            }
        }
    }
    go(value, &mut Vec::new(), redactions, secrets)
}

/// A string value with credentials, uuids and timestamps replaced.
fn redact_text(text: &str, secrets: &[String]) -> String {
    if contains_secret(text, secrets) {
        scrub(text, secrets)
    } else if is_uuid(text) {
        Placeholder::UUID.to_owned()
    } else if is_datetime(text) {
        Placeholder::DATETIME.to_owned()
    } else {
        text.to_owned()
    }
}

/// The kind of a string for a shape: the finest placeholder that fits.
pub(crate) fn kind_of_text(text: &str, secrets: &[String]) -> &'static str {
    if contains_secret(text, secrets) {
        Placeholder::TOKEN
    } else if is_uuid(text) {
        Placeholder::UUID
    } else if is_datetime(text) {
        Placeholder::DATETIME
    } else if is_email(text) {
        Placeholder::EMAIL
    } else if text.starts_with("https://") || text.starts_with("http://") {
        Placeholder::URL
    } else {
        Placeholder::STRING
    }
}

fn contains_secret(text: &str, secrets: &[String]) -> bool {
    secrets.iter().any(|s| text.contains(s.as_str()))
}

/// Every occurrence of a secret replaced by `[token]`.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        out = out.replace(secret.as_str(), Placeholder::TOKEN);
    }
    out
}

fn is_datetime(text: &str) -> bool {
    text.len() >= 20 && OffsetDateTime::parse(text, &Rfc3339).is_ok()
}

fn is_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !text.contains(char::is_whitespace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use session_schemas::Registry;

    fn redactions(contract: &str, status: u16) -> Vec<Redaction> {
        schema_redactions(Registry::builtin().get(contract).unwrap(), status)
    }

    #[test]
    fn the_schema_names_the_volatile_fields() {
        let selectors = |contract, status| {
            redactions(contract, status)
                .into_iter()
                .map(|r| format!("{} {}", r.selector, r.placeholder))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            selectors("session-api", 200),
            [
                ".session_id [uuid]",
                ".user_id [uuid]",
                ".expires_at [datetime]",
                ".created_at [datetime]",
                ".last_activity_at [datetime]",
            ]
        );
        let authjs = selectors("authjs", 200);
        for expected in [
            ".session_id [uuid]",
            ".expires [datetime]",
            ".user.id [uuid]",
            ".user.proToken [token]",
            ".user.trial_end [datetime]",
        ] {
            assert!(
                authjs.contains(&expected.to_owned()),
                "{expected} in {authjs:?}"
            );
        }
        assert!(!authjs.iter().any(|s| s.starts_with(".user.email")));
        assert!(selectors("session-api", 401).is_empty());
    }

    #[test]
    fn redaction_keeps_what_is_stable_and_nulls() {
        let body = json!({
            "user": {"id": "not-a-uuid-but-declared", "email": "ada@example.com",
                     "trial_end": null, "proToken": "pro_1234"},
            "zeta": "2024-12-19T15:30:00.000Z",
            "alpha": "123e4567-e89b-12d3-a456-426614174000",
            "echo": "Bearer s3cr3t-value",
        });
        let out = redact(
            &body,
            &redactions("authjs", 200),
            &["s3cr3t-value".to_owned()],
        );
        assert_eq!(
            out,
            json!({
                "alpha": "[uuid]",
                "echo": "Bearer [token]",
                "user": {"email": "ada@example.com", "id": "[uuid]", "proToken": "[token]", "trial_end": null},
                "zeta": "[datetime]",
            })
        );
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["alpha", "echo", "user", "zeta"]);
    }

    #[test]
    fn kinds_of_text() {
        let secrets = ["tok".to_owned()];
        assert_eq!(kind_of_text("a tok b", &secrets), Placeholder::TOKEN);
        assert_eq!(
            kind_of_text("ada@example.com", &secrets),
            Placeholder::EMAIL
        );
        assert_eq!(kind_of_text("ada@example", &secrets), Placeholder::STRING);
        assert_eq!(
            kind_of_text("not @ email.com", &secrets),
            Placeholder::STRING
        );
        assert_eq!(
            kind_of_text("https://x.example/a.png", &secrets),
            Placeholder::URL
        );
        assert_eq!(kind_of_text("2024-12-19", &secrets), Placeholder::STRING);
        assert_eq!(
            kind_of_text("2024-12-19T15:30:00+01:00", &secrets),
            Placeholder::DATETIME
        );
        assert_eq!(
            kind_of_text("123e4567-e89b-12d3-a456-42661417400g", &secrets),
            Placeholder::STRING
        );
    }

    #[test]
    fn selectors_quote_keys_that_are_not_identifiers() {
        assert_eq!(
            selector(&[Step::Key("a-b".into()), Step::Item, Step::Key("c".into())]),
            r#"["a-b"][].c"#
        );
    }
}
