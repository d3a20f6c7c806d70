//! The runner against the mock, in process, in configurations whose verdicts
//! are known. If runner and mock disagree about a contract, one of them is
//! wrong; these six claims are what `self-test` proves and what the tests
//! assert:
//!
//! 1. the full check passes against the auth-aware mock (with a credential it
//!    issued) for every contract;
//! 2. the `response` checks pass against the mock pinned to each documented
//!    scenario;
//! 3. pinned to each off-contract scenario, the `response` checks fail on the
//!    reason it is off-contract: `status-documented` for an undocumented
//!    status, `body-schema` for a body the documented status does not allow;
//! 4. the full check against the mock pinned to its signed-in scenario
//!    (`valid` in both built-ins) fails on
//!    `auth-bypass` (that mock gives anyone a session: a correct finding);
//! 5. the lifecycle checks pass against the auth-aware mock: for authjs with
//!    the runner signing in by itself (`--sign-in authjs`), every one of
//!    them; for session-api, `expired-credential` (with a session the admin
//!    API made expired);
//! 6. against the mock with `--session-strategy jwt` (sign-out forgets
//!    nothing, as Auth.js's JWT sessions do), `sign-out-ends-session`
//!    fails, and nothing else does.

use std::time::Duration;

use session_mock::Keyring;
use session_mock::{AuthMode, MockConfig, MockServer, Mount, SessionStrategy};
use session_mock::{DEFAULT_PASSWORD, DEFAULT_USER};
use session_schemas::{Contract, Mode, Registry};

use crate::checks::{CheckId, CheckSet, Group};
use crate::error::CliError;
use crate::exec::Limits;
use crate::run::{Progress, Settings, TargetRun, run_target};
use crate::secret::Secret;
use crate::target::{AuthJsLogin, SignIn};
use crate::target::{Carrier, Target};

/// The revoked credential the self-test's mock is told about.
const REVOKED: &str = "smk1.revoked-self-test.0000";

/// One claim and whether it held.
#[derive(Debug, Clone)]
pub struct Claim {
    pub statement: String,
    pub holds: bool,
    /// What the run found, for people.
    pub evidence: String,
}

/// Settings for a self-test run.
pub fn settings(cases: u32, seed: u64, checks: CheckSet) -> Settings {
    Settings {
        cases,
        seed,
        limits: Limits {
            timeout: Duration::from_secs(5),
            max_body: 1024 * 1024,
            concurrency: 8,
            rate_limit: None,
        },
        max_response_time: Duration::from_secs(2),
        clock_skew: Duration::from_secs(5),
        schema_mode: Mode::Lenient,
        strict: false,
        checks,
        max_shrink: 32,
        examples: 5,
    }
}

/// The mock as runner tests serve it: both contracts on a free loopback
/// port, no journal or admin API, `auth`, one `revoked` credential; and a
/// token it issued, valid whenever `auth` checks credentials.
pub fn mock_config(auth: AuthMode, revoked: &str) -> (MockConfig, String) {
    let mut config = MockConfig::defaults();
    config.listen = ([127, 0, 0, 1], 0).into();
    config.journal_size = 0;
    config.admin = false;
    config.auth = auth;
    config.revoked = vec![revoked.to_owned()];
    let token = Keyring::new(&config.signing_key, AuthMode::Known, vec![], vec![], vec![])
        .issue("self-test");
    (config, token)
}

/// Starts the mock for `contract` (auth-aware when `pinned` is None,
/// otherwise serving that scenario to everyone) and runs the runner on it.
pub async fn against_mock(
    contract: &'static Contract,
    pinned: Option<&str>,
    settings: &Settings,
) -> Result<TargetRun, CliError> {
    let auth = if pinned.is_some() {
        AuthMode::Off
    } else {
        AuthMode::Known
    };
    let (mut config, token) = mock_config(auth, REVOKED);
    mount_only(&mut config, contract);
    for mount in &mut config.mounts {
        if let Some(name) = pinned {
            mount.scenario = contract.scenario(name)?.name.clone();
        }
    }
    let carrier = Carrier::of(contract, None);
    let var = carrier.var();
    let server = MockServer::start(config)
        .await
        .map_err(|e| CliError::Target(format!("cannot start the mock: {e}")))?;
    let target = Target {
        name: match pinned {
            Some(s) => format!("{} pinned to {s}", contract.name),
            None => format!("{} auth-aware", contract.name),
        },
        contract,
        base_url: format!("http://{}", server.addr()),
        path: contract.path.clone(),
        carrier,
        credential: Some(Secret::new(token, var)),
        revoked: Some(Secret::new(
            REVOKED,
            format!("SESSION_REVOKED_{}", &var[8..]),
        )),
        expired: None,
        sign_in: None,
        ca_pem: None,
    };
    run_then_stop(server, &target, settings).await
}

/// Starts the auth-aware mock for `contract` with its admin API and
/// `strategy`, and runs the full check on it with the runner signing in by
/// itself (authjs; session-api with a token the mock issued) and an expired
/// credential made through the admin API.
pub async fn lifecycle_against_mock(
    contract: &'static Contract,
    strategy: SessionStrategy,
    settings: &Settings,
) -> Result<TargetRun, CliError> {
    let (mut config, token) = mock_config(AuthMode::Known, REVOKED);
    mount_only(&mut config, contract);
    config.admin = true;
    config.session_strategy = strategy;
    let server = MockServer::start(config)
        .await
        .map_err(|e| CliError::Target(format!("cannot start the mock: {e}")))?;
    let base_url = format!("http://{}", server.addr());
    let expired = expired_credential(&base_url, contract).await;
    let carrier = Carrier::of(contract, None);
    let var = carrier.var();
    let expired_var = format!("SESSION_EXPIRED_{}", &var[8..]);
    let sign_in = (contract.protocol == Some(session_schemas::Protocol::AuthJs)).then(|| {
        SignIn::AuthJs(AuthJsLogin {
            user: Secret::new(DEFAULT_USER, "SESSION_USER"),
            password: Secret::new(DEFAULT_PASSWORD, "SESSION_PASSWORD").masked_only(),
            user_field: "username".to_owned(),
            base: crate::target::authjs_base(&contract.path)
                .unwrap_or_default()
                .to_owned(),
        })
    });
    let target = Target {
        name: format!("{} lifecycle ({strategy:?} sessions)", contract.name).to_lowercase(),
        contract,
        base_url,
        path: contract.path.clone(),
        carrier,
        credential: sign_in.is_none().then(|| Secret::new(token, var)),
        revoked: None,
        expired: match expired {
            Ok(value) => Some(Secret::new(value, expired_var)),
            Err(e) => {
                server.stop().await;
                return Err(e);
            }
        },
        sign_in,
        ca_pem: None,
    };
    run_then_stop(server, &target, settings).await
}

/// A credential of a session the mock's admin API made already expired.
async fn expired_credential(base_url: &str, contract: &Contract) -> Result<String, CliError> {
    let failed = |why: String| CliError::Target(format!("the mock's admin API: {why}"));
    let client = crate::exec::client_builder()
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let reply = client
        .post(format!("{base_url}/__mock/sessions"))
        .body(format!(
            r#"{{"contract": "{}", "state": "expired"}}"#,
            contract.name
        ))
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let bytes = reply.bytes().await.map_err(|e| failed(e.to_string()))?;
    let body: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| failed(e.to_string()))?;
    body["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| failed(format!("no token in {body}")))
}

/// The lifecycle checks that passed in a run.
pub fn lifecycle_passed(run: &TargetRun) -> Vec<CheckId> {
    run.tallies
        .iter()
        .filter(|t| t.check.group() == Group::Lifecycle && t.passed > 0 && t.failed == 0)
        .map(|t| t.check)
        .collect()
}

/// The lifecycle checks the runner can judge against the mock for `contract`.
pub fn lifecycle_expected(contract: &Contract) -> Vec<CheckId> {
    if contract.protocol == Some(session_schemas::Protocol::AuthJs) {
        CheckId::ALL
            .into_iter()
            .filter(|c| c.group() == Group::Lifecycle)
            .collect()
    } else {
        vec![CheckId::ExpiredCredential]
    }
}

/// The mock serves `contract` alone, the very one the runner judges by
/// (built in or loaded from a file), at its default path and scenario.
fn mount_only(config: &mut MockConfig, contract: &'static Contract) {
    config.mounts = vec![Mount {
        contract,
        path: contract.path.clone(),
        scenario: contract
            .outcome(session_schemas::Outcome::Authenticated)
            .name
            .clone(),
        overrides: None,
        upstream: None,
    }];
}

/// Runs the runner on `target`, then stops the mock serving it.
async fn run_then_stop(
    server: MockServer,
    target: &Target,
    settings: &Settings,
) -> Result<TargetRun, CliError> {
    let run = run_target(
        target,
        settings,
        &mut Progress::hidden(),
        "session-conformance self-test",
    )
    .await;
    server.stop().await;
    run
}

/// Runs all six claims for every contract.
pub async fn claims(
    registry: &'static Registry,
    cases: u32,
    seed: u64,
) -> Result<Vec<Claim>, CliError> {
    let all = settings(cases, seed, CheckSet::all());
    let response = settings(
        cases,
        seed,
        CheckSet::parse("response").map_err(CliError::Usage)?,
    );
    let mut claims = Vec::new();
    for contract in registry.contracts() {
        let contract: &'static Contract = contract;
        let run = against_mock(contract, None, &all).await?;
        claims.push(claim(
            format!(
                "{}: the full check passes against the auth-aware mock",
                contract.name
            ),
            run.failed_checks().is_empty(),
            &run,
        ));
        claims.extend(scenario_claims(contract, &response).await?);
        // The signed-in scenario, whatever the manifest names it.
        let signed_in = &contract
            .outcome(session_schemas::Outcome::Authenticated)
            .name;
        let run = against_mock(contract, Some(signed_in), &all).await?;
        claims.push(claim(
            format!(
                "{}: the full check against the mock pinned to `{signed_in}` finds the auth bypass",
                contract.name
            ),
            run.failed_checks().contains(&CheckId::AuthBypass),
            &run,
        ));
        claims.extend(lifecycle_claims(contract, &all).await?);
    }
    Ok(claims)
}

/// One claim per scenario: a documented one passes the response checks, an
/// off-contract one fails exactly the check its status calls for.
async fn scenario_claims(
    contract: &'static Contract,
    response: &Settings,
) -> Result<Vec<Claim>, CliError> {
    let mut claims = Vec::new();
    for scenario in &contract.scenarios {
        let run = against_mock(contract, Some(&scenario.name), response).await?;
        let failed = run.failed_checks();
        if scenario.is_documented() {
            claims.push(claim(
                format!(
                    "{}: the response checks pass against the mock pinned to `{}`",
                    contract.name, scenario.name
                ),
                failed.is_empty(),
                &run,
            ));
        } else {
            let reason = off_contract_check(contract, scenario.status);
            claims.push(claim(
                format!(
                    "{}: pinned to off-contract `{}`, the response checks fail on {reason}",
                    contract.name, scenario.name
                ),
                failed == [reason],
                &run,
            ));
        }
    }
    Ok(claims)
}

/// The lifecycle claims: they pass against the auth-aware mock; for
/// Auth.js, a mock whose sign-out forgets nothing fails sign-out alone.
async fn lifecycle_claims(
    contract: &'static Contract,
    all: &Settings,
) -> Result<Vec<Claim>, CliError> {
    let mut claims = Vec::new();
    let run = lifecycle_against_mock(contract, SessionStrategy::Database, all).await?;
    claims.push(claim(
        format!(
            "{}: the lifecycle checks ({}) pass against the auth-aware mock",
            contract.name,
            lifecycle_expected(contract)
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        run.failed_checks().is_empty() && lifecycle_passed(&run) == lifecycle_expected(contract),
        &run,
    ));
    if contract.protocol == Some(session_schemas::Protocol::AuthJs) {
        let run = lifecycle_against_mock(contract, SessionStrategy::Jwt, all).await?;
        claims.push(claim(
            format!(
                "{}: against the mock whose sign-out forgets nothing (--session-strategy jwt), sign-out-ends-session fails alone",
                contract.name
            ),
            run.failed_checks() == [CheckId::SignOutEndsSession],
            &run,
        ));
    }
    Ok(claims)
}

/// The check an off-contract scenario must fail: its status is not
/// documented, or its body is not what the documented status allows.
pub fn off_contract_check(contract: &Contract, status: u16) -> CheckId {
    if contract.is_documented(status) {
        CheckId::BodySchema
    } else {
        CheckId::StatusDocumented
    }
}

fn claim(statement: String, holds: bool, run: &TargetRun) -> Claim {
    let failed: Vec<&str> = run.failed_checks().iter().map(|c| c.name()).collect();
    Claim {
        statement,
        holds,
        evidence: format!(
            "{} cases, failed checks: {}",
            run.cases,
            if failed.is_empty() {
                "none".to_owned()
            } else {
                failed.join(", ")
            }
        ),
    }
}
