//! The JUnit XML report: one test suite per target, one test case per check.
//! A check failed at error severity is a `failure`; a warning stays a pass
//! with the finding in its output (so dashboards show it without turning
//! red, unless `--strict`); a check that never applied is `skipped`.

use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::Report;
use crate::checks::Severity;
use crate::run::TargetRun;

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
        let examples: Vec<_> = run
            .failures
            .iter()
            .filter(|f| f.check == tally.check)
            .collect();
        let mut text = String::new();
        for failed in &examples {
            let _ = writeln!(text, "case #{}: {}", failed.index, failed.case);
            let _ = writeln!(text, "  {}", failed.finding.message);
            for detail in &failed.finding.details {
                let _ = writeln!(text, "  - {detail}");
            }
            let (case, curl) = match &failed.shrunk {
                Some(s) => (s.case.to_string(), &s.curl),
                None => (failed.case.to_string(), &failed.curl),
            };
            let _ = writeln!(text, "  minimal case: {case}");
            let _ = writeln!(text, "  reproduce: {curl}");
        }
        let status = if tally.failed > 0 && tally.severity == Severity::Error {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_type(if tally.check.security() {
                "security"
            } else {
                "contract"
            });
            status.set_message(format!(
                "{} of {} cases: {}",
                tally.failed,
                tally.passed + tally.failed,
                examples.first().map_or("", |f| f.finding.message.as_str())
            ));
            status.set_description(text.clone());
            status
        } else if tally.passed + tally.failed == 0 {
            TestCaseStatus::skipped()
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(tally.check.name(), status);
        case.set_classname(format!("{}.{}", run.contract, tally.check.group().name()));
        case.set_assertions((tally.passed + tally.failed) as usize);
        if tally.failed > 0 && tally.severity == Severity::Warning {
            case.set_system_out(format!(
                "warning: {} of {} cases\n{text}",
                tally.failed,
                tally.passed + tally.failed
            ));
        }
        suite.add_test_case(case);
    }
    suite
}
