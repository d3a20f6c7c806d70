//! Strict mode: the same schema, with unknown properties rejected.
//!
//! Every object schema that declares `properties` and says nothing about
//! extra ones gets `additionalProperties: false`. A schema that explicitly
//! allows extras (the error object's `details`) keeps doing so. The contracts
//! do not split one object's properties across `allOf`, which is what would
//! make `additionalProperties` the wrong tool here.

use serde_json::Value;

pub(crate) fn strict_variant(schema: &Value) -> Value {
    let mut copy = schema.clone();
    tighten(&mut copy);
    copy
}

fn tighten(node: &mut Value) {
    let Value::Object(map) = node else { return };
    let declares_properties = map.get("properties").is_some_and(Value::is_object);
    let says_nothing_of_extras =
        !map.contains_key("additionalProperties") && !map.contains_key("unevaluatedProperties");
    if declares_properties && says_nothing_of_extras {
        map.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    // Only walk keywords whose values are subschemas; `examples`, `enum` and
    // the manifest are data, and property names are not keywords.
    for (keyword, child) in map.iter_mut() {
        match keyword.as_str() {
            "properties" | "$defs" | "patternProperties" | "dependentSchemas" => {
                if let Value::Object(schemas) = child {
                    schemas.values_mut().for_each(tighten);
                }
            }
            "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                if let Value::Array(schemas) = child {
                    schemas.iter_mut().for_each(tighten);
                }
            }
            "items"
            | "contains"
            | "not"
            | "if"
            | "then"
            | "else"
            | "propertyNames"
            | "additionalProperties"
            | "unevaluatedItems"
            | "unevaluatedProperties" => tighten(child),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn closes_declared_objects_but_not_explicitly_open_ones() {
        let schema = json!({
            "$defs": {
                "A": {"type": "object", "properties": {
                    "x": {"type": "string"},
                    "d": {"type": "object", "properties": {}, "additionalProperties": true},
                    "examples": {"type": "object", "properties": {"y": {}}}
                }, "examples": [{"properties": {}}]},
                "B": {"type": "object", "maxProperties": 0}
            }
        });
        let strict = strict_variant(&schema);
        assert_eq!(strict["$defs"]["A"]["additionalProperties"], json!(false));
        assert_eq!(
            strict["$defs"]["A"]["properties"]["d"]["additionalProperties"],
            json!(true)
        );
        assert!(strict["$defs"]["B"].get("additionalProperties").is_none());
        assert_eq!(
            strict["$defs"]["A"]["properties"]["examples"]["additionalProperties"],
            json!(false),
            "a property named like a keyword is still a schema"
        );
        assert!(
            strict["$defs"]["A"]["examples"][0]
                .get("additionalProperties")
                .is_none(),
            "examples are data"
        );
    }
}
