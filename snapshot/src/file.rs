//! insta's `.snap` file format: a YAML header between `---` lines, then the
//! snapshot's text. Files written here are read by `cargo insta` and by
//! `insta::assert_json_snapshot!` (given the same name and directory).

use serde_json::Value;

/// The text of a `.snap` file holding `value` as insta writes JSON snapshots.
pub fn to_snap(source: &str, expression: &str, value: &Value) -> String {
    let body = serde_json::to_string_pretty(value).unwrap_or_default();
    format!(
        "---\nsource: {}\nexpression: {}\n---\n{body}\n",
        yaml_scalar(source),
        yaml_scalar(expression)
    )
}

/// The JSON a `.snap` file holds.
pub fn from_snap(text: &str) -> Result<Value, String> {
    let text = text.replace("\r\n", "\n");
    let rest = text
        .strip_prefix("---\n")
        .ok_or("does not start with insta's `---` header")?;
    let (_, content) = rest
        .split_once("\n---\n")
        .ok_or("has no end to insta's `---` header")?;
    serde_json::from_str(content).map_err(|e| format!("holds no JSON snapshot: {e}"))
}

/// A YAML plain scalar when safe, else a double-quoted one (JSON's quoting is valid YAML).
fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_./()".contains(c))
        && !text.starts_with([' ', '-'])
        && !text.ends_with(' ');
    if plain {
        text.to_owned()
    } else {
        Value::String(text.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_rejects_what_is_not_a_snapshot() {
        let value = json!({"status": 200, "body": {"a?": "[uuid] | null"}});
        let text = to_snap(
            "session-conformance snapshot",
            "GET /auth/session: valid: credential",
            &value,
        );
        assert!(text.starts_with("---\nsource: session-conformance snapshot\nexpression: \"GET /auth/session: valid: credential\"\n---\n{\n"));
        assert_eq!(from_snap(&text).unwrap(), value);
        assert_eq!(from_snap(&text.replace('\n', "\r\n")).unwrap(), value);
        assert!(from_snap("{}").unwrap_err().contains("header"));
        assert!(
            from_snap("---\nsource: x\n")
                .unwrap_err()
                .contains("no end")
        );
        assert!(
            from_snap("---\nsource: x\n---\nnot json\n")
                .unwrap_err()
                .contains("no JSON")
        );
    }
}
