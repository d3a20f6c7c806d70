//! The JUnit XML report: one test suite per target; one test case per check
//! that passed, and one per distinct failure of a check that did not (named
//! `check: what broke`), so CI dashboards list every distinct failure. An
//! error is a `failure`; a warning stays a pass with the finding in its
//! output (so dashboards show it without turning red, unless `--strict`); a
//! check that never applied is `skipped`.

use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::Report;
use crate::checks::Severity;
use crate::run::{Failed, TargetRun};

/// The report as JUnit XML.
pub fn to_xml(report: &Report) -> Result<String, String> {
    let mut junit = quick_junit::Report::new("session-conformance");
    junit.set_time(report.duration);
    for run in &report.targets {
        junit.add_test_suite(suite(run));
    }
    junit.to_string().map_err(|e| e.to_string())
}

fn suite(run: &TargetRun) -> TestSuite {
    let mut suite = TestSuite::new(format!("{} ({})", run.name, run.contract));
    suite.set_time(run.duration);
    suite.add_property(("url", run.url.as_str()));
    suite.add_property(("seed", run.seed.to_string().as_str()));
    suite.add_property(("cases", run.cases.to_string().as_str()));
    for tally in &run.tallies {
        let classname = format!("{}.{}", run.contract, tally.check.group().name());
        let distinct: Vec<&Failed> = run
            .failures
            .iter()
            .filter(|f| f.check == tally.check)
            .collect();
        if distinct.is_empty() {
            let status = if tally.passed + tally.failed == 0 {
                TestCaseStatus::skipped()
            } else {
                TestCaseStatus::success()
            };
            let mut case = TestCase::new(tally.check.name(), status);
            case.set_classname(classname);
            case.set_assertions((tally.passed + tally.failed) as usize);
            suite.add_test_case(case);
            continue;
        }
        // One test case per distinct failure, so dashboards list each.
        for failed in distinct {
            let text = describe(failed);
            let headline = format!(
                "{}{}",
                if failed.case.is_some() {
                    format!(
                        "{} of {} cases: ",
                        failed.count,
                        tally.passed + tally.failed
                    )
                } else {
                    String::new()
                },
                failed.finding.message
            );
            let status = if tally.severity == Severity::Error {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_type(if tally.check.security() {
                    "security"
                } else {
                    "contract"
                });
                status.set_message(headline.clone());
                status.set_description(text.clone());
                status
            } else {
                TestCaseStatus::success()
            };
            let mut case = TestCase::new(format!("{}: {}", tally.check.name(), failed.key), status);
            case.set_classname(classname.clone());
            case.set_assertions(failed.count as usize);
            if tally.severity == Severity::Warning {
                case.set_system_out(format!("warning: {headline}\n{text}"));
            }
            suite.add_test_case(case);
        }
    }
    suite
}

/// A distinct failure in words: details, first case, minimal case, reproduction.
fn describe(failed: &Failed) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{}", failed.finding.message);
    for detail in &failed.finding.details {
        let _ = writeln!(text, "  - {detail}");
    }
    if let Some(why) = failed.check.spec().why {
        let _ = writeln!(text, "why it matters: {why}");
    }
    if failed.case.is_some() {
        let _ = writeln!(text, "first: {}", failed.subject());
    }
    if let Some(shrunk) = &failed.shrunk {
        let _ = writeln!(text, "minimal case: {}", shrunk.case);
    }
    let _ = writeln!(text, "reproduce: {}", failed.reproduce());
    text
}
