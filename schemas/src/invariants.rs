//! Semantic invariants: rules about a body that a JSON Schema cannot state,
//! declared as data in each contract's manifest.
//!
//! Ordering rules (`not-after`, `after`) hold for any body, saved or live.
//! Rules about the present (`not-in-future`, `in-future`) need the time the
//! response was received, so they are judged only when a [`Clock`] is given.
//! A field that is absent or not a date-time is skipped here: the schema
//! check reports it.

use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::manifest::{InvariantManifest, RuleManifest};
use crate::time_fmt;
use crate::validate::Violation;

/// When a live response was received, and how much clock skew to forgive.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub received_at: OffsetDateTime,
    pub skew: Duration,
}

impl Clock {
    pub fn new(received_at: OffsetDateTime, skew: Duration) -> Self {
        Self { received_at, skew }
    }

    /// The current time with no skew allowance.
    pub fn now() -> Self {
        Self {
            received_at: OffsetDateTime::now_utc(),
            skew: Duration::ZERO,
        }
    }
}

/// One named rule from a contract's manifest.
#[derive(Debug, Clone)]
pub struct Invariant {
    pub name: String,
    pub status: u16,
    pub description: String,
    pub rule: Rule,
}

/// What an invariant asserts. Fields are JSON pointers into the body.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `earlier <= later`.
    NotAfter { earlier: String, later: String },
    /// `earlier < later`.
    After { earlier: String, later: String },
    /// `field <= received_at + skew`.
    NotInFuture { field: String },
    /// `field > received_at - skew`, when the condition (if any) holds.
    InFuture {
        field: String,
        when: Option<(String, Value)>,
    },
}

impl Invariant {
    pub(crate) fn from_manifest(raw: InvariantManifest) -> Self {
        let rule = match raw.rule {
            RuleManifest::NotAfter { earlier, later } => Rule::NotAfter { earlier, later },
            RuleManifest::After { earlier, later } => Rule::After { earlier, later },
            RuleManifest::NotInFuture { field } => Rule::NotInFuture { field },
            RuleManifest::InFuture { field, when } => Rule::InFuture {
                field,
                when: when.map(|c| (c.field, c.equals)),
            },
        };
        Self {
            name: raw.name,
            status: raw.status,
            description: raw.description,
            rule,
        }
    }

    /// Whether this rule needs the time of receipt.
    pub fn is_live_only(&self) -> bool {
        matches!(self.rule, Rule::NotInFuture { .. } | Rule::InFuture { .. })
    }

    /// Every field pointer the rule reads.
    pub fn fields(&self) -> Vec<&str> {
        match &self.rule {
            Rule::NotAfter { earlier, later } | Rule::After { earlier, later } => {
                vec![earlier, later]
            }
            Rule::NotInFuture { field } | Rule::InFuture { field, .. } => vec![field],
        }
    }

    /// Judges `body`; `None` when the rule holds or cannot be judged.
    pub fn check(&self, body: &Value, clock: Option<&Clock>) -> Option<Violation> {
        match &self.rule {
            Rule::NotAfter { earlier, later } => {
                let (e, l) = (timestamp(body, earlier)?, timestamp(body, later)?);
                (e > l).then(|| {
                    self.violation(
                        later,
                        format!(
                            "{} ({}) is earlier than {} ({})",
                            name(later),
                            time_fmt::format(l),
                            name(earlier),
                            time_fmt::format(e)
                        ),
                    )
                })
            }
            Rule::After { earlier, later } => {
                let (e, l) = (timestamp(body, earlier)?, timestamp(body, later)?);
                (l <= e).then(|| {
                    self.violation(
                        later,
                        format!(
                            "{} ({}) is not later than {} ({})",
                            name(later),
                            time_fmt::format(l),
                            name(earlier),
                            time_fmt::format(e)
                        ),
                    )
                })
            }
            Rule::NotInFuture { field } => {
                let clock = clock?;
                let t = timestamp(body, field)?;
                (t > clock.received_at + clock.skew).then(|| {
                    self.violation(
                        field,
                        format!(
                            "{} ({}) is later than the response was received ({}, skew allowed {})",
                            name(field),
                            time_fmt::format(t),
                            time_fmt::format(clock.received_at),
                            clock.skew
                        ),
                    )
                })
            }
            Rule::InFuture { field, when } => {
                let clock = clock?;
                if let Some((pointer, expected)) = when
                    && body.pointer(pointer) != Some(expected)
                {
                    return None;
                }
                let t = timestamp(body, field)?;
                (t <= clock.received_at - clock.skew).then(|| {
                    let condition = when.as_ref().map(|(p, v)| format!(" although {} is {v}", name(p))).unwrap_or_default();
                    self.violation(field, format!("{} ({}) had already passed when the response was received ({}){condition}", name(field), time_fmt::format(t), time_fmt::format(clock.received_at)))
                })
            }
        }
    }

    fn violation(&self, pointer: &str, message: String) -> Violation {
        Violation::invariant(pointer, &self.name, message)
    }
}

fn timestamp(body: &Value, pointer: &str) -> Option<OffsetDateTime> {
    body.pointer(pointer)?.as_str().and_then(time_fmt::parse)
}

/// The last segment of a pointer, as a field name for messages.
fn name(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> OffsetDateTime {
        time_fmt::parse(text).expect("valid test timestamp")
    }

    fn ordering() -> Invariant {
        Invariant {
            name: "order".into(),
            status: 200,
            description: String::new(),
            rule: Rule::After {
                earlier: "/a".into(),
                later: "/b".into(),
            },
        }
    }

    #[test]
    fn strict_ordering_rejects_equal_and_reversed_times() {
        let rule = ordering();
        assert!(
            rule.check(
                &json!({"a": "2024-01-01T00:00:00Z", "b": "2024-01-01T00:00:01Z"}),
                None
            )
            .is_none()
        );
        let equal = rule.check(
            &json!({"a": "2024-01-01T00:00:00Z", "b": "2024-01-01T00:00:00Z"}),
            None,
        );
        assert_eq!(equal.map(|v| v.path), Some("/b".to_owned()));
        assert!(
            rule.check(
                &json!({"a": "2024-01-02T00:00:00Z", "b": "2024-01-01T00:00:00Z"}),
                None
            )
            .is_some()
        );
    }

    #[test]
    fn missing_or_malformed_fields_are_left_to_the_schema() {
        let rule = ordering();
        assert!(
            rule.check(&json!({"a": "2024-01-01T00:00:00Z"}), None)
                .is_none()
        );
        assert!(
            rule.check(
                &json!({"a": "yesterday", "b": "2020-01-01T00:00:00Z"}),
                None
            )
            .is_none()
        );
    }

    #[test]
    fn live_rules_need_a_clock_and_forgive_skew() {
        let rule = Invariant {
            name: "nf".into(),
            status: 200,
            description: String::new(),
            rule: Rule::NotInFuture { field: "/t".into() },
        };
        let body = json!({"t": "2024-01-01T00:00:30Z"});
        assert!(
            rule.check(&body, None).is_none(),
            "a saved body is not judged against the present"
        );
        let strict = Clock::new(at("2024-01-01T00:00:00Z"), Duration::ZERO);
        assert!(rule.check(&body, Some(&strict)).is_some());
        let lenient = Clock::new(at("2024-01-01T00:00:00Z"), Duration::minutes(1));
        assert!(rule.check(&body, Some(&lenient)).is_none());
    }

    #[test]
    fn conditional_rule_applies_only_when_condition_holds() {
        let rule = Invariant {
            name: "active".into(),
            status: 200,
            description: String::new(),
            rule: Rule::InFuture {
                field: "/exp".into(),
                when: Some(("/state".into(), json!("active"))),
            },
        };
        let clock = Clock::new(at("2024-06-01T00:00:00Z"), Duration::ZERO);
        assert!(
            rule.check(
                &json!({"exp": "2024-01-01T00:00:00Z", "state": "active"}),
                Some(&clock)
            )
            .is_some()
        );
        assert!(
            rule.check(
                &json!({"exp": "2024-01-01T00:00:00Z", "state": "revoked"}),
                Some(&clock)
            )
            .is_none()
        );
        assert!(
            rule.check(
                &json!({"exp": "2025-01-01T00:00:00Z", "state": "active"}),
                Some(&clock)
            )
            .is_none()
        );
    }
}
