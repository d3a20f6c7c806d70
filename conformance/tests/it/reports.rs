//! The three report formats on one run with failures: the human summary and
//! the JSON report snapshotted (addresses, times and rates scrubbed), the
//! JSON report valid against its published schema, the JUnit report parsed
//! as XML with one testcase per check.

use std::time::Duration;

use quick_xml::events::Event;
use session_conformance::report::{Report, human, json, junit};

use crate::backend::{Api, Backend, Fault, VALID};
use crate::util::{run, runtime, settings, target};

fn report_with_failures() -> Report {
    runtime().block_on(async {
        let server = Backend::start(Api::SessionApi, Fault::PrefixAuthentication).await;
        let run = run(&target(Api::SessionApi, &server.uri()), &settings(48)).await;
        Report {
            seed: run.seed,
            strict: false,
            rerun: format!(
                "session-conformance check --contract session-api --base-url {} --cases 48 --seed {}",
                server.uri(),
                run.seed
            ),
            targets: vec![run],
            duration: Duration::from_millis(1234),
        }
    })
}

fn scrubbed() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"127\.0\.0\.1:\d+", "[addr]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[datetime]");
    settings.add_filter(r"in \d+\.\d+ s \(\d+ cases/s\)", "in [time] ([rate])");
    settings.add_filter(r#""duration_ms": \d+"#, r#""duration_ms": "[ms]""#);
    settings.add_filter(
        r#""cases_per_second": [\d.]+"#,
        r#""cases_per_second": "[rate]""#,
    );
    settings.add_filter(
        r#""tool": "session-conformance [^"]+""#,
        r#""tool": "[tool]""#,
    );
    settings
}

#[test]
fn human_and_json_reports() {
    let report = report_with_failures();
    let mut text = Vec::new();
    human::write(&report, &mut text, human::Palette::new(false)).expect("write");
    let text = String::from_utf8(text).expect("utf-8");
    let json = serde_json::to_string_pretty(&json::to_value(&report)).expect("json");
    for output in [&text, &json] {
        assert!(
            !output.contains(VALID),
            "the credential leaked into a report"
        );
        assert!(
            !output.contains('\u{1b}'),
            "colour codes without a terminal"
        );
    }
    scrubbed().bind(|| {
        insta::assert_snapshot!("human_report", text);
        insta::assert_snapshot!("json_report", json);
    });
}

/// Against a server that answers like the real Auth.js one did, the report
/// names both distinct schema failures: the `null` signed-out body and the
/// signed-in body without `user.id` / `user.username`.
#[test]
fn every_distinct_failure_is_named_once() {
    let (report, text) = runtime().block_on(async {
        let server = Backend::start(Api::Authjs, Fault::LikeRealAuthjs).await;
        let run = run(&target(Api::Authjs, &server.uri()), &settings(48)).await;
        let report = Report {
            seed: run.seed,
            strict: false,
            rerun: format!(
                "session-conformance check --contract authjs --base-url {} --cases 48 --seed {}",
                server.uri(),
                run.seed
            ),
            targets: vec![run],
            duration: Duration::from_millis(1234),
        };
        let mut text = Vec::new();
        human::write(&report, &mut text, human::Palette::new(false)).expect("write");
        (report, String::from_utf8(text).expect("utf-8"))
    });
    let schema: Vec<_> = report.targets[0]
        .failures
        .iter()
        .filter(|f| f.check.name() == "body-schema")
        .collect();
    assert_eq!(schema.len(), 2, "{text}");
    assert!(
        text.contains("(root): null is not of type \"object\""),
        "{text}"
    );
    assert!(text.contains("\"id\" is a required property"), "{text}");
    assert!(
        text.contains("\"username\" is a required property"),
        "{text}"
    );
    assert!(text.contains("body-schema (2)"), "{text}");
    scrubbed().bind(|| insta::assert_snapshot!("two_distinct_schema_failures", text));
}

#[test]
fn the_json_report_follows_its_schema() {
    let schema: serde_json::Value = serde_json::from_str(json::SCHEMA).expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let value = json::to_value(&report_with_failures());
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And the schema does reject a report that breaks it.
    let mut broken = value.clone();
    broken["targets"][0]["checks"][0]["name"] = "no-such-check".into();
    assert!(!validator.is_valid(&broken));
    assert_eq!(value["format"], json::FORMAT);
    assert_eq!(value["conformant"], false);
}

#[test]
fn the_junit_report_has_one_testcase_per_check_or_distinct_failure() {
    let report = report_with_failures();
    let xml = junit::to_xml(&report).expect("xml");
    assert!(!xml.contains(VALID));
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut testcases = Vec::new();
    let mut failures = Vec::new();
    let mut current = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                };
                match e.name().as_ref() {
                    b"testcase" => {
                        current = attr(b"name").expect("testcase name");
                        testcases.push(current.clone());
                    }
                    b"failure" => failures.push((current.clone(), attr(b"type"))),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // A test case per check that passed, one per distinct failure of the
    // one that did not.
    let bypass: Vec<&String> = testcases
        .iter()
        .filter(|t| t.starts_with("auth-bypass: "))
        .collect();
    assert!(!bypass.is_empty(), "{testcases:?}");
    assert_eq!(
        testcases.len(),
        session_conformance::checks::CheckId::ALL.len() - 1 + bypass.len(),
        "{testcases:?}"
    );
    assert!(!testcases.contains(&"auth-bypass".to_owned()));
    assert_eq!(
        failures,
        bypass
            .iter()
            .map(|t| ((*t).clone(), Some("security".to_owned())))
            .collect::<Vec<_>>()
    );
}
