//! The runner's side of judging. The checks themselves, the table of them
//! and the response checks' code live in `session_schemas::judge`, shared
//! with the mock's validating proxy; here is what only a run has: a case's
//! expected outcome and garbage, a failure to get any answer (`transport`),
//! the valid credential's answers together (`stability`) and the journey
//! through sign-in and sign-out (the lifecycle checks).

use serde_json::Value;
use session_schemas::Outcome;
pub use session_schemas::judge::{
    Check, CheckId, CheckSet, Finding, Group, How, Judgement, Rules, Sent, Severity, TABLE,
    Verdict, excerpt,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::case::RequestCase;
use crate::exec::{Failure, Observation};
use crate::journey::{Journey, Part};
use crate::signin::Replay;
use crate::target::Target;

/// What the checks need besides the response: the shared rules (with the
/// run's redactor), and the target they were made for.
#[derive(Debug)]
pub struct Judge<'a> {
    pub target: &'a Target,
    pub rules: Rules<'a>,
}

impl Judge<'_> {
    /// Every selected response check's verdict on one observation.
    pub fn judge(&self, case: &RequestCase, observation: &Observation) -> Judgement {
        let reply = match &observation.result {
            Err(failure) => {
                let verdicts = self
                    .rules
                    .checks
                    .iter()
                    .filter(|c| matches!(c.spec().how, How::Response(_)))
                    .map(|c| {
                        let v = if c == CheckId::Transport {
                            Verdict::Fail(
                                Finding::new(failure.to_string()).keyed(failure_kind(failure)),
                            )
                        } else {
                            Verdict::Skip
                        };
                        (c, v)
                    })
                    .collect();
                return Judgement {
                    verdicts,
                    session: None,
                };
            }
            Ok(reply) => reply,
        };
        let sent = Sent {
            expected: Some(case.expected()),
            garbage: case.garbage_tokens(),
        };
        self.rules
            .judge(&sent, reply, observation.received_at, observation.elapsed())
    }

    /// Every selected lifecycle check's verdict on one journey.
    pub fn judge_journey(&self, journey: &Journey) -> Vec<(CheckId, Verdict)> {
        self.rules
            .checks
            .iter()
            .filter_map(|c| lifecycle_judge(c).map(|judge| (c, judge(self, journey))))
            .collect()
    }

    /// The start of a body, redacted, for a report.
    pub fn excerpt(&self, body: &[u8]) -> String {
        excerpt(self.rules.redactor, body)
    }

    /// Stability across the answers to the valid credential, in the order
    /// the requests were sent: the identity fields never change, and a
    /// monotonic timestamp is never earlier than one from an answer that was
    /// complete before this request was sent. `answers` are `(case index,
    /// observation, body)`; each verdict names its answer's position there.
    pub fn stability(&self, answers: &[(usize, Observation, Value)]) -> Vec<(usize, Verdict)> {
        if !self.rules.checks.contains(CheckId::Stability) {
            return Vec::new();
        }
        let contract = self.rules.contract;
        let stamps = monotonic_stamps(contract, answers);
        let mut sent: Vec<usize> = (0..answers.len()).collect();
        sent.sort_by_key(|&p| (answers[p].1.sent, answers[p].0));
        let mut completed: Vec<usize> = (0..answers.len()).collect();
        completed.sort_by_key(|&p| (answers[p].1.done, answers[p].0));
        let prefix_max = latest_completed(contract.monotonic.len(), &stamps, &completed);
        let mut first: Vec<Option<&Value>> = vec![None; contract.identity.len()];
        let mut verdicts = Vec::new();
        for position in sent {
            let (_, observation, body) = &answers[position];
            let mut problems = Vec::new();
            let mut keys = Vec::new();
            self.identity_changes(body, &mut first, &mut keys, &mut problems);
            // An answer completes after its own request was sent, so the
            // prefix never includes the answer itself.
            let before = completed.partition_point(|&p| answers[p].1.done <= observation.sent);
            for (slot, pointer) in contract.monotonic.iter().enumerate() {
                if let (Some(now), Some(latest)) =
                    (stamps[position][slot], prefix_max[slot][before])
                    && now < latest
                {
                    keys.push(format!("{pointer} went backwards"));
                    problems.push(format!(
                        "{pointer} went backwards: {} after an earlier answer's {}",
                        format_time(now),
                        format_time(latest)
                    ));
                }
            }
            let verdict = if problems.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail(
                    Finding::new(problems[0].clone())
                        .keyed(keys.join("; "))
                        .with_details(problems),
                )
            };
            verdicts.push((position, verdict));
        }
        verdicts
    }

    /// Identity fields of `body` that differ from the first answer's
    /// (`first`, filled as answers come), as keys and problems.
    fn identity_changes<'v>(
        &self,
        body: &'v Value,
        first: &mut [Option<&'v Value>],
        keys: &mut Vec<String>,
        problems: &mut Vec<String>,
    ) {
        for (slot, pointer) in self.rules.contract.identity.iter().enumerate() {
            let Some(value) = body.pointer(pointer) else {
                continue;
            };
            match first[slot] {
                None => first[slot] = Some(value),
                Some(seen) if seen == value => {}
                Some(seen) => {
                    keys.push(format!("{pointer} changed"));
                    problems.push(format!(
                        "{pointer} changed for the same credential: {} then {}",
                        self.rules.redactor.redact(&seen.to_string()),
                        self.rules.redactor.redact(&value.to_string())
                    ));
                }
            }
        }
    }
}

/// Each answer's monotonic timestamps, parsed once.
fn monotonic_stamps(
    contract: &session_schemas::Contract,
    answers: &[(usize, Observation, Value)],
) -> Vec<Vec<Option<OffsetDateTime>>> {
    answers
        .iter()
        .map(|(_, _, body)| {
            contract
                .monotonic
                .iter()
                .map(|p| {
                    body.pointer(p)
                        .and_then(Value::as_str)
                        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
                })
                .collect()
        })
        .collect()
}

/// For each monotonic field, the latest value among the first k completed
/// answers: "before this request was sent" is a prefix of `completed`.
fn latest_completed(
    fields: usize,
    stamps: &[Vec<Option<OffsetDateTime>>],
    completed: &[usize],
) -> Vec<Vec<Option<OffsetDateTime>>> {
    (0..fields)
        .map(|slot| {
            let mut best = None;
            let mut out = vec![None];
            for &p in completed {
                best = best.max(stamps[p][slot]);
                out.push(best);
            }
            out
        })
        .collect()
}

fn failure_kind(failure: &Failure) -> String {
    match failure {
        Failure::Timeout { phase, .. } => format!("timeout ({phase})"),
        Failure::Refused(_) => "connection refused".to_owned(),
        Failure::Connection(_) => "connection broken".to_owned(),
        Failure::Request(_) => "request not built".to_owned(),
    }
}

fn decided<T>(part: Option<&Part<T>>) -> Result<(&T, Vec<String>), Verdict> {
    let Some(part) = part else {
        return Err(Verdict::Skip);
    };
    match &part.result {
        Err(broke) => Err(Verdict::Fail(
            Finding::new(broke.clone()).with_details(part.steps.clone()),
        )),
        Ok(found) => Ok((found, part.steps.clone())),
    }
}

/// The answer a replayed credential must get: no session, and the status
/// of the revoked or the unauthenticated outcome.
fn refused(judge: &Judge<'_>, replay: &Replay) -> bool {
    let contract = judge.rules.contract;
    !replay.session
        && (contract.outcome(Outcome::Revoked).status == replay.status
            || contract.outcome(Outcome::Unauthenticated).status == replay.status
            || contract.answer(contract.expired).0 == replay.status)
}

fn sign_out_ends_session(judge: &Judge<'_>, journey: &Journey) -> Verdict {
    let (replay, details) = match decided(journey.signed_out.as_ref()) {
        Ok(found) => found,
        Err(verdict) => return verdict,
    };
    Verdict::pass_if(refused(judge, replay), || {
        let message = if replay.session {
            "the credential still gets a session after sign-out: sign-out only asked the client to forget it".to_owned()
        } else {
            format!(
                "after sign-out the old credential got {}, neither the revoked nor the unauthenticated outcome",
                replay
            )
        };
        Finding::new(message).with_details(details)
    })
}

fn csrf_protected(judge: &Judge<'_>, journey: &Journey) -> Verdict {
    let (probe, details) = match decided(journey.csrf.as_ref()) {
        Ok(found) => found,
        Err(verdict) => return verdict,
    };
    let mut problems = Vec::new();
    if let Some(replay) = &probe.sign_in_replay
        && replay.session
    {
        problems.push(
            "a sign-in POST without the CSRF token signed in: the cookie it set gets a session"
                .to_owned(),
        );
    }
    if probe.sign_out_cleared {
        problems
            .push("a sign-out POST without the CSRF token cleared the session cookie".to_owned());
    }
    // Still a session is right; neither a session nor a refusal is the
    // oracle checks' to judge.
    if refused(judge, &probe.after_sign_out) {
        problems.push("a sign-out POST without the CSRF token ended the session".to_owned());
    }
    if problems.is_empty() {
        return Verdict::Pass;
    }
    Verdict::Fail(Finding::new(problems.join("; ")).with_details(details))
}

fn fresh_credential(_: &Judge<'_>, journey: &Journey) -> Verdict {
    let (fresh, details) = match decided(journey.fresh.as_ref()) {
        Ok(found) => found,
        Err(verdict) => return verdict,
    };
    let mut problems = Vec::new();
    if fresh.kept_presented {
        problems.push(
            "signing in while presenting an existing credential issued that same credential (session fixation)",
        );
    }
    if fresh.same_twice {
        problems.push("two sign-ins issued the same credential");
    }
    if problems.is_empty() {
        return Verdict::Pass;
    }
    Verdict::Fail(Finding::new(problems.join("; ")).with_details(details))
}

fn expired_credential(judge: &Judge<'_>, journey: &Journey) -> Verdict {
    let (replay, details) = match decided(journey.expired.as_ref()) {
        Ok(found) => found,
        Err(verdict) => return verdict,
    };
    let contract = judge.rules.contract;
    let wanted = contract.outcome(Outcome::Unauthenticated);
    let (expired, _) = contract.answer(contract.expired);
    Verdict::pass_if(
        !replay.session && (replay.status == wanted.status || replay.status == expired),
        || {
            Finding::new(if replay.session {
                "an expired credential still gets a session".to_owned()
            } else {
                format!(
                    "an expired credential got {}; should get {expired} without a session (`{}`: no session)",
                    replay,
                    wanted.name
                )
            })
            .with_details(details)
        },
    )
}

fn format_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// The function that judges a lifecycle check; `None` for the others.
fn lifecycle_judge(check: CheckId) -> Option<fn(&Judge<'_>, &Journey) -> Verdict> {
    Some(match check {
        CheckId::SignOutEndsSession => sign_out_ends_session,
        CheckId::CsrfProtected => csrf_protected,
        CheckId::FreshCredential => fresh_credential,
        CheckId::ExpiredCredential => expired_credential,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lifecycle_check_has_its_judge() {
        for check in CheckId::ALL {
            assert_eq!(
                lifecycle_judge(check).is_some(),
                check.group() == Group::Lifecycle,
                "{check}"
            );
        }
    }
}
