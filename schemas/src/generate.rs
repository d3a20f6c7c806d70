//! Proptest strategies built by walking a contract's schema.
//!
//! Nothing here knows a contract's fields. For each schema node, in order:
//! `const`; `enum`; a string `format` (or the `x-generate` hint for strings
//! whose document gives no format) of uuid, date-time, email or uri;
//! `examples` (whole realistic values, e.g. the documents' error bodies);
//! `$ref`; `anyOf`/`oneOf` (one alternative); then by `type`, with optional
//! properties present or absent and nullable types sometimes null.
//!
//! Timestamps are placed around a given `now`: fields that a live invariant
//! says must be in the past or future are generated there, and the ordering
//! invariants are then repaired on the whole body, so every generated body
//! satisfies every invariant of its contract. Same seed and `now`, same values.

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::strategy::{SBoxedStrategy, Union};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use crate::error::ContractError;
use crate::invariants::{Invariant, Rule};
use crate::time_fmt;

const MAX_DEPTH: usize = 32;
const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeRole {
    Past,
    Future,
    Any,
}

/// Bodies for the schema at `pointer` of `document` (contract `contract`'s),
/// kept to the `invariants` that apply to `status`.
pub(crate) fn strategy(
    contract: &str,
    invariants: &[Invariant],
    document: &Value,
    pointer: &str,
    status: u16,
    now: OffsetDateTime,
) -> Result<SBoxedStrategy<Value>, ContractError> {
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let invariants: Vec<Invariant> = invariants
        .iter()
        .filter(|i| i.status == status)
        .cloned()
        .collect();
    let walker = Walker {
        contract,
        document,
        roles: time_roles(&invariants),
        now,
    };
    let root = walker.resolve(pointer, "")?;
    let body = walker.build(root, "", 0)?;
    Ok(body
        .prop_map(move |mut value| {
            repair_order(&mut value, &invariants);
            value
        })
        .sboxed())
}

/// Which side of `now` each timestamp field belongs on, from the invariants.
fn time_roles(invariants: &[Invariant]) -> HashMap<String, TimeRole> {
    let mut roles = HashMap::new();
    for invariant in invariants {
        match &invariant.rule {
            Rule::NotInFuture { field } => {
                roles.insert(field.clone(), TimeRole::Past);
            }
            Rule::InFuture { field, .. } => {
                roles.insert(field.clone(), TimeRole::Future);
            }
            _ => {}
        }
    }
    // Whatever must come before a past field is in the past too.
    loop {
        let mut changed = false;
        for invariant in invariants {
            if let Rule::NotAfter { earlier, later } | Rule::After { earlier, later } =
                &invariant.rule
                && roles.get(later) == Some(&TimeRole::Past)
                && !roles.contains_key(earlier)
            {
                roles.insert(earlier.clone(), TimeRole::Past);
                changed = true;
            }
        }
        if !changed {
            return roles;
        }
    }
}

/// Moves the earlier field of each broken ordering rule below the later one,
/// mirrored by the same distance, until every ordering rule holds. Each field
/// is read once and written back once, whatever the number of passes.
fn repair_order(body: &mut Value, invariants: &[Invariant]) {
    let rules: Vec<(&str, &str, bool)> = invariants
        .iter()
        .filter_map(|invariant| match &invariant.rule {
            Rule::NotAfter { earlier, later } => Some((earlier.as_str(), later.as_str(), false)),
            Rule::After { earlier, later } => Some((earlier.as_str(), later.as_str(), true)),
            _ => None,
        })
        .collect();
    if rules.is_empty() {
        return;
    }
    // (pointer, time, moved) for every field a rule names that holds a time.
    let mut times: Vec<(&str, OffsetDateTime, bool)> = Vec::with_capacity(rules.len() * 2);
    for &(earlier, later, _) in &rules {
        for field in [earlier, later] {
            if times.iter().all(|(p, ..)| *p != field)
                && let Some(at) = pointer(body, field)
                    .and_then(Value::as_str)
                    .and_then(time_fmt::parse)
            {
                times.push((field, at, false));
            }
        }
    }
    let find = |times: &[(&str, OffsetDateTime, bool)], field: &str| {
        times.iter().position(|(p, ..)| *p == field)
    };
    for _ in 0..=rules.len() {
        let mut changed = false;
        for &(earlier, later, strict) in &rules {
            let (Some(e), Some(l)) = (find(&times, earlier), find(&times, later)) else {
                continue;
            };
            let (e_at, l_at) = (times[e].1, times[l].1);
            if e_at > l_at || (strict && e_at == l_at) {
                times[e].1 = l_at - (e_at - l_at) - Duration::seconds(1);
                times[e].2 = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (field, at, moved) in times {
        if moved && let Some(slot) = pointer_mut(body, field) {
            *slot = Value::String(time_fmt::format(at));
        }
    }
}

struct Walker<'a> {
    contract: &'a str,
    document: &'a Value,
    roles: HashMap<String, TimeRole>,
    now: OffsetDateTime,
}

impl Walker<'_> {
    fn error(&self, at: &str, message: impl Into<String>) -> ContractError {
        ContractError::Generate {
            contract: self.contract.to_owned(),
            pointer: if at.is_empty() {
                "(root)".to_owned()
            } else {
                at.to_owned()
            },
            message: message.into(),
        }
    }

    fn resolve(&self, reference: &str, at: &str) -> Result<&Value, ContractError> {
        reference
            .strip_prefix('#')
            .and_then(|p| self.document.pointer(p))
            .ok_or_else(|| {
                self.error(
                    at,
                    format!("`$ref` {reference} is not a pointer into this document"),
                )
            })
    }

    fn build(
        &self,
        schema: &Value,
        at: &str,
        depth: usize,
    ) -> Result<SBoxedStrategy<Value>, ContractError> {
        if depth > MAX_DEPTH {
            return Err(self.error(at, "schema nested too deeply (a recursive $ref?)"));
        }
        let map = match schema {
            Value::Bool(true) => return Ok(Just(json!({})).sboxed()),
            Value::Bool(false) => return Err(self.error(at, "the schema `false` admits no value")),
            Value::Object(map) => map,
            _ => return Err(self.error(at, "not a schema")),
        };
        if let Some(value) = map.get("const") {
            return Ok(Just(value.clone()).sboxed());
        }
        if let Some(values) = map.get("enum") {
            return match values.as_array() {
                Some(values) if !values.is_empty() => {
                    Ok(proptest::sample::select(values.clone()).sboxed())
                }
                _ => Err(self.error(at, "`enum` must be a non-empty array")),
            };
        }
        let types = declared_types(map);
        let nullable = types.contains(&"null");
        let hint = map
            .get("x-generate")
            .or_else(|| map.get("format"))
            .and_then(Value::as_str);
        if let Some(hint) = hint
            && (types.is_empty() || types.contains(&"string"))
            && let Some(strings) = self.formatted(hint, at)
        {
            return Ok(maybe_null(strings, nullable));
        }
        if let Some(Value::Array(examples)) = map.get("examples")
            && !examples.is_empty()
        {
            return Ok(maybe_null(
                proptest::sample::select(examples.clone()).sboxed(),
                nullable,
            ));
        }
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            return self.build(self.resolve(reference, at)?, at, depth + 1);
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(Value::Array(alternatives)) = map.get(keyword) {
                let built = alternatives
                    .iter()
                    .map(|alt| self.build(alt, at, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                if built.is_empty() {
                    return Err(self.error(at, format!("`{keyword}` has no alternative")));
                }
                return Ok(Union::new(built).sboxed());
            }
        }
        if let Some(Value::Array(parts)) = map.get("allOf") {
            return match parts.as_slice() {
                [only] => self.build(only, at, depth + 1),
                _ => Err(self.error(
                    at,
                    "`allOf` with several parts is not supported by the generator",
                )),
            };
        }
        let mut by_type = Vec::new();
        for kind in if types.is_empty() {
            vec![infer_type(map)]
        } else {
            types
        } {
            by_type.push(self.typed(kind, map, at, depth)?);
        }
        Ok(Union::new(by_type).sboxed())
    }

    fn typed(
        &self,
        kind: &str,
        map: &Map<String, Value>,
        at: &str,
        depth: usize,
    ) -> Result<SBoxedStrategy<Value>, ContractError> {
        let number = |key: &str| map.get(key).and_then(Value::as_f64);
        let count = |key: &str| {
            map.get(key)
                .and_then(Value::as_u64)
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        };
        Ok(match kind {
            "null" => Just(Value::Null).sboxed(),
            "boolean" => any::<bool>().prop_map(Value::Bool).sboxed(),
            "integer" => {
                // Float bounds from the schema, clamped to what an i64 holds.
                #[allow(clippy::cast_possible_truncation)]
                let (low, high) = (
                    number("minimum").unwrap_or(0.0) as i64,
                    number("maximum").unwrap_or(1000.0) as i64,
                );
                if low > high {
                    return Err(self.error(at, "minimum is greater than maximum"));
                }
                (low..=high).prop_map(Value::from).sboxed()
            }
            "number" => {
                let (low, high) = (
                    number("minimum").unwrap_or(0.0),
                    number("maximum").unwrap_or(1000.0),
                );
                if low.partial_cmp(&high) != Some(std::cmp::Ordering::Less) && low != high {
                    return Err(self.error(at, "minimum is greater than maximum"));
                }
                (low..=high).prop_map(|n| json!(n)).sboxed()
            }
            "string" => {
                if map.contains_key("pattern") {
                    return Err(self.error(at, "`pattern` is not supported by the generator"));
                }
                let low = count("minLength").unwrap_or(1);
                let high = count("maxLength").unwrap_or(16).max(low);
                proptest::collection::vec(proptest::sample::select(WORD_CHARS), low..=high)
                    .prop_map(|chars| Value::String(chars.into_iter().collect()))
                    .sboxed()
            }
            "array" => {
                let items = match map.get("items") {
                    Some(items) => self.build(items, &format!("{at}/0"), depth + 1)?,
                    None => Just(json!(null)).sboxed(),
                };
                let low = count("minItems").unwrap_or(0);
                let high = count("maxItems").unwrap_or(4).max(low);
                proptest::collection::vec(items, low..=high)
                    .prop_map(Value::Array)
                    .sboxed()
            }
            "object" => self.object(map, at, depth)?,
            other => return Err(self.error(at, format!("unknown type `{other}`"))),
        })
    }

    fn object(
        &self,
        map: &Map<String, Value>,
        at: &str,
        depth: usize,
    ) -> Result<SBoxedStrategy<Value>, ContractError> {
        if map.get("maxProperties").and_then(Value::as_u64) == Some(0) {
            return Ok(Just(json!({})).sboxed());
        }
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let empty = Map::new();
        let properties = map
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        if let Some(missing) = required
            .iter()
            .find(|name| !properties.contains_key(**name))
        {
            return Err(self.error(
                at,
                format!("required property `{missing}` has no schema to generate from"),
            ));
        }
        let mut keys = Vec::new();
        let mut fields = Vec::new();
        for (name, schema) in properties {
            let child = format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"));
            let value = self.build(schema, &child, depth + 1)?;
            let field = if required.contains(&name.as_str()) {
                value.prop_map(Some).sboxed()
            } else {
                proptest::option::weighted(0.75, value).sboxed()
            };
            keys.push(name.clone());
            fields.push(field);
        }
        Ok(fields
            .prop_map(move |values| {
                let object: Map<String, Value> = keys
                    .iter()
                    .cloned()
                    .zip(values)
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect();
                Value::Object(object)
            })
            .sboxed())
    }

    /// Strings of a known format; `None` for a format we have no generator for.
    fn formatted(&self, format: &str, at: &str) -> Option<SBoxedStrategy<Value>> {
        Some(match format {
            "uuid" => proptest::array::uniform16(any::<u8>())
                .prop_map(|bytes| Value::String(uuid_v4(bytes)))
                .sboxed(),
            "date-time" => {
                let (low, high) = match self.roles.get(at).copied().unwrap_or(TimeRole::Any) {
                    TimeRole::Past => (-30 * DAY, -1),
                    TimeRole::Future => (60, 30 * DAY),
                    TimeRole::Any => (-30 * DAY, 30 * DAY),
                };
                let now = self.now;
                (low..=high)
                    .prop_map(move |offset| {
                        Value::String(time_fmt::format(now + Duration::seconds(offset)))
                    })
                    .sboxed()
            }
            "email" => (
                proptest::sample::select(FIRST_NAMES),
                0..1000u16,
                proptest::sample::select(DOMAINS),
            )
                .prop_map(|(name, n, domain)| Value::String(format!("{name}{n}@{domain}")))
                .sboxed(),
            "uri" => proptest::sample::select(FIRST_NAMES)
                .prop_map(|name| Value::String(format!("https://example.com/{name}")))
                .sboxed(),
            _ => return None,
        })
    }
}

const WORD_CHARS: &[char] = &[
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'k', 'l', 'm', 'n', 'o', 'p', 'r', 's', 't', 'u',
    'v', 'w', 'y', 'z', '_', '0', '1', '2', '7',
];
const FIRST_NAMES: &[&str] = &[
    "ada",
    "grace",
    "alan",
    "katherine",
    "edsger",
    "barbara",
    "donald",
    "frances",
    "ken",
    "margaret",
];
const DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "corp.example"];

fn declared_types(map: &Map<String, Value>) -> Vec<&str> {
    match map.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn infer_type(map: &Map<String, Value>) -> &'static str {
    if map.contains_key("properties")
        || map.contains_key("required")
        || map.contains_key("maxProperties")
    {
        "object"
    } else if map.contains_key("items") {
        "array"
    } else {
        "null"
    }
}

fn maybe_null(strategy: SBoxedStrategy<Value>, nullable: bool) -> SBoxedStrategy<Value> {
    if nullable {
        prop_oneof![strategy, Just(Value::Null)].sboxed()
    } else {
        strategy
    }
}

/// Whether `text` is a UUID in its canonical 8-4-4-4-12 hex form.
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// A version-4 UUID string from 16 bytes: the version and variant bits are set,
/// the rest kept, so equal bytes give equal UUIDs.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut text = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    text
}

/// The random source of value `n` of the stream `seed`: a fast XorShift
/// seeded with SplitMix64 of (seed, n), so that nearby seeds and
/// neighbouring values differ everywhere, and value `n` can be drawn alone.
/// The mock's generated bodies and the runner's cases both draw this way.
pub fn stream_rng(seed: u64, n: u64) -> TestRng {
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut x = seed
            .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_add((i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    // XorShift's one weak state, all zero, cannot occur.
    bytes[0] |= 1;
    TestRng::from_seed(RngAlgorithm::XorShift, &bytes)
}

/// A seeded stream of bodies from a strategy: the same seed gives the same
/// bodies. Body `n` depends only on the seed and `n` (`draw(n)`), so threads
/// can draw from one stream without a lock and still get the bodies a single
/// thread would get in the same order.
pub struct BodyGenerator {
    strategy: SBoxedStrategy<Value>,
    seed: u64,
    config: Config,
    /// The next body `Iterator::next` gives.
    next: u64,
}

impl std::fmt::Debug for BodyGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyGenerator")
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl BodyGenerator {
    pub fn new(strategy: SBoxedStrategy<Value>, seed: u64) -> Self {
        Self {
            strategy,
            seed,
            // Nothing to persist: these are bodies, not test failures (and
            // without it a runner per body allocates nothing for it).
            config: Config {
                failure_persistence: None,
                ..Config::default()
            },
            next: 0,
        }
    }

    /// Another stream over the same strategy, from another seed: e.g. one
    /// stable body per session, without walking the schema again.
    pub fn fork(&self, seed: u64) -> Self {
        Self::new(self.strategy.clone(), seed)
    }

    /// Body `n` of the stream. The strategies use no filters, so a tree can
    /// always be made; should that ever fail, `None`.
    pub fn draw(&self, n: u64) -> Option<Value> {
        use proptest::strategy::ValueTree;
        let rng = stream_rng(self.seed, n);
        let mut runner = TestRunner::new_with_rng(self.config.clone(), rng);
        self.strategy
            .new_tree(&mut runner)
            .ok()
            .map(|tree| tree.current())
    }
}

impl Iterator for BodyGenerator {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        let body = self.draw(self.next);
        self.next += 1;
        body
    }
}

/// `value.pointer_mut(pointer)`, as `pointer` below.
fn pointer_mut<'a>(value: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    // A token that could be an array index takes serde_json's path.
    let plain = pointer.is_empty()
        || (pointer.starts_with('/')
            && !pointer.contains('~')
            && !pointer.split('/').skip(1).any(|t| {
                t.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_digit() || b == b'+')
            }));
    if !plain {
        return value.pointer_mut(pointer);
    }
    let mut at = value;
    for token in pointer.split('/').skip(1) {
        at = match at {
            Value::Object(map) => map.get_mut(token)?,
            _ => return None,
        };
    }
    Some(at)
}

/// `value.pointer(pointer)` without unescaping (and so allocating) each
/// token when no token needs it: the generator reads the invariants' fields
/// on every body.
fn pointer<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.contains('~') || !(pointer.is_empty() || pointer.starts_with('/')) {
        return value.pointer(pointer);
    }
    let mut at = value;
    for token in pointer.split('/').skip(1) {
        at = match at {
            Value::Object(map) => map.get(token)?,
            // Array indices have rules of their own: serde_json's.
            Value::Array(_) => return value.pointer(pointer),
            _ => return None,
        };
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_pointer_reads_what_serde_json_reads() {
        let body = serde_json::json!({"a": {"b/c": 1, "d": [10, {"e": 2}], "": 3, "f~g": 4}});
        for p in [
            "", "/a", "/a/b~1c", "/a/d", "/a/d/1/e", "/a/d/01", "/a/d/+1", "/a/", "/a/f~0g", "/x",
            "/a/d/9", "a",
        ] {
            assert_eq!(pointer(&body, p), body.pointer(p), "{p}");
            let mut mine = body.clone();
            let mut theirs = body.clone();
            assert_eq!(
                pointer_mut(&mut mine, p).cloned(),
                theirs.pointer_mut(p).cloned(),
                "{p}"
            );
        }
    }

    #[test]
    fn body_n_is_the_same_drawn_alone_or_in_order() {
        let strategy = proptest::prelude::any::<u32>()
            .prop_map(Value::from)
            .sboxed();
        let stream: Vec<Value> = BodyGenerator::new(strategy.clone(), 7).take(5).collect();
        let alone = BodyGenerator::new(strategy.clone(), 7);
        assert_eq!(alone.draw(3).as_ref(), stream.get(3));
        assert_ne!(stream[0], stream[1]);
        assert_ne!(
            BodyGenerator::new(strategy, 8).draw(0).as_ref(),
            stream.first()
        );
    }

    #[test]
    fn uuids_carry_version_and_variant_bits() {
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }

    #[test]
    fn roles_propagate_to_earlier_fields_of_past_ones() {
        let inv = |rule| Invariant {
            name: String::new(),
            status: 200,
            description: String::new(),
            rule,
        };
        let roles = time_roles(&[
            inv(Rule::NotAfter {
                earlier: "/c".into(),
                later: "/l".into(),
            }),
            inv(Rule::NotInFuture { field: "/l".into() }),
            inv(Rule::InFuture {
                field: "/e".into(),
                when: None,
            }),
        ]);
        assert_eq!(roles.get("/c"), Some(&TimeRole::Past));
        assert_eq!(roles.get("/e"), Some(&TimeRole::Future));
    }

    #[test]
    fn repair_moves_the_earlier_field_below_the_later_one() {
        let invariants = [Invariant {
            name: String::new(),
            status: 200,
            description: String::new(),
            rule: Rule::After {
                earlier: "/a".into(),
                later: "/b".into(),
            },
        }];
        let mut body = json!({"a": "2024-01-02T00:00:00Z", "b": "2024-01-01T00:00:00Z"});
        repair_order(&mut body, &invariants);
        assert_eq!(body["a"], json!("2023-12-30T23:59:59Z"));
        assert_eq!(body["b"], json!("2024-01-01T00:00:00Z"));
    }
}
