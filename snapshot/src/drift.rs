//! What changed between two recorded shapes (or normalized responses), by field.

use std::fmt;

use serde_json::{Map, Value};

/// One difference between a recorded snapshot and the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Where, e.g. `body.user.image`.
    pub path: String,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// The field was recorded and is gone.
    Disappeared { was: String },
    /// A field that was not recorded.
    Appeared { now: String },
    /// The field is there, with another kind or value.
    Changed { was: String, now: String },
    /// The field used to be always present and now sometimes is not.
    NowOptional,
    /// The field used to be sometimes absent and now always is there.
    NowRequired,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.kind {
            ChangeKind::Disappeared { was } => write!(f, "{path}: disappeared (was {was})"),
            ChangeKind::Appeared { now } => write!(f, "{path}: new field ({now})"),
            ChangeKind::Changed { was, now } => write!(f, "{path}: changed from {was} to {now}"),
            ChangeKind::NowOptional => write!(f, "{path}: now missing from some responses"),
            ChangeKind::NowRequired => write!(f, "{path}: now in every response"),
        }
    }
}

/// Every difference from `recorded` to `current`, in document order.
pub fn drift(recorded: &Value, current: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    compare(recorded, current, "", &mut changes);
    changes
}

fn compare(was: &Value, now: &Value, path: &str, out: &mut Vec<Change>) {
    match (was, now) {
        (Value::Object(a), Value::Object(b)) => {
            let b_keys = keys(b);
            for (key, (optional, value)) in keys(a).iter() {
                let here = join(path, key);
                match b_keys.iter().find(|(k, _)| k == key) {
                    None => out.push(Change {
                        path: here,
                        kind: ChangeKind::Disappeared { was: brief(value) },
                    }),
                    Some((_, (now_optional, now_value))) => {
                        if optional != now_optional {
                            out.push(Change {
                                path: here.clone(),
                                kind: if *now_optional {
                                    ChangeKind::NowOptional
                                } else {
                                    ChangeKind::NowRequired
                                },
                            });
                        }
                        compare(value, now_value, &here, out);
                    }
                }
            }
            let a_keys = keys(a);
            for (key, (_, value)) in &b_keys {
                if !a_keys.iter().any(|(k, _)| k == key) {
                    out.push(Change {
                        path: join(path, key),
                        kind: ChangeKind::Appeared { now: brief(value) },
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if !a.is_empty() && !b.is_empty() => {
            let here = format!("{path}[]");
            compare(&a[0], &b[0], &here, out);
        }
        _ if was != now => out.push(Change {
            path: if path.is_empty() {
                "(root)".to_owned()
            } else {
                path.to_owned()
            },
            kind: ChangeKind::Changed {
                was: brief(was),
                now: brief(now),
            },
        }),
        _ => {}
    }
}

/// Keys with the `?` of optional fields split off.
fn keys(map: &Map<String, Value>) -> Vec<(String, (bool, &Value))> {
    map.iter()
        .map(|(k, v)| match k.strip_suffix('?') {
            Some(bare) => (bare.to_owned(), (true, v)),
            None => (k.clone(), (false, v)),
        })
        .collect()
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A value in a sentence: placeholders bare, containers named.
fn brief(value: &Value) -> String {
    match value {
        Value::String(s) if s.starts_with('[') => s.clone(),
        Value::Object(map) if map.is_empty() => "{}".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        Value::Array(items) if items.is_empty() => "an empty array".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_each_changed_field() {
        let was = json!({"status": 200, "body": {"user": {"id": "[uuid]", "image": "[url]", "plan?": "[string]"},
                                                  "tags": ["[string]"]}});
        let now = json!({"status": 200, "body": {"user": {"id": "[number]", "plan": "[string]", "extra?": null},
                                                  "tags": ["[number]"]}});
        let changes: Vec<String> = drift(&was, &now).iter().map(ToString::to_string).collect();
        assert_eq!(
            changes,
            [
                "body.user.id: changed from [uuid] to [number]",
                "body.user.image: disappeared (was [url])",
                "body.user.plan: now in every response",
                "body.user.extra: new field (null)",
                "body.tags[]: changed from [string] to [number]",
            ]
        );
    }

    #[test]
    fn equal_shapes_have_no_drift() {
        let shape = json!({"status": 200, "body": {"a?": "[string]", "b": [{"c": null}]}});
        assert!(drift(&shape, &shape.clone()).is_empty());
        assert_eq!(
            drift(&json!({"status": 200}), &json!({"status": 401}))[0].to_string(),
            "status: changed from 200 to 401"
        );
        assert_eq!(drift(&json!({}), &json!([])).len(), 1);
    }
}
