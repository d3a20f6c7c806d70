//! One run against one target: preflight, generate the cases from a seeded
//! proptest runner, send them concurrently, judge each answer as it arrives,
//! judge stability across answers, then shrink each failed check's first
//! failing case to a minimal one by re-sending simplified variants.
//!
//! proptest's own runner is sequential; here the value trees come from a
//! seeded `TestRunner`, their current values are sent concurrently, and only
//! failures are shrunk (`ValueTree::simplify` / `complicate`) afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;
use session_schemas::{Mode, Outcome};
use tokio::sync::mpsc;

use crate::case::{self, CaseSpace, CredentialCase, RequestCase};
use crate::checks::{CheckId, CheckSet, Finding, Judge, Severity, Verdict, excerpt};
use crate::error::CliError;
use crate::exec::{Executor, Failure, Limits, Observation};
use crate::secret::Redactor;
use crate::target::Target;
use crate::wire::Wire;

/// How a run goes, the same for every target.
#[derive(Debug, Clone)]
pub struct Settings {
    pub cases: u32,
    pub seed: u64,
    pub limits: Limits,
    pub max_response_time: Duration,
    pub clock_skew: Duration,
    pub schema_mode: Mode,
    /// Warnings count as errors.
    pub strict: bool,
    pub checks: CheckSet,
    /// Requests spent shrinking one failure, at most.
    pub max_shrink: u32,
    /// Failures kept per check, with their details.
    pub examples: usize,
}

/// Pass, fail and skip counts of one check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Tally {
    pub check: CheckId,
    pub severity: Severity,
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

/// One failing case, as sent and, if shrinking found one, as minimal.
#[derive(Debug, Clone)]
pub struct Failed {
    pub check: CheckId,
    pub index: usize,
    pub case: RequestCase,
    pub status: Option<u16>,
    pub finding: Finding,
    pub body: Option<String>,
    pub curl: String,
    pub shrunk: Option<Shrunk>,
}

/// The minimal case shrinking reached.
#[derive(Debug, Clone)]
pub struct Shrunk {
    pub case: RequestCase,
    pub status: Option<u16>,
    pub finding: Finding,
    pub curl: String,
    /// Simplifications that kept the failure.
    pub steps: u32,
    /// Requests sent while shrinking.
    pub requests: u32,
}

/// Everything one target's run found.
#[derive(Debug, Clone)]
pub struct TargetRun {
    pub name: String,
    pub contract: String,
    pub url: String,
    pub cases: u32,
    pub seed: u64,
    /// Requests sent, including the preflight and shrinking.
    pub requests: u64,
    /// Time spent sending and judging the cases (not shrinking).
    pub duration: Duration,
    pub tallies: Vec<Tally>,
    pub failures: Vec<Failed>,
    pub notes: Vec<String>,
}

impl TargetRun {
    pub fn cases_per_second(&self) -> f64 {
        let secs = self.duration.as_secs_f64();
        if secs > 0.0 {
            f64::from(self.cases) / secs
        } else {
            0.0
        }
    }

    /// Checks that failed at error severity.
    pub fn errors(&self) -> impl Iterator<Item = &Tally> {
        self.tallies
            .iter()
            .filter(|t| t.failed > 0 && t.severity == Severity::Error)
    }

    pub fn conformant(&self) -> bool {
        self.errors().next().is_none()
    }

    pub fn failed_checks(&self) -> Vec<CheckId> {
        self.tallies
            .iter()
            .filter(|t| t.failed > 0)
            .map(|t| t.check)
            .collect()
    }
}

/// The cases of a run: the first `n` values from the seeded runner.
pub fn generate(target: &Target, seed: u64, n: usize) -> Vec<RequestCase> {
    let strategy = case::strategy(&CaseSpace::of(target));
    let mut runner = seeded(seed);
    (0..n)
        .filter_map(|_| strategy.new_tree(&mut runner).ok())
        .map(|tree| tree.current())
        .collect()
}

fn seeded(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// Runs every case against one target.
pub async fn run_target(
    target: &Target,
    settings: &Settings,
    progress: &ProgressBar,
) -> Result<TargetRun, CliError> {
    let executor = Arc::new(Executor::new(settings.limits)?);
    let redactor = Redactor::new(target.secrets().cloned());
    let mut notes = Vec::new();
    if let Some(note) = preflight(target, settings, &executor, &redactor).await? {
        notes.push(note);
    }
    if target.credential.is_none() {
        notes.push(
            "no valid credential given: only cases without one ran (no authenticated answers, no stability)"
                .to_owned(),
        );
    }
    if target.revoked.is_none() && settings.checks.needs_oracle() {
        notes.push("no revoked credential given: the revoked outcome was not exercised".to_owned());
    }
    let judge = Judge {
        target,
        redactor: &redactor,
        checks: &settings.checks,
        schema_mode: settings.schema_mode,
        clock_skew: settings.clock_skew,
        max_response_time: settings.max_response_time,
        max_body: settings.limits.max_body,
    };

    let started = Instant::now();
    let cases = Arc::new(generate(target, settings.seed, settings.cases as usize));
    progress.set_length(cases.len() as u64);
    let mut receiver = spawn_workers(&executor, target, &cases, settings.limits.concurrency);
    let mut tallies: BTreeMap<CheckId, Tally> = settings
        .checks
        .iter()
        .map(|check| {
            (
                check,
                Tally {
                    check,
                    severity: effective(check, settings.strict),
                    passed: 0,
                    failed: 0,
                    skipped: 0,
                },
            )
        })
        .collect();
    let mut failures: BTreeMap<CheckId, Vec<Failed>> = BTreeMap::new();
    let mut answers: Vec<(usize, Observation, Value)> = Vec::new();
    let mut seen = vec![false; cases.len()];
    let mut record = |check: CheckId, verdict: Verdict, index: usize, observation: &Observation| {
        let Some(tally) = tallies.get_mut(&check) else {
            return;
        };
        match verdict {
            Verdict::Pass => tally.passed += 1,
            Verdict::Skip => tally.skipped += 1,
            Verdict::Fail(finding) => {
                tally.failed += 1;
                // Keep the failures of the lowest-numbered cases: the report
                // does not depend on which answer came back first.
                let kept = failures.entry(check).or_default();
                if kept.len() < settings.examples || kept.last().is_some_and(|f| f.index > index) {
                    let at = kept.partition_point(|f| f.index < index);
                    kept.insert(
                        at,
                        failed(
                            check,
                            index,
                            &cases[index],
                            observation,
                            finding,
                            target,
                            &redactor,
                        ),
                    );
                    kept.truncate(settings.examples.max(1));
                }
            }
        }
    };
    while let Some((index, observation)) = receiver.recv().await {
        seen[index] = true;
        progress.inc(1);
        let judgement = judge.judge(&cases[index], &observation);
        for (check, verdict) in judgement.verdicts {
            record(check, verdict, index, &observation);
        }
        if let Some(body) = judgement.session
            && cases[index].is_valid_credential()
        {
            answers.push((index, observation, body));
        }
    }
    // A worker that died (a bug) leaves cases unanswered: report, never hide.
    for index in (0..cases.len()).filter(|i| !seen[*i]) {
        let observation = Observation {
            sent: Duration::ZERO,
            done: Duration::ZERO,
            received_at: time::OffsetDateTime::now_utc(),
            result: Err(Failure::Request(
                "the worker sending this case stopped".to_owned(),
            )),
        };
        for (check, verdict) in judge.judge(&cases[index], &observation).verdicts {
            record(check, verdict, index, &observation);
        }
    }
    for (position, verdict) in judge.stability(&answers) {
        let (index, observation, _) = &answers[position];
        record(CheckId::Stability, verdict, *index, observation);
    }
    let duration = started.elapsed();
    progress.finish_and_clear();

    let mut requests = 1 + cases.len() as u64;
    let mut failures: Vec<Failed> = failures.into_values().flatten().collect();
    let mut shrunk_checks = Vec::new();
    // Shrinking takes at most as long as the cases did (at least a second),
    // plus the request in flight: against a target that times out, a run
    // stays within a small multiple of cases x timeout / concurrency.
    let shrink_deadline = Instant::now() + duration.max(Duration::from_secs(1));
    for failure in &mut failures {
        if failure.check == CheckId::Stability || shrunk_checks.contains(&failure.check) {
            continue;
        }
        shrunk_checks.push(failure.check);
        let shrunk = shrink(&judge, &executor, settings, failure, shrink_deadline).await;
        if let Some(shrunk) = &shrunk {
            requests += u64::from(shrunk.requests);
        }
        failure.shrunk = shrunk.filter(|s| s.steps > 0);
    }
    Ok(TargetRun {
        name: target.name.clone(),
        contract: target.contract.name.clone(),
        url: target.url(),
        cases: cases.len() as u32,
        seed: settings.seed,
        requests,
        duration,
        tallies: tallies.into_values().collect(),
        failures,
        notes,
    })
}

fn effective(check: CheckId, strict: bool) -> Severity {
    if strict {
        Severity::Error
    } else {
        check.severity()
    }
}

fn failed(
    check: CheckId,
    index: usize,
    case: &RequestCase,
    observation: &Observation,
    finding: Finding,
    target: &Target,
    redactor: &Redactor,
) -> Failed {
    let reply = observation.reply();
    Failed {
        check,
        index,
        case: case.clone(),
        status: reply.map(|r| r.status),
        finding,
        body: reply.map(|r| excerpt(redactor, &r.body)),
        curl: Wire::build(case, target).curl(target),
        shrunk: None,
    }
}

/// Sends the valid credential (or none) once: the target must answer, and
/// accept the credential if the checks rely on it.
/// One plain request before the cases. It stops the run (exit 2) only when
/// nothing is listening, or when the target cleanly rejects the valid
/// credential (the answer the contract gives a bad one): both mean a wrong
/// `--base-url` or credential, and every case would fail for it. A target
/// that answers badly (times out, breaks the connection, sends garbage) is
/// what the run is for: it goes on, and the checks name each problem.
async fn preflight(
    target: &Target,
    settings: &Settings,
    executor: &Executor,
    redactor: &Redactor,
) -> Result<Option<String>, CliError> {
    let credential = if target.credential.is_some() {
        CredentialCase::Valid
    } else {
        CredentialCase::Absent
    };
    let case = RequestCase::plain(credential.clone());
    let observation = executor.send(&Wire::build(&case, target), target).await;
    let reply = match observation.result {
        Ok(reply) => reply,
        Err(Failure::Refused(message)) => {
            return Err(CliError::Target(format!(
                "cannot reach {} ({}): {message}; is the server running, and is --base-url right?",
                target.url(),
                target.name
            )));
        }
        Err(failure) => {
            return Ok(Some(redactor.redact(&format!(
                "the first plain request got no answer ({failure}); the run went on"
            ))));
        }
    };
    if credential != CredentialCase::Valid || !settings.checks.needs_oracle() {
        return Ok(None);
    }
    let body = serde_json::from_slice::<Value>(&reply.body).ok();
    if body
        .as_ref()
        .is_some_and(|b| target.contract.claims_session(reply.status, b))
    {
        return Ok(None);
    }
    let rejections = [
        target.contract.outcome(Outcome::Unauthenticated).status,
        target.contract.outcome(Outcome::Revoked).status,
        401,
        403,
    ];
    if body.is_none() || !rejections.contains(&reply.status) {
        return Ok(Some(format!(
            "the first plain request with the valid credential got {} {}; the run went on",
            reply.status,
            excerpt(redactor, &reply.body)
        )));
    }
    let wanted = target.contract.outcome(Outcome::Authenticated);
    let var = target.credential.as_ref().map_or("", |s| s.var());
    Err(CliError::Target(format!(
        "{} ({}) did not accept the credential: a plain request with it got {} {}, not {} with a session. \
         Check ${var} (it must stay valid for the whole run) and --path; \
         or run only the checks that need no credential with `--checks response`",
        target.url(),
        target.name,
        reply.status,
        excerpt(redactor, &reply.body),
        wanted.status,
    )))
}

/// Sends every case with `concurrency` workers; answers arrive in completion
/// order. The channel is bounded: if judging falls behind, sending waits, so
/// memory holds a few bodies, not the whole run's.
fn spawn_workers(
    executor: &Arc<Executor>,
    target: &Target,
    cases: &Arc<Vec<RequestCase>>,
    concurrency: usize,
) -> mpsc::Receiver<(usize, Observation)> {
    let (sender, receiver) = mpsc::channel(concurrency.max(1) * 4);
    let next = Arc::new(AtomicUsize::new(0));
    let target = Arc::new(target.clone());
    for _ in 0..concurrency.max(1) {
        let (executor, target, cases, next, sender) = (
            Arc::clone(executor),
            Arc::clone(&target),
            Arc::clone(cases),
            Arc::clone(&next),
            sender.clone(),
        );
        tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(index) else {
                    break;
                };
                let observation = executor.send(&Wire::build(case, &target), &target).await;
                if sender.send((index, observation)).await.is_err() {
                    break;
                }
            }
        });
    }
    receiver
}

/// Re-sends simpler variants of a failing case while the check keeps
/// failing; returns the simplest failing one.
async fn shrink(
    judge: &Judge<'_>,
    executor: &Executor,
    settings: &Settings,
    failure: &Failed,
    deadline: Instant,
) -> Option<Shrunk> {
    let target = judge.target;
    let strategy = case::strategy(&CaseSpace::of(target));
    let mut runner = seeded(settings.seed);
    let mut tree = None;
    for _ in 0..=failure.index {
        tree = strategy.new_tree(&mut runner).ok();
    }
    let mut tree = tree?;
    if tree.current() != failure.case {
        return None; // cannot happen with the same seed; never shrink the wrong case
    }
    let mut best: Option<Shrunk> = None;
    let mut requests = 0;
    let mut steps = 0;
    if !tree.simplify() {
        return None;
    }
    while requests < settings.max_shrink && Instant::now() < deadline {
        requests += 1;
        let candidate = tree.current();
        let wire = Wire::build(&candidate, target);
        let observation = executor.send(&wire, target).await;
        let verdict = judge
            .judge(&candidate, &observation)
            .verdicts
            .into_iter()
            .find(|(c, _)| *c == failure.check)
            .map(|(_, v)| v);
        if let Some(Verdict::Fail(finding)) = verdict {
            steps += 1;
            best = Some(Shrunk {
                curl: wire.curl(target),
                status: observation.reply().map(|r| r.status),
                case: candidate,
                finding,
                steps,
                requests,
            });
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    if let Some(best) = &mut best {
        best.requests = requests;
    }
    best
}
