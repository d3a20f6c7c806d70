//! The JSON report. Its shape is versioned (`format`) and documented by
//! `conformance/report.schema.json`; fields are only ever added.

use serde::Serialize;
use serde_json::Value;

use super::Report;
use crate::checks::{Finding, Group, Severity};
use crate::run::{Failed, TargetRun};

pub const FORMAT: &str = "session-conformance-report/2";

/// The report's JSON schema, as shipped.
pub const SCHEMA: &str = include_str!("../../report.schema.json");

#[derive(Serialize)]
struct JsonReport<'a> {
    format: &'static str,
    tool: String,
    seed: u64,
    strict: bool,
    conformant: bool,
    duration_ms: u128,
    rerun: &'a str,
    targets: Vec<JsonTarget<'a>>,
}

#[derive(Serialize)]
struct JsonTarget<'a> {
    name: &'a str,
    contract: &'a str,
    url: &'a str,
    conformant: bool,
    cases: u32,
    requests: u64,
    duration_ms: u128,
    cases_per_second: f64,
    notes: &'a [String],
    /// Distinct failures at error and at warning severity.
    distinct_failures: JsonDistinct,
    checks: Vec<JsonCheck>,
    failures: Vec<JsonFailure<'a>>,
}

#[derive(Serialize)]
struct JsonDistinct {
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct JsonCheck {
    name: &'static str,
    group: Group,
    severity: Severity,
    security: bool,
    description: &'static str,
    why: Option<&'static str>,
    passed: u64,
    failed: u64,
    skipped: u64,
}

#[derive(Serialize)]
struct JsonFailure<'a> {
    check: &'static str,
    key: &'a str,
    count: u64,
    case_index: Option<usize>,
    case: String,
    expected: Option<&'static str>,
    status: Option<u16>,
    message: &'a str,
    details: &'a [String],
    body: Option<&'a str>,
    curl: &'a str,
    minimal: Option<JsonMinimal<'a>>,
}

#[derive(Serialize)]
struct JsonMinimal<'a> {
    case: String,
    status: Option<u16>,
    message: &'a str,
    details: &'a [String],
    curl: &'a str,
    steps: u32,
    requests: u32,
}

/// The report as a JSON value.
pub fn to_value(report: &Report) -> Value {
    let document = JsonReport {
        format: FORMAT,
        tool: concat!("session-conformance ", env!("CARGO_PKG_VERSION")).to_owned(),
        seed: report.seed,
        strict: report.strict,
        conformant: report.conformant(),
        duration_ms: report.duration.as_millis(),
        rerun: &report.rerun,
        targets: report.targets.iter().map(target).collect(),
    };
    serde_json::to_value(document).unwrap_or(Value::Null)
}

fn target(run: &TargetRun) -> JsonTarget<'_> {
    JsonTarget {
        name: &run.name,
        contract: &run.contract,
        url: &run.url,
        conformant: run.conformant(),
        cases: run.cases,
        requests: run.requests,
        duration_ms: run.duration.as_millis(),
        cases_per_second: (run.cases_per_second() * 10.0).round() / 10.0,
        notes: &run.notes,
        distinct_failures: JsonDistinct {
            errors: run.distinct(Severity::Error),
            warnings: run.distinct(Severity::Warning),
        },
        checks: run
            .tallies
            .iter()
            .map(|t| JsonCheck {
                name: t.check.name(),
                group: t.check.group(),
                severity: t.severity,
                security: t.check.security(),
                description: t.check.description(),
                why: t.check.spec().why,
                passed: t.passed,
                failed: t.failed,
                skipped: t.skipped,
            })
            .collect(),
        failures: run.failures.iter().map(failure).collect(),
    }
}

fn failure(failed: &Failed) -> JsonFailure<'_> {
    let Finding {
        message, details, ..
    } = &failed.finding;
    JsonFailure {
        check: failed.check.name(),
        key: &failed.key,
        count: failed.count,
        case_index: failed.case.as_ref().map(|_| failed.index),
        case: match &failed.case {
            Some(case) => case.to_string(),
            None => failed.subject(),
        },
        expected: failed.case.as_ref().map(|c| outcome_name(c.expected())),
        status: failed.status,
        message,
        details,
        body: failed.body.as_deref(),
        curl: &failed.curl,
        minimal: failed.shrunk.as_ref().map(|s| JsonMinimal {
            case: s.case.to_string(),
            status: s.status,
            message: &s.finding.message,
            details: &s.finding.details,
            curl: &s.curl,
            steps: s.steps,
            requests: s.requests,
        }),
    }
}

pub fn outcome_name(outcome: session_schemas::Outcome) -> &'static str {
    match outcome {
        session_schemas::Outcome::Authenticated => "authenticated",
        session_schemas::Outcome::Unauthenticated => "unauthenticated",
        session_schemas::Outcome::Revoked => "revoked",
    }
}
