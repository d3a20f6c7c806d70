//! The runner signing in by itself and judging the session's life, against
//! wiremock-rs servers that implement sign-in and sign-out correctly and
//! with one planted defect each: each defect is caught by its named check
//! and nothing else fails; the correct server passes everything.

use session_conformance::checks::{CheckId, Group};
use session_conformance::run::TargetRun;
use session_conformance::secret::Secret;
use session_conformance::target::Target;
use session_conformance::target::{AuthJsLogin, SignIn};

use crate::backend::Api;
use crate::life_server::{self, Defect, EXPIRED, PASSWORD, USER};
use crate::util::{failed, run, runtime, settings, target};

/// The target with no credential of its own: the runner signs in.
fn signed_in_target(api: Api, base_url: &str) -> Target {
    let mut target = target(api, base_url);
    target.credential = None;
    target.revoked = None;
    let (var, sign_in) = match api {
        Api::Authjs => (
            "SESSION_EXPIRED_COOKIE",
            SignIn::AuthJs(AuthJsLogin {
                user: Secret::new(USER, "SESSION_USER"),
                password: Secret::new(PASSWORD, "SESSION_PASSWORD").masked_only(),
                user_field: "username".to_owned(),
                base: "/api/auth".to_owned(),
            }),
        ),
        Api::SessionApi => (
            "SESSION_EXPIRED_TOKEN",
            SignIn::Command {
                sign_in: r#"curl -sSf -X POST "$SESSION_BASE_URL/test/sign-in""#.to_owned(),
                sign_out: Some(
                    r#"curl -sSf -X POST -H "Authorization: Bearer $SESSION_CREDENTIAL" "$SESSION_BASE_URL/test/sign-out""#
                        .to_owned(),
                ),
            },
        ),
    };
    target.expired = Some(Secret::new(EXPIRED, var));
    target.sign_in = Some(sign_in);
    target
}

fn run_against(api: Api, defect: Defect) -> TargetRun {
    runtime().block_on(async {
        let server = life_server::start(api, defect).await;
        run(&signed_in_target(api, &server.uri()), &settings(48)).await
    })
}

const EVERY_LIFECYCLE_CHECK: [&str; 4] = [
    "sign-out-ends-session",
    "csrf-protected",
    "fresh-credential",
    "expired-credential",
];

fn lifecycle_passed(run: &TargetRun) -> Vec<&'static str> {
    run.tallies
        .iter()
        .filter(|t| t.check.group() == Group::Lifecycle && t.passed == 1)
        .map(|t| t.check.name())
        .collect()
}

#[test]
fn a_correct_auth_js_server_passes_every_check_signed_in_by_the_runner() {
    let run = run_against(Api::Authjs, Defect::None);
    assert!(failed(&run).is_empty(), "{:?}", run.failures);
    assert_eq!(lifecycle_passed(&run), EVERY_LIFECYCLE_CHECK);
    // The signed-in credential was used by the cases: authenticated answers came.
    let stability = run
        .tallies
        .iter()
        .find(|t| t.check == CheckId::Stability)
        .expect("stability");
    assert!(stability.passed > 0, "{:?}", run.tallies);
    assert!(run.notes.iter().any(|n| n.contains("signed in by itself")));
}

#[test]
fn each_planted_auth_js_defect_is_caught_by_its_check_alone() {
    for (defect, check) in [
        (Defect::SignOutForgetsNothing, "sign-out-ends-session"),
        (Defect::CsrfNotChecked, "csrf-protected"),
        (Defect::SameCredentialTwice, "fresh-credential"),
        (Defect::ExpiredAccepted, "expired-credential"),
    ] {
        let run = run_against(Api::Authjs, defect);
        assert_eq!(failed(&run), [check], "{defect:?}: {:#?}", run.failures);
        let failure = run.failures.iter().find(|f| f.check.name() == check);
        let failure = failure.expect("a failure");
        assert!(failure.case.is_none(), "a journey, not a case");
        assert!(
            failure.curl.ends_with(&format!("--checks {check}")),
            "{}",
            failure.curl
        );
        // No credential, password or cookie value in what a report shows.
        for text in std::iter::once(&failure.finding.message).chain(&failure.finding.details) {
            assert!(
                !text.contains(PASSWORD) && !text.contains("Q7xZQ7xZ"),
                "{text}"
            );
        }
    }
}

#[test]
fn sign_in_and_sign_out_commands_drive_any_backend() {
    let run = run_against(Api::SessionApi, Defect::None);
    assert!(failed(&run).is_empty(), "{:#?}", run.failures);
    assert_eq!(
        lifecycle_passed(&run),
        [
            "sign-out-ends-session",
            "fresh-credential",
            "expired-credential"
        ]
    );
    for (defect, check) in [
        (Defect::SignOutForgetsNothing, "sign-out-ends-session"),
        (Defect::SameCredentialTwice, "fresh-credential"),
        (Defect::ExpiredAccepted, "expired-credential"),
    ] {
        let run = run_against(Api::SessionApi, defect);
        assert_eq!(failed(&run), [check], "{defect:?}: {:#?}", run.failures);
    }
}

#[test]
fn sign_out_ends_session_is_a_warning_unless_strict() {
    let lenient = run_against(Api::Authjs, Defect::SignOutForgetsNothing);
    assert!(lenient.conformant(), "a warning by default");
    let strict = runtime().block_on(async {
        let server = life_server::start(Api::Authjs, Defect::SignOutForgetsNothing).await;
        let mut settings = settings(16);
        settings.strict = true;
        run(&signed_in_target(Api::Authjs, &server.uri()), &settings).await
    });
    assert!(!strict.conformant(), "an error with --strict");
}

#[test]
fn a_failed_sign_in_stops_the_run_saying_what_the_server_answered() {
    let error = runtime().block_on(async {
        let server = life_server::start(Api::Authjs, Defect::None).await;
        let mut target = signed_in_target(Api::Authjs, &server.uri());
        if let Some(SignIn::AuthJs(login)) = &mut target.sign_in {
            login.password = Secret::new("wrong password", "SESSION_PASSWORD").masked_only();
        }
        session_conformance::run::run_target(
            &target,
            &settings(8),
            &mut session_conformance::run::Progress::hidden(),
            "session-conformance check",
        )
        .await
        .expect_err("no run without a sign-in")
    });
    let text = error.to_string();
    assert!(text.contains("error=CredentialsSignin"), "{text}");
    assert!(text.contains("$SESSION_PASSWORD"), "{text}");
    assert!(!text.contains("wrong password"), "{text}");
}

/// The mock's validating proxy in front of a correct Auth.js server: the
/// runner signs in through it (CSRF cookie, credentials POST, chunked
/// session cookie, sign-out), every check passes, and the proxy judged the
/// session answers clean.
#[test]
fn the_auth_js_sign_in_works_through_the_validating_proxy() {
    let (run, summary) = runtime().block_on(async {
        let upstream = life_server::start(Api::Authjs, Defect::None).await;
        let mut config = session_mock::MockConfig::defaults();
        config.listen = "127.0.0.1:0".parse().expect("addr");
        config.mounts.retain(|m| m.contract.name == "authjs");
        let url = session_mock::testing::Upstream::parse(&upstream.uri()).expect("url");
        config.mounts[0].upstream = Some(url);
        let proxy = session_mock::MockServer::start(config)
            .await
            .expect("the proxy starts");
        let run = run(
            &signed_in_target(Api::Authjs, &proxy.url("")),
            &settings(48),
        )
        .await;
        let summary = proxy.proxy_summary().expect("proxied");
        proxy.stop().await;
        (run, summary)
    });
    assert!(failed(&run).is_empty(), "{:?}", run.failures);
    assert_eq!(lifecycle_passed(&run), EVERY_LIFECYCLE_CHECK);
    assert!(
        summary[0].starts_with("the upstream kept the contract in "),
        "{summary:?}"
    );
    assert_eq!(summary.len(), 1, "{summary:?}");
}
