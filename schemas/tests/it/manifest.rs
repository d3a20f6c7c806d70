//! The manifest is written in three places that must say the same thing:
//! the serde types of `session_schemas::manifest` (the format), the JSON
//! Schema `manifest.schema.json` (applied first, so that a mistake is
//! reported with its JSON path), and the tables of docs/contract-format.md.
//! Every property set, required list and enum list of the schema is compared
//! here with what the types accept and write, including manifests both must
//! refuse; what only the schema checks (patterns and ranges) is listed as a
//! known gap at the end.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use session_schemas::MANIFEST_SCHEMA;
use session_schemas::manifest::{
    Auth, ConditionManifest, Expiry, Manifest, Method, Outcome, Protocol, RuleManifest,
    SessionFields,
};

fn schema() -> Value {
    serde_json::from_str(MANIFEST_SCHEMA).expect("the manifest schema is JSON")
}

/// A manifest with every key the format has, each object's keys in the
/// order the types write them.
fn full() -> Value {
    json!({
        "name": "full",
        "source": "docs/sources/full.txt",
        "method": "GET",
        "path": "/auth/session",
        "auth": {"carrier": "cookie", "cookies": ["session"]},
        "responses": {"200": {"schema": "#/$defs/Session", "description": "the session"}},
        "scenarios": {
            "valid": {
                "status": 200,
                "fixture": "valid.json",
                "aliases": ["ok"],
                "schema": "#/$defs/Session",
                "recorded_at": "2024-12-19T15:00:00Z"
            }
        },
        "examples": {"extra": {"status": 200, "fixture": "extra.json"}},
        "outcomes": {
            "authenticated": "valid",
            "unauthenticated": "valid",
            "revoked": "valid",
            "expired": "extra"
        },
        "headers": {"200": {"Cache-Control": "no-store"}, "*": {"Vary": "Cookie"}},
        "invariants": [
            {"name": "a", "status": 200, "description": "d", "rule": "not-after", "earlier": "/a", "later": "/b"},
            {"name": "b", "status": 200, "description": "d", "rule": "after", "earlier": "/a", "later": "/b"},
            {"name": "c", "status": 200, "description": "d", "rule": "not-in-future", "field": "/a"},
            {"name": "e", "status": 200, "description": "d", "rule": "in-future", "field": "/a",
             "when": {"field": "/state", "equals": "active"}}
        ],
        "session": {
            "identity": ["/id"],
            "monotonic": ["/seen"],
            "fields": {
                "session_id": "/a", "user_id": "/b", "login": "/c", "user": "/d", "name": "/e",
                "email": "/f", "created": "/g", "last_activity": "/h", "expires": "/i", "state": "/j"
            },
            "expiry": "sliding"
        },
        "protocol": "authjs"
    })
}

/// Whether the schema and the types each accept `manifest`.
fn verdicts(manifest: &Value) -> (bool, bool) {
    let validator = jsonschema::draft202012::new(&schema()).expect("compiles");
    (
        validator.is_valid(manifest),
        serde_json::from_value::<Manifest>(manifest.clone()).is_ok(),
    )
}

fn edited(edit: impl FnOnce(&mut Value)) -> Value {
    let mut manifest = full();
    edit(&mut manifest);
    manifest
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_full_manifest_is_accepted_by_both_and_written_back_as_it_was() {
    assert_eq!(verdicts(&full()), (true, true));
    let manifest: Manifest = serde_json::from_value(full()).expect("reads");
    assert_eq!(serde_json::to_value(&manifest).expect("writes"), full());
}

/// Each object of the format, with the schema nodes that describe it (their
/// `properties` and `required` united).
const OBJECTS: &[(&str, &[&str])] = &[
    ("", &[""]),
    ("/auth", &["/properties/auth/oneOf/1"]),
    (
        "/responses/200",
        &["/properties/responses/additionalProperties"],
    ),
    (
        "/scenarios/valid",
        &["/properties/scenarios/additionalProperties"],
    ),
    (
        "/examples/extra",
        &["/properties/examples/additionalProperties"],
    ),
    ("/outcomes", &["/properties/outcomes"]),
    ("/session", &["/properties/session"]),
    (
        "/session/fields",
        &["/properties/session/properties/fields"],
    ),
    (
        "/invariants/0",
        &[
            "/properties/invariants/items",
            "/properties/invariants/items/oneOf/0",
        ],
    ),
    (
        "/invariants/3",
        &[
            "/properties/invariants/items",
            "/properties/invariants/items/oneOf/1",
        ],
    ),
    (
        "/invariants/3/when",
        &["/properties/invariants/items/oneOf/1/properties/when"],
    ),
];

#[test]
fn every_object_has_the_same_properties_and_required_keys_in_both() {
    let schema = schema();
    let mut disagreements = Vec::new();
    for (at, nodes) in OBJECTS {
        let node = |n: &str| schema.pointer(n).unwrap_or_else(|| panic!("{n}"));
        let properties: BTreeSet<String> = nodes
            .iter()
            .flat_map(|n| keys(&node(n)["properties"]))
            .collect();
        let required: BTreeSet<String> = nodes
            .iter()
            .flat_map(|n| strings(&node(n)["required"]))
            .collect();
        let present = keys(full().pointer(at).expect("in the full manifest"));
        // The full manifest has every property the schema names, and the
        // types wrote every one back (the test above).
        assert_eq!(present, properties, "properties of x-contract{at}");
        // An unknown key: both refuse it.
        let unknown = edited(|m| {
            m.pointer_mut(at).expect("object")["colour"] = "blue".into();
        });
        if verdicts(&unknown) != (false, false) {
            disagreements.push(format!("x-contract{at}/colour: {:?}", verdicts(&unknown)));
        }
        // Each key left out: both refuse it exactly when the schema requires it.
        for key in &present {
            let without = edited(|m| {
                m.pointer_mut(at)
                    .expect("object")
                    .as_object_mut()
                    .expect("object")
                    .remove(key);
            });
            let expected = !required.contains(key);
            if verdicts(&without) != (expected, expected) {
                disagreements.push(format!(
                    "x-contract{at} without {key}: (schema, types) accept {:?}, required: {}",
                    verdicts(&without),
                    !expected
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

/// What the types write for each value of a closed set.
fn written<T: serde::Serialize>(values: impl IntoIterator<Item = T>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| match serde_json::to_value(v).expect("writes") {
            Value::String(s) => s,
            other => panic!("{other} is not a string"),
        })
        .collect()
}

#[test]
fn every_closed_set_lists_the_same_names_in_both() {
    let schema = schema();
    let listed = |pointer: &str| {
        strings(
            schema
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{pointer}")),
        )
    };
    assert_eq!(listed("/properties/method/enum"), written(Method::ALL));
    assert_eq!(
        Method::ALL.map(Method::as_str).to_vec(),
        written(Method::ALL),
        "Method::as_str is what the manifest says"
    );
    assert_eq!(
        listed("/properties/session/properties/expiry/enum"),
        written(Expiry::ALL)
    );
    assert_eq!(listed("/properties/protocol/enum"), written(Protocol::ALL));

    let rules = [
        RuleManifest::NotAfter {
            earlier: "/a".into(),
            later: "/b".into(),
        },
        RuleManifest::After {
            earlier: "/a".into(),
            later: "/b".into(),
        },
        RuleManifest::NotInFuture { field: "/a".into() },
        RuleManifest::InFuture {
            field: "/a".into(),
            when: Some(ConditionManifest {
                field: "/s".into(),
                equals: json!(1),
            }),
        },
    ];
    // A new rule must be added to `rules` above: this match stops compiling.
    for rule in &rules {
        match rule {
            RuleManifest::NotAfter { .. }
            | RuleManifest::After { .. }
            | RuleManifest::NotInFuture { .. }
            | RuleManifest::InFuture { .. } => {}
        }
    }
    let tags: Vec<String> = rules
        .iter()
        .map(|r| {
            serde_json::to_value(r).expect("writes")["rule"]
                .as_str()
                .expect("tag")
                .to_owned()
        })
        .collect();
    assert_eq!(
        listed("/properties/invariants/items/properties/rule/enum"),
        tags
    );
    let by_branch: Vec<String> = [0, 1]
        .iter()
        .flat_map(|b| {
            listed(&format!(
                "/properties/invariants/items/oneOf/{b}/properties/rule/enum"
            ))
        })
        .collect();
    assert_eq!(
        by_branch, tags,
        "the branches share the rules out in the same order"
    );

    let auth = [
        Auth::Bearer,
        Auth::Cookie {
            names: vec!["s".into()],
        },
    ];
    let carriers: Vec<String> = auth
        .iter()
        .map(|a| {
            serde_json::to_value(a).expect("writes")["carrier"]
                .as_str()
                .expect("tag")
                .to_owned()
        })
        .collect();
    let consts: Vec<String> = [0, 1]
        .iter()
        .map(|b| {
            schema["properties"]["auth"]["oneOf"][b]["properties"]["carrier"]["const"]
                .as_str()
                .expect("const")
                .to_owned()
        })
        .collect();
    assert_eq!(consts, carriers);

    let mut outcomes: Vec<String> = Outcome::ALL.map(|o| o.key().to_owned()).to_vec();
    outcomes.push("expired".to_owned());
    assert_eq!(
        keys(&schema["properties"]["outcomes"]["properties"]),
        outcomes.into_iter().collect(),
        "Outcome::key names the manifest's outcomes"
    );
    let fields: SessionFields =
        serde_json::from_value(full()["session"]["fields"].clone()).expect("reads");
    let roles: BTreeSet<String> = fields
        .named()
        .into_iter()
        .map(|(role, _)| role.to_owned())
        .collect();
    assert_eq!(
        keys(&schema["properties"]["session"]["properties"]["fields"]["properties"]),
        roles,
        "SessionFields::named names the manifest's roles"
    );
}

#[test]
fn values_outside_a_closed_set_or_in_the_wrong_place_are_refused_by_both() {
    type Edit = fn(&mut Value);
    let cases: &[(&str, Edit)] = &[
        ("method FETCH", |m| m["method"] = "FETCH".into()),
        ("method in lower case", |m| m["method"] = "get".into()),
        ("expiry eventually", |m| {
            m["session"]["expiry"] = "eventually".into()
        }),
        ("protocol saml", |m| m["protocol"] = "saml".into()),
        ("carrier basic", |m| m["auth"] = json!({"carrier": "basic"})),
        ("bearer with cookies", |m| {
            m["auth"] = json!({"carrier": "bearer", "cookies": ["s"]})
        }),
        ("cookie without cookies", |m| {
            m["auth"] = json!({"carrier": "cookie"})
        }),
        ("rule before", |m| {
            m["invariants"][0]["rule"] = "before".into()
        }),
        (
            "an ordering rule with a field",
            |m| {
                m["invariants"][0] =
                    json!({"name": "a", "status": 200, "rule": "after", "field": "/a"})
            },
        ),
        ("a rule about the present with earlier and later", |m| {
            m["invariants"][2] = json!({"name": "c", "status": 200, "rule": "not-in-future", "earlier": "/a", "later": "/b"})
        }),
        ("a condition on an ordering rule", |m| {
            m["invariants"][0]["when"] = json!({"field": "/s", "equals": 1})
        }),
        ("a header scope 2xx", |m| {
            m["headers"]["2xx"] = json!({"A": "b"})
        }),
        ("a header scope 600", |m| {
            m["headers"]["600"] = json!({"A": "b"})
        }),
        ("a header value that is a number", |m| {
            m["headers"]["200"]["A"] = 1.into()
        }),
        ("a response status 2xx", |m| {
            m["responses"]["2xx"] = json!({"schema": "#/$defs/Session"})
        }),
        ("a response status 099", |m| {
            m["responses"]["099"] = json!({"schema": "#/$defs/Session"})
        }),
        ("an invariant with an unknown key", |m| {
            m["invariants"][0]["colour"] = "blue".into()
        }),
        ("a status that is a string", |m| {
            m["scenarios"]["valid"]["status"] = "200".into()
        }),
        ("aliases that are not a list", |m| {
            m["scenarios"]["valid"]["aliases"] = "ok".into()
        }),
        ("no condition value", |m| {
            m["invariants"][3]["when"]
                .as_object_mut()
                .expect("when")
                .remove("equals");
        }),
    ];
    let refused_by_one: Vec<String> = cases
        .iter()
        .filter_map(|(what, edit)| {
            let verdicts = verdicts(&edited(edit));
            (verdicts != (false, false))
                .then(|| format!("{what}: (schema, types) accept {verdicts:?}"))
        })
        .collect();
    assert!(refused_by_one.is_empty(), "{refused_by_one:#?}");
}

/// Known gaps: what only the schema refuses, because a type cannot say it
/// (patterns, ranges and sizes). The shape check runs before the types read
/// a manifest, so these are refused all the same, with their JSON path.
#[test]
fn what_only_the_schema_refuses_is_listed() {
    type Edit = fn(&mut Value);
    let schema_only: &[(&str, Edit)] = &[
        ("a name with capitals", |m| m["name"] = "Full".into()),
        ("a path without a slash", |m| m["path"] = "auth".into()),
        ("a status 600", |m| {
            m["scenarios"]["valid"]["status"] = 600.into()
        }),
        ("a schema that is not a #/ pointer", |m| {
            m["responses"]["200"]["schema"] = "Session".into()
        }),
        ("a session pointer without a slash", |m| {
            m["session"]["identity"][0] = "id".into()
        }),
        ("no cookie names", |m| m["auth"]["cookies"] = json!([])),
        ("no responses", |m| m["responses"] = json!({})),
        ("no scenarios", |m| m["scenarios"] = json!({})),
        ("an empty fixture", |m| {
            m["scenarios"]["valid"]["fixture"] = "".into()
        }),
    ];
    let not_a_gap: Vec<String> = schema_only
        .iter()
        .filter_map(|(what, edit)| {
            let verdicts = verdicts(&edited(edit));
            (verdicts != (false, true))
                .then(|| format!("{what}: (schema, types) accept {verdicts:?}"))
        })
        .collect();
    assert!(
        not_a_gap.is_empty(),
        "update the list of gaps: {not_a_gap:#?}"
    );
}

/// The keys of the table under `heading` in docs/contract-format.md, each
/// with its second column.
fn documented(heading: &str) -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/contract-format.md");
    let text = std::fs::read_to_string(path).expect("docs/contract-format.md");
    text.lines()
        .skip_while(|line| *line != heading)
        .skip(1)
        .take_while(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut cells = line.strip_prefix("| `")?.split(" | ");
            let key = cells.next()?.strip_suffix('`')?.to_owned();
            Some((key, cells.next().unwrap_or_default().to_owned()))
        })
        .collect()
}

#[test]
fn the_format_page_documents_the_same_keys() {
    let schema = schema();
    let table = |heading: &str, node: &Value| {
        let rows = documented(heading);
        let documented: BTreeSet<String> = rows.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(documented, keys(&node["properties"]), "{heading}");
        rows
    };
    for (heading, node) in [
        ("## `x-contract`", &schema),
        (
            "### scenarios",
            &schema["properties"]["scenarios"]["additionalProperties"],
        ),
    ] {
        let rows = table(heading, node);
        let required: BTreeSet<String> = rows
            .iter()
            .filter(|(_, column)| column == "yes")
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(
            required,
            strings(&node["required"]).into_iter().collect(),
            "{heading}: required"
        );
    }
    table("### outcomes", &schema["properties"]["outcomes"]);
    table("### session", &schema["properties"]["session"]);
    let rules: Vec<String> = documented("### invariants")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        rules,
        strings(&schema["properties"]["invariants"]["items"]["properties"]["rule"]["enum"])
    );
}
