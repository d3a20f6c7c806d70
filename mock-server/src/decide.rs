//! What a session endpoint's request gets, decided in one place: the
//! credential it carries, the session that credential is (found, its
//! expiry noticed, its activity slid), the outcome class of any other
//! credential in auth-aware mode, the scenario and why, a fault. Rendering
//! (`answer`) and the journal read the decision; nothing decides twice.

use axum::http::request::Parts;
use session_schemas::{Answer, Outcome, Protocol};
use time::OffsetDateTime;

use crate::credentials::{self, Credential, Identity};
use crate::lifecycle::{Event, Held};
use crate::resolve::{self, Choice, Reason, RequestView, Target, UnknownChoice};
use crate::settings::AuthMode;
use crate::state::{Inner, MountState};

/// A session endpoint's request, decided.
pub(crate) struct Decision<'a> {
    pub(crate) mount: &'a MountState,
    pub(crate) now: OffsetDateTime,
    pub(crate) credential: Credential,
    /// The session the credential is, as of `now` (a live one already
    /// touched: its activity and sliding expiry moved).
    pub(crate) held: Option<Held>,
    /// What finding the session did (an expiry noticed, a session taken
    /// back after a restart).
    pub(crate) event: Option<Event>,
    /// In auth-aware mode, the outcome class of a credential that is no
    /// session, and the identity a valid one maps to.
    pub(crate) judged: Option<(Outcome, Option<Identity>)>,
    pub(crate) choice: Choice,
    /// `--fail-rate` turned this request into the contract's 500.
    pub(crate) fault: bool,
    /// The request's number since the start (the fault and jitter draws).
    pub(crate) number: u64,
}

impl Decision<'_> {
    /// The contract's authenticated scenario is what is answered, for the
    /// live session the credential is.
    pub(crate) fn live_session(&self) -> Option<&crate::store::Session> {
        match (&self.held, self.choice.target) {
            (Some(Held::Live(session)), Target::Scenario(i))
                if i == self
                    .mount
                    .mount
                    .contract
                    .outcome_index(Outcome::Authenticated) =>
            {
                Some(session)
            }
            _ => None,
        }
    }

    /// A session cookie that the answer says is no session (ended,
    /// expired, not a token of this app): Auth.js clears such a cookie.
    pub(crate) fn clears_cookie(&self) -> bool {
        let contract = self.mount.mount.contract;
        contract.protocol == Some(Protocol::AuthJs)
            && self.choice.reason == Reason::Credential
            && matches!(self.credential, Credential::Present(_))
            && matches!(self.choice.target, Target::Scenario(i) if i != contract.outcome_index(Outcome::Authenticated))
    }

    /// The held session the request was about, for the journal.
    pub(crate) fn session_id(&self) -> Option<&str> {
        match &self.held {
            Some(Held::Ended(s) | Held::Expired(s)) => Some(&s.id),
            Some(Held::Live(s)) => self.live_session().map(|_| s.id.as_str()),
            None => None,
        }
    }
}

/// Decides the answer of mount `index` to a request at `now`; an unknown
/// scenario asked for is an error listing the valid ones.
pub(crate) fn decide<'a>(
    inner: &'a Inner,
    mount: &'a MountState,
    parts: &Parts,
    now: OffsetDateTime,
) -> Result<Decision<'a>, UnknownChoice> {
    let contract = mount.mount.contract;
    let credential = credentials::extract(&contract.auth, &parts.headers);
    let (mut held, event) = find_session(inner, mount, parts, &credential, now);
    if let Some(event) = event {
        tracing::info!(contract = %contract.name, ?event, "session event");
    }
    // A session the mock holds answers for itself, in every auth mode;
    // other credentials are judged in auth-aware mode only.
    let judged = match held {
        Some(_) => None,
        None => (inner.config.auth != AuthMode::Off)
            .then(|| inner.keyring.judge(&contract.auth, &credential)),
    };
    let by_credential = match &held {
        Some(Held::Live(_)) => Some(Target::Scenario(
            contract.outcome_index(Outcome::Authenticated),
        )),
        Some(Held::Ended(_)) => Some(Target::Scenario(contract.outcome_index(Outcome::Revoked))),
        Some(Held::Expired(_)) => Some(target(contract.expired)),
        None => judged.map(|(outcome, _)| Target::Scenario(contract.outcome_index(outcome))),
    };
    let number = inner.next_request();
    let view = RequestView {
        query: parts.uri.query(),
        headers: &parts.headers,
    };
    let choice = resolve::resolve(
        contract,
        view,
        mount.runtime(),
        by_credential,
        mount.default,
    )?;
    let fault =
        inner.config.fail_rate > 0.0 && unit(inner.config.seed, number, 0) < inner.config.fail_rate;
    let choice = match (fault, mount.fault_scenario) {
        (true, Some(index)) => Choice {
            target: Target::Scenario(index),
            reason: Reason::FailRate,
            dynamic: false,
        },
        _ => choice,
    };
    let mut decision = Decision {
        mount,
        now,
        credential,
        held: None,
        event,
        judged,
        choice,
        fault,
        number,
    };
    // Answered as the session: its activity moves and a sliding expiry
    // with it.
    if let Some(Held::Live(session)) = &mut held
        && matches!(choice.target, Target::Scenario(i) if i == contract.outcome_index(Outcome::Authenticated))
    {
        inner
            .sessions
            .touch_found(session, now.unix_timestamp(), contract.expiry);
    }
    decision.held = held;
    Ok(decision)
}

/// The session a request's credential is on this mount: an Auth.js
/// contract's cookie as Auth.js reads it, any other as the mock's token.
fn find_session(
    inner: &Inner,
    mount: &MountState,
    parts: &Parts,
    credential: &Credential,
    now: OffsetDateTime,
) -> (Option<Held>, Option<Event>) {
    let contract = mount.mount.contract;
    let Credential::Present(value) = credential else {
        return (None, None);
    };
    let found = if contract.protocol == Some(Protocol::AuthJs) {
        crate::authjs::find_session(inner, contract, &parts.headers, value, now.unix_timestamp())
    } else {
        inner
            .sessions
            .find(&contract.name, value, now.unix_timestamp())
    };
    match found {
        Some((held, event)) => (Some(held), event),
        None => (None, None),
    }
}

fn target(answer: Answer) -> Target {
    match answer {
        Answer::Scenario(i) => Target::Scenario(i),
        Answer::Example(i) => Target::Example(i),
    }
}

/// A number in [0, 1) from the seed and the request number: a fixed
/// sequence per seed (`stream` 0 draws faults, 1 jitter).
pub(crate) fn unit(seed: u64, number: u64, stream: u64) -> f64 {
    let mut x = seed
        ^ number.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
    // SplitMix64 finaliser.
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    #[allow(clippy::cast_precision_loss)]
    let value = (x >> 11) as f64 / (1u64 << 53) as f64;
    value
}

#[cfg(test)]
mod tests {
    use super::unit;

    #[test]
    fn the_fault_sequence_is_fixed_per_seed_and_near_the_rate() {
        let share = |seed| (0..10_000).filter(|&n| unit(seed, n, 0) < 0.1).count();
        assert_eq!(share(7), share(7));
        assert!((800..1200).contains(&share(7)), "{}", share(7));
        assert_ne!(
            (0..100).map(|n| unit(1, n, 0) < 0.5).collect::<Vec<_>>(),
            (0..100).map(|n| unit(2, n, 0) < 0.5).collect::<Vec<_>>()
        );
    }
}
