//! Turning jsonschema's errors into [`Violation`]s a person can act on.
//!
//! Every error is kept (not just the first), each with its JSON pointer and
//! the rule that failed. An `anyOf` failure is resolved to the alternative
//! the body most plausibly meant (the one whose errors reach deepest into the
//! body, then the one with fewest errors), so that a session with a bad email
//! reports `/user/email: format`, not "matches none of the alternatives".

use std::fmt;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde::Serialize;
use serde_json::Value;

/// How unknown properties are treated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// As the documents say: unknown properties are accepted.
    #[default]
    Lenient,
    /// Objects with declared properties reject any other property.
    Strict,
}

/// Where a violation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Schema,
    Invariant,
}

/// One way a body breaks its contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// JSON pointer into the body; `""` is the body itself.
    pub path: String,
    /// The schema keyword (`required`, `format`...) or the invariant's name.
    pub rule: String,
    pub message: String,
    pub origin: Origin,
    /// For an `anyOf` no alternative of which stands out: each alternative's violations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Violation>,
}

impl Violation {
    pub(crate) fn invariant(path: &str, rule: &str, message: String) -> Self {
        Self {
            path: path.to_owned(),
            rule: rule.to_owned(),
            message,
            origin: Origin::Invariant,
            causes: Vec::new(),
        }
    }

    /// The path for people: `(root)` for the body itself.
    pub fn display_path(&self) -> &str {
        if self.path.is_empty() {
            "(root)"
        } else {
            &self.path
        }
    }

    /// This violation and all its causes, depth first.
    pub fn flatten(&self) -> Vec<&Violation> {
        let mut all = vec![self];
        for cause in &self.causes {
            all.extend(cause.flatten());
        }
        all
    }

    fn depth(&self) -> usize {
        self.path.matches('/').count()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} [{}]",
            self.display_path(),
            self.message,
            self.rule
        )?;
        for cause in &self.causes {
            write!(f, "\n    {cause}")?;
        }
        Ok(())
    }
}

const MAX_MESSAGE_CHARS: usize = 200;

pub(crate) fn violations(validator: &Validator, body: &Value) -> Vec<Violation> {
    validator
        .iter_errors(body)
        .flat_map(|error| convert(&error))
        .collect()
}

fn convert(error: &ValidationError<'_>) -> Vec<Violation> {
    let path = error.instance_path().as_str().to_owned();
    match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            resolve_alternatives(path, error.kind().keyword(), context)
        }
        kind => vec![Violation {
            path,
            rule: kind.keyword().to_owned(),
            message: truncate(error.to_string()),
            origin: Origin::Schema,
            causes: Vec::new(),
        }],
    }
}

fn resolve_alternatives(
    path: String,
    keyword: &str,
    context: &[Vec<ValidationError<'static>>],
) -> Vec<Violation> {
    let mut branches: Vec<Vec<Violation>> = context
        .iter()
        .map(|errors| errors.iter().flat_map(convert).collect())
        .collect();
    let score = |branch: &Vec<Violation>| {
        (
            branch.iter().map(Violation::depth).max().unwrap_or(0),
            usize::MAX - branch.len(),
        )
    };
    let best = branches.iter().map(score).max();
    let leaders: Vec<usize> = (0..branches.len())
        .filter(|&i| Some(score(&branches[i])) == best)
        .collect();
    let findings = |i: usize| {
        branches[i]
            .iter()
            .map(|v| (v.path.clone(), v.rule.clone()))
            .collect::<Vec<_>>()
    };
    let leaders_agree = leaders
        .windows(2)
        .all(|pair| findings(pair[0]) == findings(pair[1]));
    if let Some(&first) = leaders.first()
        && leaders_agree
    {
        return std::mem::take(&mut branches[first]);
    }
    let causes = branches
        .into_iter()
        .enumerate()
        .flat_map(|(i, branch)| {
            branch.into_iter().map(move |mut v| {
                v.message = format!("option {}: {}", i + 1, v.message);
                v
            })
        })
        .collect();
    vec![Violation {
        path,
        rule: keyword.to_owned(),
        message: format!("matches none of the {} alternatives", context.len()),
        origin: Origin::Schema,
        causes,
    }]
}

fn truncate(mut message: String) -> String {
    if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        message.truncate(cut);
        message.push('…');
    }
    message
}
