//! The session's life as the lifecycle checks judge it: sign in, replay,
//! sign out, replay again; the same without the CSRF token; two sign-ins
//! compared; an expired credential replayed. The [`Browser`] walks it; the
//! checks in `checks.rs` judge what it found.
//!
//! Nothing here prints a credential: the journey's steps name cookies and
//! statuses.

use session_schemas::authjs;

use crate::signin::{Browser, Issued, Replay};
use crate::target::SignIn;

/// What the CSRF probes saw.
#[derive(Debug, Clone)]
pub struct CsrfProbe {
    /// The session cookie a sign-in without the token set, replayed (None: none was set).
    pub sign_in_replay: Option<Replay>,
    /// A sign-out without the token told the client to drop the session cookie.
    pub sign_out_cleared: bool,
    /// The credential, replayed after that sign-out.
    pub after_sign_out: Replay,
}

/// What two sign-ins issued.
#[derive(Debug, Clone)]
pub struct Fresh {
    /// Two sign-ins issued the same credential.
    pub same_twice: bool,
    /// A sign-in that presented an existing credential got that one back.
    pub kept_presented: bool,
}

/// One part of the journey: what was done, in order (for the reports), and
/// what it found, or `Err` when it broke before its deciding request.
#[derive(Debug, Clone)]
pub struct Part<T> {
    pub steps: Vec<String>,
    pub result: Result<T, String>,
}

/// Everything the lifecycle checks judge. A part is `None` when it could
/// not run (no sign-out, not Auth.js, no expired credential given).
#[derive(Debug, Clone, Default)]
pub struct Journey {
    pub signed_out: Option<Part<Replay>>,
    pub csrf: Option<Part<CsrfProbe>>,
    pub fresh: Option<Part<Fresh>>,
    pub expired: Option<Part<Replay>>,
    /// Why parts did not run, for the run's notes.
    pub notes: Vec<String>,
}

impl Browser<'_> {
    /// The whole journey, for the lifecycle checks. `main` is the credential
    /// the run used (issued by `how` when the runner signed in).
    pub async fn journey(&self, how: Option<&SignIn>, main: Option<&Issued>) -> Journey {
        let mut journey = Journey::default();
        if let Some(expired) = &self.target.expired {
            let result = self.replay(expired.expose(), None).await;
            let step = format!(
                "GET {} with the expired credential (${}): {}",
                self.target.path,
                expired.var(),
                match &result {
                    Ok(replay) => replay.to_string(),
                    Err(e) => e.clone(),
                }
            );
            journey.expired = Some(Part {
                steps: vec![step],
                result,
            });
        } else {
            journey.notes.push(
                "expired-credential did not run: give an expired credential with --expired-token / --expired-cookie (or SESSION_EXPIRED_TOKEN / SESSION_EXPIRED_COOKIE)".to_owned(),
            );
        }
        let Some(how) = how else {
            journey.notes.push(
                "sign-out-ends-session, csrf-protected and fresh-credential did not run: they need --sign-in authjs or --sign-in-cmd".to_owned(),
            );
            return journey;
        };
        let mut steps = Vec::new();
        let result = self.fresh(how, main, &mut steps).await;
        journey.fresh = Some(Part { steps, result });
        if how.can_sign_out() {
            let mut steps = Vec::new();
            let result = self.signed_out(how, &mut steps).await;
            journey.signed_out = Some(Part { steps, result });
        } else {
            journey.notes.push(
                "sign-out-ends-session did not run: give --sign-out-cmd to end a session"
                    .to_owned(),
            );
        }
        if let SignIn::AuthJs(_) = how {
            let mut steps = Vec::new();
            let result = self.csrf_probe(how, &mut steps).await;
            journey.csrf = Some(Part { steps, result });
        }
        journey
    }

    async fn fresh(
        &self,
        how: &SignIn,
        main: Option<&Issued>,
        steps: &mut Vec<String>,
    ) -> Result<Fresh, String> {
        let first = self
            .sign_in(how, None, true)
            .await
            .map_err(|e| format!("sign-in failed: {e}"))?;
        steps.push("signed in (credential A)".to_owned());
        let second = self
            .sign_in(how, Some(&first), true)
            .await
            .map_err(|e| format!("the second sign-in failed: {e}"))?;
        steps.push("signed in again presenting A (credential B)".to_owned());
        let kept_presented = second.value == first.value;
        let same_twice = main.is_some_and(|m| m.value == first.value || m.value == second.value);
        steps.push(format!(
            "B {} A; {}",
            if kept_presented { "is" } else { "differs from" },
            if same_twice {
                "the run's own sign-in had issued the same credential"
            } else {
                "each sign-in issued its own credential"
            }
        ));
        if how.can_sign_out() {
            // Leave nothing behind; a failure here is sign-out's to report.
            let _ = self.sign_out(how, &second, true).await;
            let _ = self.sign_out(how, &first, true).await;
        }
        Ok(Fresh {
            same_twice,
            kept_presented,
        })
    }

    async fn signed_out(&self, how: &SignIn, steps: &mut Vec<String>) -> Result<Replay, String> {
        let issued = self
            .sign_in(how, None, true)
            .await
            .map_err(|e| format!("sign-in failed: {e}"))?;
        steps.push("signed in".to_owned());
        let before = self.replay_issued(&issued).await?;
        steps.push(format!(
            "GET {} with the new credential: {}",
            self.target.path, before
        ));
        if !before.session {
            return Err(format!(
                "a credential fresh from sign-in got {} before sign-out; nothing to end",
                before
            ));
        }
        self.sign_out(how, &issued, true)
            .await
            .map_err(|e| format!("sign-out failed: {e}"))?;
        steps.push("signed out".to_owned());
        let after = self.replay_issued(&issued).await?;
        steps.push(format!(
            "GET {} with the signed-out credential: {}",
            self.target.path, after
        ));
        Ok(after)
    }

    async fn csrf_probe(&self, how: &SignIn, steps: &mut Vec<String>) -> Result<CsrfProbe, String> {
        let SignIn::AuthJs(login) = how else {
            return Err("the CSRF probes speak Auth.js".to_owned());
        };
        let (forged, answer) = self.authjs_sign_in(login, None, false).await?;
        steps.push(format!(
            "POST {}/{} without {}: {answer}",
            login.base,
            authjs::route::CALLBACK_CREDENTIALS,
            authjs::field::CSRF_TOKEN
        ));
        let sign_in_replay = match &forged {
            Some(issued) => {
                let replay = self.replay_issued(issued).await?;
                steps.push(format!(
                    "GET {} with the cookie it set: {}",
                    self.target.path, replay
                ));
                Some(replay)
            }
            None => None,
        };
        let issued = self
            .sign_in(how, None, true)
            .await
            .map_err(|e| format!("sign-in failed: {e}"))?;
        steps.push("signed in with the CSRF token".to_owned());
        let sign_out_cleared = self.sign_out(how, &issued, false).await?;
        steps.push(format!(
            "POST {}/{} without {}: {}",
            login.base,
            authjs::route::SIGN_OUT,
            authjs::field::CSRF_TOKEN,
            if sign_out_cleared {
                "cleared the session cookie"
            } else {
                "left the session cookie alone"
            }
        ));
        let after_sign_out = self.replay_issued(&issued).await?;
        steps.push(format!(
            "GET {} with the credential: {}",
            self.target.path, after_sign_out
        ));
        let _ = self.sign_out(how, &issued, true).await;
        if let Some(forged) = &forged {
            let _ = self.sign_out(how, forged, true).await;
        }
        Ok(CsrfProbe {
            sign_in_replay,
            sign_out_cleared,
            after_sign_out,
        })
    }
}
