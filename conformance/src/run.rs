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

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use proptest::strategy::{SBoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use session_schemas::{Mode, Outcome};
use tokio::sync::mpsc;

use crate::case::{self, CaseSpace, CredentialCase, RequestCase};
use crate::checks::{CheckId, CheckSet, Finding, Judge, Rules, Severity, Verdict, excerpt};
use crate::error::CliError;
use crate::exec::{Executor, Failure, Limits, Observation};
use crate::journey::Journey;
use crate::secret::Redactor;
use crate::signin::{Browser, Issued};
use crate::target::SignIn;
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

impl Tally {
    /// Counts one verdict; a failure's finding is handed back.
    fn count(&mut self, verdict: Verdict) -> Option<Finding> {
        match verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Skip => self.skipped += 1,
            Verdict::Fail(finding) => {
                self.failed += 1;
                return Some(finding);
            }
        }
        None
    }
}

/// One distinct failure: a check, what broke (the finding's key), how many
/// cases broke it that way, and the lowest-numbered of them as sent and, if
/// shrinking found one, as minimal.
#[derive(Debug, Clone)]
pub struct Failed {
    pub check: CheckId,
    /// What makes this failure distinct from the check's others.
    pub key: String,
    /// Cases that failed this way.
    pub count: u64,
    pub index: usize,
    /// The case; `None` for a lifecycle check (its steps are the finding's details).
    pub case: Option<RequestCase>,
    pub status: Option<u16>,
    pub finding: Finding,
    pub body: Option<String>,
    /// A command that reproduces it: `curl` for a case, the runner for a journey.
    pub curl: String,
    pub shrunk: Option<Shrunk>,
}

impl Failed {
    /// The case in words, or what a lifecycle check did.
    pub fn subject(&self) -> String {
        match &self.case {
            Some(case) => format!("case #{}: {case}", self.index),
            None => "the sign-in / sign-out journey".to_owned(),
        }
    }

    /// The reproduction: the minimal case's if shrinking found one.
    pub fn reproduce(&self) -> &str {
        self.shrunk.as_ref().map_or(&self.curl, |s| &s.curl)
    }
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

    /// Distinct failures at `severity`.
    pub fn distinct(&self, severity: Severity) -> usize {
        self.failures
            .iter()
            .filter(|f| self.severity_of(f.check) == Some(severity))
            .count()
    }

    fn severity_of(&self, check: CheckId) -> Option<Severity> {
        self.tallies
            .iter()
            .find(|t| t.check == check)
            .map(|t| t.severity)
    }
}

/// The progress bar on stderr: shown once a run has taken a second, with
/// cases done, failures so far and the rate; never when not wanted.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    wanted: bool,
    shown: bool,
    started: Instant,
}

impl Progress {
    pub fn hidden() -> Self {
        Self {
            bar: ProgressBar::hidden(),
            wanted: false,
            shown: false,
            started: Instant::now(),
        }
    }

    /// A bar for `name`'s cases, drawn on stderr after the first second.
    pub fn on_stderr(name: &str) -> Self {
        let bar = ProgressBar::hidden();
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} cases, {msg}, {per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(name.to_owned());
        bar.set_message("0 failed");
        Self {
            bar,
            wanted: true,
            shown: false,
            started: Instant::now(),
        }
    }

    fn tick(&mut self, failed: u64) {
        self.bar.inc(1);
        if !self.wanted {
            return;
        }
        if !self.shown && self.started.elapsed() >= Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        if self.shown {
            self.bar.set_message(format!("{failed} failed"));
        }
    }
}

/// The cases of a run: case `i` for every `i` below `n`.
pub fn generate(target: &Target, seed: u64, n: usize) -> Vec<RequestCase> {
    let strategy = case::strategy(&CaseSpace::of(target));
    (0..n)
        .filter_map(|index| case_tree(&strategy, seed, index))
        .map(|tree| tree.current())
        .collect()
}

/// Case `index` of a run as a value tree (to shrink it). It depends on the
/// seed and the index alone: workers draw their cases in parallel while
/// others are in flight, and shrinking finds case `i` without drawing the
/// cases before it.
pub fn case_tree(
    strategy: &SBoxedStrategy<RequestCase>,
    seed: u64,
    index: usize,
) -> Option<Box<dyn ValueTree<Value = RequestCase>>> {
    // The cases are drawn, not persisted as test failures: no failure
    // persistence, so a runner per case allocates nothing for it.
    static CONFIG: std::sync::LazyLock<Config> = std::sync::LazyLock::new(|| Config {
        failure_persistence: None,
        ..Config::default()
    });
    let mut runner = TestRunner::new_with_rng(
        CONFIG.clone(),
        session_schemas::stream_rng(seed, index as u64),
    );
    strategy.new_tree(&mut runner).ok()
}

/// Runs every case against one target.
pub async fn run_target(
    target: &Target,
    settings: &Settings,
    progress: &mut Progress,
    rerun: &str,
) -> Result<TargetRun, CliError> {
    let executor = Arc::new(Executor::new(settings.limits, target.ca_pem.as_deref())?);
    let mut notes = Vec::new();
    // Signed in by itself: the run's valid credential is a fresh one.
    let (signed_in, issued) = match &target.sign_in {
        Some(how) => {
            let (signed_in, issued) = sign_in_first(target, how, settings, &executor).await?;
            notes.push(signed_in_note(target, how, &signed_in));
            (Some(signed_in), Some(issued))
        }
        None => (None, None),
    };
    let target = signed_in.as_ref().unwrap_or(target);
    let redactor = Redactor::new(target.secrets().cloned());
    if let Some(note) = preflight(target, settings, &executor, &redactor).await? {
        notes.push(note);
    }
    notes.extend(coverage_notes(target, settings));
    let judge = judge_for(target, settings, &redactor);

    let started = Instant::now();
    let total = settings.cases as usize;
    let strategy = Arc::new(case::strategy(&CaseSpace::of(target)));
    let mut record = Record::new(settings, target, &redactor);
    let mut sent = send_cases(
        &judge,
        &executor,
        &strategy,
        settings,
        progress,
        &mut record,
    )
    .await;
    judge_unanswered(&judge, &strategy, settings.seed, &mut sent, &mut record);
    judge_stability(&judge, &sent, &mut record);
    let duration = started.elapsed();
    progress.bar.finish_and_clear();

    let Record {
        mut tallies,
        failures,
        ..
    } = record;
    let mut failures = failures.into_vec();
    shrink_failures(&judge, &executor, settings, &mut failures, duration).await;
    // The session's life last: a sign-out may end every session of the user.
    if settings.checks.has_lifecycle() {
        let browser = Browser {
            target,
            executor: &executor,
            redactor: &redactor,
            timeout: settings.limits.timeout,
        };
        let journey = browser
            .journey(target.sign_in.as_ref(), issued.as_ref())
            .await;
        notes.extend(journey.notes.iter().cloned());
        failures.extend(judge_journey(&judge, &journey, &mut tallies, rerun));
    }
    Ok(TargetRun {
        name: target.name.clone(),
        contract: target.contract.name.clone(),
        url: target.url(),
        cases: total as u32,
        seed: settings.seed,
        requests: executor.sent(),
        duration,
        tallies: tallies.into_values().collect(),
        failures,
        notes,
    })
}

/// Signs in once, before the cases: the target with the fresh credential.
async fn sign_in_first(
    target: &Target,
    how: &SignIn,
    settings: &Settings,
    executor: &Executor,
) -> Result<(Target, Issued), CliError> {
    let redactor = Redactor::new(target.secrets().cloned());
    let browser = Browser {
        target,
        executor,
        redactor: &redactor,
        timeout: settings.limits.timeout,
    };
    browser.establish(how).await
}

/// The run's note on how it signed in, and where reproductions find the credential.
fn signed_in_note(target: &Target, how: &SignIn, signed_in: &Target) -> String {
    format!(
        "signed in by itself ({}); reproductions read the credential from ${}: sign in and export it first",
        match how {
            SignIn::AuthJs(login) => format!(
                "Auth.js credentials flow at {}{}, as ${}",
                target.base_url,
                login.base,
                login.user.var()
            ),
            SignIn::Command { .. } => "--sign-in-cmd".to_owned(),
        },
        signed_in.credential.as_ref().map_or("", |s| s.var()),
    )
}

/// Notes on what the run could not exercise for want of a credential.
fn coverage_notes(target: &Target, settings: &Settings) -> Vec<String> {
    let mut notes = Vec::new();
    if target.credential.is_none() {
        notes.push(
            "no valid credential given: only cases without one ran (no authenticated answers, no stability)"
                .to_owned(),
        );
    }
    if target.revoked.is_none() && settings.checks.needs_oracle() {
        notes.push("no revoked credential given: the revoked outcome was not exercised".to_owned());
    }
    notes
}

/// The checks' judge for this target and run.
fn judge_for<'a>(target: &'a Target, settings: &'a Settings, redactor: &'a Redactor) -> Judge<'a> {
    Judge {
        target,
        rules: Rules {
            contract: target.contract,
            redactor,
            checks: &settings.checks,
            schema_mode: settings.schema_mode,
            clock_skew: settings.clock_skew,
            max_response_time: settings.max_response_time,
            max_body: settings.limits.max_body,
        },
    }
}

/// The tallies and distinct failures, as verdicts come in.
struct Record<'a> {
    tallies: BTreeMap<CheckId, Tally>,
    failures: Distinct,
    target: &'a Target,
    redactor: &'a Redactor,
}

impl<'a> Record<'a> {
    fn new(settings: &Settings, target: &'a Target, redactor: &'a Redactor) -> Self {
        let tallies = settings
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
        Self {
            tallies,
            failures: Distinct::new(settings.examples),
            target,
            redactor,
        }
    }

    /// Counts one verdict of a selected check; keeps a failure's example.
    fn add(
        &mut self,
        check: CheckId,
        verdict: Verdict,
        index: usize,
        case: &RequestCase,
        observation: &Observation,
    ) {
        let Some(tally) = self.tallies.get_mut(&check) else {
            return;
        };
        if let Some(finding) = tally.count(verdict) {
            let (target, redactor) = (self.target, self.redactor);
            self.failures.add(check, index, finding, |finding| {
                failed(check, index, case, observation, finding, target, redactor)
            });
        }
    }
}

/// What the cases brought back: the answers to the valid credential (for
/// stability) and each case as drawn, by index.
struct Sent {
    answers: Vec<(usize, Observation, Value)>,
    cases: Vec<Option<RequestCase>>,
}

/// Sends every case concurrently and judges each answer as it arrives.
async fn send_cases(
    judge: &Judge<'_>,
    executor: &Arc<Executor>,
    strategy: &Arc<SBoxedStrategy<RequestCase>>,
    settings: &Settings,
    progress: &mut Progress,
    record: &mut Record<'_>,
) -> Sent {
    let total = settings.cases as usize;
    progress.bar.set_length(total as u64);
    let mut receiver = spawn_workers(
        executor,
        judge.target,
        strategy,
        settings.seed,
        total,
        settings.limits.concurrency,
    );
    let mut sent = Sent {
        answers: Vec::new(),
        cases: vec![None; total],
    };
    let mut failed_so_far = 0;
    while let Some((index, case, observation)) = receiver.recv().await {
        let judgement = judge.judge(&case, &observation);
        if judgement
            .verdicts
            .iter()
            .any(|(_, v)| matches!(v, Verdict::Fail(_)))
        {
            failed_so_far += 1;
        }
        progress.tick(failed_so_far);
        for (check, verdict) in judgement.verdicts {
            record.add(check, verdict, index, &case, &observation);
        }
        if let Some(body) = judgement.session
            && case.is_valid_credential()
        {
            sent.answers.push((index, observation, body));
        }
        if let Some(slot) = sent.cases.get_mut(index) {
            *slot = Some(case);
        }
    }
    sent
}

/// A worker that died (a bug) leaves cases unanswered: report, never hide.
fn judge_unanswered(
    judge: &Judge<'_>,
    strategy: &SBoxedStrategy<RequestCase>,
    seed: u64,
    sent: &mut Sent,
    record: &mut Record<'_>,
) {
    let unanswered: Vec<usize> = (0..sent.cases.len())
        .filter(|i| sent.cases[*i].is_none())
        .collect();
    for index in unanswered {
        let Some(case) = case_tree(strategy, seed, index).map(|t| t.current()) else {
            continue;
        };
        let observation = Observation {
            sent: Duration::ZERO,
            done: Duration::ZERO,
            received_at: time::OffsetDateTime::now_utc(),
            result: Err(Failure::Request(
                "the worker sending this case stopped".to_owned(),
            )),
        };
        for (check, verdict) in judge.judge(&case, &observation).verdicts {
            record.add(check, verdict, index, &case, &observation);
        }
        sent.cases[index] = Some(case);
    }
}

/// The stability check across the valid credential's answers.
fn judge_stability(judge: &Judge<'_>, sent: &Sent, record: &mut Record<'_>) {
    for (position, verdict) in judge.stability(&sent.answers) {
        let (index, observation, _) = &sent.answers[position];
        if let Some(case) = &sent.cases[*index] {
            record.add(CheckId::Stability, verdict, *index, case, observation);
        }
    }
}

/// Shrinks each failure's first failing case. Shrinking takes at most as
/// long as the cases did (at least a second), plus the request in flight:
/// against a target that times out, a run stays within a small multiple of
/// cases x timeout / concurrency.
async fn shrink_failures(
    judge: &Judge<'_>,
    executor: &Executor,
    settings: &Settings,
    failures: &mut [Failed],
    cases_took: Duration,
) {
    let shrink_deadline = Instant::now() + cases_took.max(Duration::from_secs(1));
    for failure in failures {
        if failure.check == CheckId::Stability || failure.case.is_none() {
            continue;
        }
        let shrunk = shrink(judge, executor, settings, failure, shrink_deadline).await;
        failure.shrunk = shrunk.filter(|s| s.steps > 0);
    }
}

/// The lifecycle checks' verdicts on the journey, counted; their failures.
fn judge_journey(
    judge: &Judge<'_>,
    journey: &Journey,
    tallies: &mut BTreeMap<CheckId, Tally>,
    rerun: &str,
) -> Vec<Failed> {
    judge
        .judge_journey(journey)
        .into_iter()
        .filter_map(|(check, verdict)| lifecycle_failure(tallies, check, verdict, rerun))
        .collect()
}

/// Counts a lifecycle check's verdict; a failure, as the report shows it.
fn lifecycle_failure(
    tallies: &mut BTreeMap<CheckId, Tally>,
    check: CheckId,
    verdict: Verdict,
    rerun: &str,
) -> Option<Failed> {
    let finding = tallies.get_mut(&check)?.count(verdict)?;
    Some(Failed {
        check,
        key: finding.key.clone(),
        count: 1,
        index: 0,
        case: None,
        status: None,
        finding,
        body: None,
        curl: only_check(rerun, check),
        shrunk: None,
    })
}

/// The re-run command limited to one check (any `--checks` it had replaced).
fn only_check(rerun: &str, check: CheckId) -> String {
    let mut words: Vec<&str> = Vec::new();
    let mut skip = false;
    for word in rerun.split(' ') {
        if skip {
            skip = false;
        } else if word == "--checks" {
            skip = true;
        } else {
            words.push(word);
        }
    }
    format!("{} --checks {check}", words.join(" "))
}

/// Failures grouped by check and key, each with the lowest-numbered case
/// that failed that way. At most `limit` distinct failures per check; more
/// are counted under one "other" entry.
struct Distinct {
    limit: usize,
    groups: BTreeMap<(CheckId, String), Failed>,
    per_check: BTreeMap<CheckId, usize>,
}

const OTHER: &str = "(more distinct failures than the report keeps)";

impl Distinct {
    fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            groups: BTreeMap::new(),
            per_check: BTreeMap::new(),
        }
    }

    fn add(
        &mut self,
        check: CheckId,
        index: usize,
        finding: Finding,
        make: impl FnOnce(Finding) -> Failed,
    ) {
        let mut key = finding.key.clone();
        if !self.groups.contains_key(&(check, key.clone())) {
            let count = self.per_check.entry(check).or_default();
            if *count >= self.limit {
                key = OTHER.to_owned();
            } else {
                *count += 1;
            }
        }
        match self.groups.get_mut(&(check, key.clone())) {
            Some(group) => {
                group.count += 1;
                if index < group.index {
                    let count = group.count;
                    *group = make(finding);
                    group.count = count;
                    group.key = key;
                }
            }
            None => {
                let mut group = make(finding);
                group.key.clone_from(&key);
                self.groups.insert((check, key), group);
            }
        }
    }

    /// By check, then by the first case that failed each way.
    fn into_vec(self) -> Vec<Failed> {
        let mut failures: Vec<Failed> = self.groups.into_values().collect();
        failures.sort_by_key(|f| (f.check, f.key == OTHER, f.index));
        failures
    }
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
        key: finding.key.clone(),
        count: 1,
        index,
        case: Some(case.clone()),
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
            let hint = if message.contains("certificate") {
                "; if the server's certificate comes from a private CA, give that CA's certificate with --ca-cert FILE"
            } else {
                "; is the server running, and is --base-url right?"
            };
            return Err(CliError::Target(format!(
                "cannot reach {} ({}): {message}{hint}",
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
/// `concurrency` workers, each drawing the next case number, its case, and
/// sending it; what came back goes to the judging loop.
fn spawn_workers(
    executor: &Arc<Executor>,
    target: &Target,
    strategy: &Arc<SBoxedStrategy<RequestCase>>,
    seed: u64,
    total: usize,
    concurrency: usize,
) -> mpsc::Receiver<(usize, RequestCase, Observation)> {
    let (sender, receiver) = mpsc::channel(concurrency.max(1) * 4);
    let next = Arc::new(AtomicUsize::new(0));
    let target = Arc::new(target.clone());
    for _ in 0..concurrency.max(1) {
        let (executor, target, strategy, next, sender) = (
            Arc::clone(executor),
            Arc::clone(&target),
            Arc::clone(strategy),
            Arc::clone(&next),
            sender.clone(),
        );
        tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= total {
                    break;
                }
                let Some(case) = case_tree(&strategy, seed, index).map(|t| t.current()) else {
                    continue;
                };
                let observation = executor.send(&Wire::build(&case, &target), &target).await;
                if sender.send((index, case, observation)).await.is_err() {
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
    let mut tree = case_tree(&strategy, settings.seed, failure.index)?;
    if Some(tree.current()) != failure.case {
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
        if let Some(Verdict::Fail(finding)) = verdict
            && finding.key == failure.key
        {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lifecycle_reproduction_runs_that_check_alone() {
        assert_eq!(
            only_check(
                "session-conformance check -c authjs --checks lifecycle --strict",
                CheckId::CsrfProtected
            ),
            "session-conformance check -c authjs --strict --checks csrf-protected"
        );
        assert_eq!(
            only_check(
                "session-conformance check -c authjs",
                CheckId::FreshCredential
            ),
            "session-conformance check -c authjs --checks fresh-credential"
        );
    }
}
