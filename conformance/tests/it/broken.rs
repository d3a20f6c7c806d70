//! Deliberately broken backends, one fault each: every fault is caught by
//! the check named for it, and no other check fails. The first test is the
//! control: the same backend without a fault passes every check.

use std::time::Duration;

use session_conformance::run::TargetRun;

use crate::backend::{Api, Backend, Fault, VALID};
use crate::util::{failed, run, runtime, settings, target};

/// Runs the full check against `api` with `fault`; asserts exactly `expected` failed.
fn caught(api: Api, fault: Fault, expected: &[&str]) -> TargetRun {
    caught_with(api, fault, expected, |_| {})
}

fn caught_with(
    api: Api,
    fault: Fault,
    expected: &[&str],
    adjust: impl FnOnce(&mut session_conformance::run::Settings),
) -> TargetRun {
    runtime().block_on(async {
        let server = Backend::start(api, fault).await;
        let mut settings = settings(96);
        adjust(&mut settings);
        let run = run(&target(api, &server.uri()), &settings).await;
        assert_eq!(
            failed(&run),
            expected,
            "{api:?} with {fault:?}; first failure: {:#?}",
            run.failures.first()
        );
        // Whatever failed, no report text carries the valid credential.
        for failure in &run.failures {
            let text = format!("{failure:?}");
            assert!(!text.contains(VALID), "credential in a report: {text}");
        }
        run
    })
}

#[test]
fn correct_backends_pass_every_check() {
    for api in [Api::SessionApi, Api::Authjs] {
        let run = caught(api, Fault::None, &[]);
        assert!(run.conformant());
        // Every kind of check actually judged something.
        for tally in &run.tallies {
            // The lifecycle checks need a sign-in (tests/it/lifecycle.rs).
            let applies = tally.passed > 0
                || tally.check.name() == "www-authenticate" && api == Api::Authjs
                || tally.check.group() == session_conformance::checks::Group::Lifecycle;
            assert!(applies, "{api:?}: {} never applied", tally.check);
        }
    }
}

#[test]
fn a_revoked_session_answered_401_fails_the_expected_outcome() {
    caught(
        Api::SessionApi,
        Fault::RevokedGets401,
        &["expected-outcome"],
    );
}

#[test]
fn an_undocumented_status_is_caught() {
    caught(
        Api::SessionApi,
        Fault::UnauthenticatedGets403,
        &["status-documented", "expected-outcome"],
    );
}

#[test]
fn a_redirect_is_reported_and_not_followed() {
    let run = caught(
        Api::SessionApi,
        Fault::RedirectToLogin,
        &["status-documented", "expected-outcome"],
    );
    let message = &run.failures[0].finding.message;
    assert!(
        message.contains("redirect to /login, not followed"),
        "{message}"
    );
}

#[test]
fn a_missing_field_fails_the_body_schema() {
    let run = caught(Api::SessionApi, Fault::MissingField, &["body-schema"]);
    assert!(
        run.failures[0]
            .finding
            .details
            .iter()
            .any(|d| d.contains("state"))
    );
}

#[test]
fn a_bad_uuid_fails_the_body_schema_at_its_path() {
    let run = caught(Api::SessionApi, Fault::BadUuid, &["body-schema"]);
    let details = &run.failures[0].finding.details;
    assert!(
        details.iter().any(|d| d.starts_with("/session_id")),
        "{details:?}"
    );
}

#[test]
fn a_non_json_body_fails_body_parses() {
    caught(Api::SessionApi, Fault::NonJsonError, &["body-parses"]);
}

#[test]
fn an_html_content_type_fails_content_type() {
    caught(Api::SessionApi, Fault::HtmlContentType, &["content-type"]);
}

#[test]
fn a_500_for_a_garbage_token_fails_no_server_error() {
    for api in [Api::SessionApi, Api::Authjs] {
        caught(api, Fault::ServerErrorOnGarbage, &["no-server-error"]);
    }
}

#[test]
fn a_tampered_token_that_authenticates_is_an_auth_bypass() {
    let run = caught(
        Api::SessionApi,
        Fault::PrefixAuthentication,
        &["auth-bypass"],
    );
    let failure = &run.failures[0];
    assert!(failure.finding.message.starts_with("SECURITY"));
    let minimal = failure
        .shrunk
        .as_ref()
        .map_or(failure.case.as_ref().expect("a case"), |s| &s.case);
    assert!(
        minimal.to_string().starts_with("the valid credential"),
        "shrunk to {minimal}"
    );
    let curl = failure.shrunk.as_ref().map_or(&failure.curl, |s| &s.curl);
    assert!(curl.contains("SESSION_TOKEN"), "{curl}");
}

#[test]
fn a_revoked_credential_that_still_works_is_an_auth_bypass() {
    caught(Api::SessionApi, Fault::RevokedAccepted, &["auth-bypass"]);
    caught(Api::Authjs, Fault::RevokedAccepted, &["auth-bypass"]);
}

#[test]
fn a_session_without_any_credential_is_an_auth_bypass_shrunk_to_nothing() {
    let run = caught(Api::Authjs, Fault::AbsentAccepted, &["auth-bypass"]);
    let failure = &run.failures[0];
    let minimal = failure
        .shrunk
        .as_ref()
        .map_or(failure.case.as_ref().expect("a case"), |s| &s.case);
    assert_eq!(minimal.to_string(), "no credential");
}

#[test]
fn an_unstable_session_id_fails_stability() {
    let run = caught(Api::SessionApi, Fault::UnstableSessionId, &["stability"]);
    assert!(
        run.failures[0]
            .finding
            .message
            .contains("/session_id changed")
    );
    caught(Api::Authjs, Fault::UnstableSessionId, &["stability"]);
}

#[test]
fn last_activity_going_backwards_fails_stability() {
    let run = caught(
        Api::SessionApi,
        Fault::ActivityGoesBackwards,
        &["stability"],
    );
    assert!(run.failures[0].finding.message.contains("went backwards"));
}

#[test]
fn an_active_but_expired_session_fails_the_invariants() {
    let run = caught(Api::SessionApi, Fault::ActiveButExpired, &["invariants"]);
    assert!(
        run.failures[0]
            .finding
            .message
            .contains("active-session-not-expired")
    );
    caught(Api::Authjs, Fault::ActiveButExpired, &["invariants"]);
}

#[test]
fn timestamps_out_of_order_fail_the_invariants() {
    caught(
        Api::SessionApi,
        Fault::CreatedAfterActivity,
        &["invariants"],
    );
}

#[test]
fn a_null_body_on_authjs_fails_the_body_schema() {
    caught(
        Api::Authjs,
        Fault::NullWhenUnauthenticated,
        &["body-schema"],
    );
}

#[test]
fn a_401_on_authjs_is_off_contract() {
    caught(
        Api::Authjs,
        Fault::Authjs401,
        &["status-documented", "expected-outcome"],
    );
}

#[test]
fn missing_cache_headers_are_a_warning_unless_strict() {
    let run = caught(Api::SessionApi, Fault::NoCacheHeaders, &["cache-control"]);
    assert!(run.conformant(), "a warning alone keeps the run conformant");
    let run = caught_with(
        Api::Authjs,
        Fault::NoCacheHeaders,
        &["cache-control"],
        |s| {
            s.strict = true;
        },
    );
    assert!(!run.conformant(), "--strict makes the warning an error");
}

#[test]
fn a_401_without_www_authenticate_is_a_warning() {
    let run = caught(
        Api::SessionApi,
        Fault::NoWwwAuthenticate,
        &["www-authenticate"],
    );
    assert!(run.conformant());
}

#[test]
fn slow_answers_fail_response_time() {
    caught_with(
        Api::SessionApi,
        Fault::Slow(Duration::from_millis(250)),
        &["response-time"],
        |s| {
            s.cases = 16;
            s.limits.concurrency = 16;
            s.max_response_time = Duration::from_millis(100);
            s.max_shrink = 2;
        },
    );
}

#[test]
fn an_error_body_echoing_the_token_is_a_leak_and_is_redacted() {
    let run = caught(Api::SessionApi, Fault::EchoesToken, &["body-leak"]);
    assert!(
        run.failures
            .iter()
            .all(|f| !f.body.as_deref().unwrap_or("").contains(VALID))
    );
}

#[test]
fn a_body_past_the_bound_fails_body_size() {
    caught_with(Api::SessionApi, Fault::HugeBody, &["body-size"], |s| {
        s.limits.max_body = 64 * 1024;
    });
}

#[test]
fn an_answer_slower_than_the_timeout_is_a_transport_failure_not_a_crash() {
    let run = caught_with(
        Api::Authjs,
        Fault::Slow(Duration::from_millis(400)),
        &["transport"],
        |s| {
            s.cases = 8;
            s.limits.concurrency = 8;
            s.limits.timeout = Duration::from_millis(100);
            s.checks = session_conformance::checks::CheckSet::parse("response").expect("group");
            s.max_shrink = 2;
        },
    );
    assert!(run.failures[0].finding.message.contains("within 100"));
}

#[test]
fn the_rate_limit_spaces_requests() {
    // A lower bound only: 20 cases at 40 per second cannot finish in less
    // than 19 intervals of 25 ms, however fast the machine.
    let run = caught_with(Api::SessionApi, Fault::None, &[], |s| {
        s.cases = 20;
        s.limits.rate_limit = Some(40.0);
    });
    assert!(
        run.duration >= Duration::from_millis(450),
        "{:?}",
        run.duration
    );
}
