//! The shape of an endpoint's answers: every value reduced to its kind,
//! merged over any number of responses.
//!
//! Where a normalized response keeps values (`"plan": "pro"`), a shape keeps
//! only kinds (`"plan": "[string]"`), so it does not change when the data
//! does, only when the structure does. A field missing from some samples is
//! written `name?`; a field seen with several kinds lists them
//! (`"[datetime] | null"`). Keys are sorted, so the shape is the same
//! whatever order a server writes them in.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::normalize::{self, Placeholder, Redaction, Step};
use crate::{Kit, Response};

/// The merged shape of one or more responses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shape {
    samples: usize,
    statuses: BTreeSet<u16>,
    /// Header name -> (responses that had it, values seen).
    headers: BTreeMap<String, (usize, BTreeSet<String>)>,
    body: Node,
}

/// The kinds seen at one place of a body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Node {
    kinds: BTreeSet<&'static str>,
    object: Option<Fields>,
    /// `Some(None)`: only empty arrays were seen.
    array: Option<Option<Box<Node>>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fields {
    /// Objects seen here.
    seen: usize,
    /// Key -> (objects that had it, its node).
    fields: BTreeMap<String, (usize, Node)>,
}

const NULL: &str = "null";
const NOT_JSON: &str = "[not JSON]";
const EMPTY: &str = "[empty]";

impl Shape {
    /// Merges one more response into the shape.
    pub fn add(&mut self, kit: &Kit, response: &Response) {
        self.samples += 1;
        self.statuses.insert(response.status);
        for name in kit.header_names() {
            if let Some(value) = response.header(name) {
                let entry = self.headers.entry(name.clone()).or_default();
                entry.0 += 1;
                entry.1.insert(kit.scrub(value));
            }
        }
        if response.body.iter().all(u8::is_ascii_whitespace) {
            self.body.kinds.insert(EMPTY);
            return;
        }
        match response.json() {
            Ok(body) => {
                let redactions = kit.redactions_for(response.status);
                self.body
                    .add(&body, &mut Vec::new(), redactions, kit.secrets());
            }
            Err(_) => {
                self.body.kinds.insert(NOT_JSON);
            }
        }
    }

    /// Responses merged so far.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// `{status, headers, body}` as JSON, for a snapshot.
    pub fn to_value(&self) -> Value {
        let status = match self.statuses.len() {
            1 => Value::from(self.statuses.first().copied().unwrap_or_default()),
            _ => self.statuses.iter().copied().map(Value::from).collect(),
        };
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(name, (count, values))| {
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                (
                    optional_key(name, *count < self.samples),
                    Value::String(values.join(" | ")),
                )
            })
            .collect();
        json!({
            "status": status,
            "headers": headers,
            "body": self.body.render(),
        })
    }
}

impl Node {
    fn add(
        &mut self,
        value: &Value,
        path: &mut Vec<Step>,
        redactions: &[Redaction],
        secrets: &[String],
    ) {
        match value {
            Value::Null => {
                self.kinds.insert(NULL);
            }
            Value::Bool(_) => {
                self.kinds.insert(Placeholder::BOOL);
            }
            Value::Number(_) => {
                self.kinds.insert(Placeholder::NUMBER);
            }
            Value::String(text) => {
                let kind = match normalize::declared(redactions, path) {
                    Some(declared) => static_placeholder(declared),
                    None => normalize::kind_of_text(text, secrets),
                };
                self.kinds.insert(kind);
            }
            Value::Array(items) => {
                let slot = self.array.get_or_insert(None);
                path.push(Step::Item);
                for item in items {
                    slot.get_or_insert_with(Box::default)
                        .add(item, path, redactions, secrets);
                }
                path.pop();
            }
            Value::Object(map) => {
                let fields = self.object.get_or_insert_with(Fields::default);
                fields.seen += 1;
                for (key, value) in map {
                    let entry = fields.fields.entry(key.clone()).or_default();
                    entry.0 += 1;
                    path.push(Step::Key(key.clone()));
                    entry.1.add(value, path, redactions, secrets);
                    path.pop();
                }
            }
        }
    }

    fn render(&self) -> Value {
        let mut alternatives = Vec::new();
        if let Some(fields) = &self.object {
            alternatives.push(Value::Object(
                fields
                    .fields
                    .iter()
                    .map(|(key, (count, node))| {
                        (optional_key(key, *count < fields.seen), node.render())
                    })
                    .collect(),
            ));
        }
        if let Some(items) = &self.array {
            alternatives.push(Value::Array(
                items.iter().map(|node| node.render()).collect(),
            ));
        }
        // Scalar kinds in a fixed order, null last.
        let scalars: Vec<&str> = self
            .kinds
            .iter()
            .copied()
            .filter(|k| *k != NULL)
            .chain(self.kinds.contains(NULL).then_some(NULL))
            .collect();
        if alternatives.is_empty() {
            return match scalars.as_slice() {
                [] => Value::Null,
                [only] if *only == NULL => Value::Null,
                _ => Value::String(scalars.join(" | ")),
            };
        }
        if scalars.is_empty() && alternatives.len() == 1 {
            return alternatives.remove(0);
        }
        alternatives.extend(scalars.iter().map(|k| {
            if *k == NULL {
                Value::Null
            } else {
                Value::String((*k).to_owned())
            }
        }));
        json!({ "[one of]": alternatives })
    }
}

fn optional_key(key: &str, optional: bool) -> String {
    if optional {
        format!("{key}?")
    } else {
        key.to_owned()
    }
}

/// A schema's placeholder as one of the kit's own, or `[string]` for a
/// custom one (a shape records kinds, and a custom placeholder names none).
fn static_placeholder(declared: &str) -> &'static str {
    [
        Placeholder::UUID,
        Placeholder::DATETIME,
        Placeholder::TOKEN,
        Placeholder::EMAIL,
        Placeholder::URL,
    ]
    .into_iter()
    .find(|p| *p == declared)
    .unwrap_or(Placeholder::STRING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(status: u16, body: Value) -> Response {
        Response::with_body(status, body.to_string())
            .with_header("Content-Type", "application/json")
            .with_header("Cache-Control", "no-store")
            .with_header("Set-Cookie", "not=kept")
    }

    #[test]
    fn one_response_reduces_to_kinds() {
        let kit = Kit::new("authjs").secret("sekrit-cookie-value");
        let shape = kit.shape(&response(
            200,
            json!({"user": {"id": "x", "email": "a@b.example", "addons": ["ai"], "trial_end": null,
                            "note": "has sekrit-cookie-value", "n": 3, "ok": true, "tags": []},
                   "expires": "2024-12-19T15:30:00.000Z"}),
        ));
        assert_eq!(
            shape.to_value(),
            json!({
                "status": 200,
                "headers": {"cache-control": "no-store", "content-type": "application/json"},
                "body": {
                    "expires": "[datetime]",
                    "user": {"addons": ["[string]"], "email": "[email]", "id": "[uuid]", "n": "[number]",
                             "note": "[token]", "ok": "[bool]", "tags": [], "trial_end": null},
                },
            })
        );
    }

    #[test]
    fn merging_marks_optional_fields_and_unions() {
        let kit = Kit::new("session-api");
        let mut shape = Shape::default();
        shape.add(&kit, &response(200, json!({"a": 1, "b": null, "c": [1]})));
        shape.add(
            &kit,
            &response(200, json!({"a": 2, "b": "2024-12-19T15:30:00Z", "c": []})),
        );
        shape.add(&kit, &Response::with_body(500, "<html>"));
        assert_eq!(shape.samples(), 3);
        assert_eq!(
            shape.to_value(),
            json!({
                "status": [200, 500],
                "headers": {"cache-control?": "no-store", "content-type?": "application/json"},
                "body": {"[one of]": [{"a": "[number]", "b": "[datetime] | null", "c": ["[number]"]}, "[not JSON]"]},
            })
        );
    }

    #[test]
    fn order_of_keys_and_samples_does_not_matter() {
        let kit = Kit::new("session-api");
        let a = response(200, json!({"x": 1, "y": {"p": "q"}}));
        let b = Response::with_body(200, r#"{"y":{"p":"other"},"x":2.5}"#)
            .with_header("content-type", "application/json")
            .with_header("cache-control", "no-store");
        let mut one = Shape::default();
        one.add(&kit, &a);
        one.add(&kit, &b);
        let mut two = Shape::default();
        two.add(&kit, &b);
        two.add(&kit, &a);
        assert_eq!(one.to_value(), two.to_value());
        assert_eq!(kit.shape(&a).to_value(), kit.shape(&b).to_value());
    }
}
