//! Shared pieces: targets for the test backends, run settings, a runtime.

use std::time::Duration;

use session_conformance::checks::{CheckId, CheckSet};
use session_conformance::run::{Progress, Settings, TargetRun, run_target};
use session_conformance::secret::Secret;
use session_conformance::selftest;
use session_conformance::target::{Carrier, Target};
use session_schemas::Registry;

use crate::backend::{Api, COOKIE, REVOKED, VALID};

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Full checks, a fixed seed, enough cases to meet every case kind.
pub(crate) fn settings(cases: u32) -> Settings {
    let mut settings = selftest::settings(cases, 20261122, CheckSet::all());
    settings.max_response_time = Duration::from_secs(2);
    settings
}

/// A target for a test backend, with the valid and the revoked credential.
pub(crate) fn target(api: Api, base_url: &str) -> Target {
    let (contract, carrier, var) = match api {
        Api::SessionApi => ("session-api", Carrier::Bearer, "SESSION_TOKEN"),
        Api::Authjs => (
            "authjs",
            Carrier::Cookie {
                name: COOKIE.to_owned(),
            },
            "SESSION_COOKIE",
        ),
    };
    let contract = Registry::builtin().get(contract).expect("contract");
    Target {
        name: contract.name.clone(),
        contract,
        base_url: base_url.to_owned(),
        path: contract.path.clone(),
        carrier,
        credential: Some(Secret::new(VALID, var)),
        revoked: Some(Secret::new(
            REVOKED,
            format!("SESSION_REVOKED_{}", &var[8..]),
        )),
        expired: None,
        sign_in: None,
        ca_pem: None,
    }
}

pub(crate) async fn run(target: &Target, settings: &Settings) -> TargetRun {
    run_target(
        target,
        settings,
        &mut Progress::hidden(),
        "session-conformance check",
    )
    .await
    .expect("the run completes")
}

/// The names of the checks that failed, for readable assertions.
pub(crate) fn failed(run: &TargetRun) -> Vec<&'static str> {
    run.failed_checks().into_iter().map(CheckId::name).collect()
}
