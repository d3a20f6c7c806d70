//! The mock's clock: real time, real time moved by an offset, or a frozen
//! instant. Every timestamp the mock serves and every expiry it decides
//! reads this clock, so a test can jump a session past its expiry without
//! waiting, and a frontend can watch its "session expired" banner appear.

use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Clone, Copy)]
struct State {
    /// Added to real time while running.
    offset: time::Duration,
    /// When set, the clock stands still at this instant.
    frozen: Option<OffsetDateTime>,
}

/// Shared by every request; reads take an uncontended read lock.
#[derive(Debug)]
pub struct Clock {
    state: RwLock<State>,
}

/// What `GET /__mock/clock` shows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Reading {
    /// The mock's present.
    pub now: String,
    /// `real`, `offset` (real time moved) or `frozen`.
    pub mode: &'static str,
    /// The mock's present minus real time, in seconds (negative: behind).
    pub offset_seconds: i64,
}

/// A change to the clock, as `PUT /__mock/clock` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Jump to this instant (keeps the frozen/running mode unless `frozen` says otherwise).
    pub set: Option<OffsetDateTime>,
    /// Move forward (or back, when negative) by this much.
    pub advance: Option<time::Duration>,
    /// Stop (`true`) or restart (`false`) the clock where it stands.
    pub frozen: Option<bool>,
    /// Return to real time, forgetting any offset.
    pub real: bool,
}

impl Default for Clock {
    fn default() -> Self {
        Self::real()
    }
}

impl Clock {
    /// Real time.
    pub fn real() -> Self {
        Self {
            state: RwLock::new(State {
                offset: time::Duration::ZERO,
                frozen: None,
            }),
        }
    }

    /// Stands still at `instant` until advanced or released.
    pub fn frozen_at(instant: OffsetDateTime) -> Self {
        Self {
            state: RwLock::new(State {
                offset: time::Duration::ZERO,
                frozen: Some(instant),
            }),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        let state = *self.state.read().unwrap_or_else(PoisonError::into_inner);
        state
            .frozen
            .unwrap_or_else(|| OffsetDateTime::now_utc() + state.offset)
    }

    /// Applies a change; `real` first, then `set`, then `advance`, then `frozen`.
    pub fn apply(&self, change: &Change) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let real_now = OffsetDateTime::now_utc();
        let mut now = state.frozen.unwrap_or(real_now + state.offset);
        let mut frozen = state.frozen.is_some();
        if change.real {
            now = real_now;
            frozen = false;
        }
        if let Some(instant) = change.set {
            now = instant;
        }
        if let Some(step) = change.advance {
            now += step;
        }
        if let Some(stop) = change.frozen {
            frozen = stop;
        }
        *state = if frozen {
            State {
                offset: time::Duration::ZERO,
                frozen: Some(now),
            }
        } else {
            State {
                offset: now - real_now,
                frozen: None,
            }
        };
    }

    pub fn reading(&self) -> Reading {
        let state = *self.state.read().unwrap_or_else(PoisonError::into_inner);
        let now = self.now();
        let offset = now - OffsetDateTime::now_utc();
        Reading {
            now: format(now),
            mode: match (state.frozen, state.offset.is_zero()) {
                (Some(_), _) => "frozen",
                (None, true) => "real",
                (None, false) => "offset",
            },
            offset_seconds: offset.whole_seconds(),
        }
    }
}

/// RFC 3339 at whole seconds, as the mock's bodies show times.
pub fn format(instant: OffsetDateTime) -> String {
    instant
        .replace_nanosecond(0)
        .unwrap_or(instant)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// A signed duration for `advance`: `2h`, `90s`, `-15m`, `1d`.
pub fn parse_step(text: &str) -> Result<time::Duration, String> {
    let (negative, rest) = match text.trim().strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.trim().trim_start_matches('+')),
    };
    let (number, unit_seconds) = match rest.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => {
            let unit = match &rest[at..] {
                "ms" => 0,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                other => {
                    return Err(format!(
                        "`{other}` is not a unit; use ms, s, m, h or d (e.g. 2h, -15m)"
                    ));
                }
            };
            (&rest[..at], unit)
        }
        None => return Err("a duration needs a unit, e.g. 2h, 90s, -15m or 1d".to_owned()),
    };
    let value: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 2h, 90s, -15m or 1d"))?;
    // A hundred years either way is plenty, and keeps the arithmetic in range.
    if value > 100 * 366 * 86_400 * 1000 {
        return Err(format!("`{text}` is too large"));
    }
    let step = if unit_seconds == 0 {
        time::Duration::milliseconds(value)
    } else {
        time::Duration::seconds(value * unit_seconds)
    };
    if step.whole_days().abs() > 100 * 366 {
        return Err(format!("`{text}` is too large (a hundred years at most)"));
    }
    Ok(if negative { -step } else { step })
}

/// A lifetime for sessions: positive, at most a year.
pub fn parse_lifetime(text: &str) -> Result<Duration, String> {
    let step = parse_step(text)?;
    if step <= time::Duration::ZERO {
        return Err(format!("`{text}`: a lifetime must be positive"));
    }
    if step > time::Duration::days(366) {
        return Err(format!("`{text}`: a lifetime is at most a year"));
    }
    Duration::try_from(step).map_err(|e| e.to_string())
}

/// An instant for `--clock` and `set`: RFC 3339, or `now`.
pub fn parse_instant(text: &str) -> Result<OffsetDateTime, String> {
    if text == "now" {
        return Ok(OffsetDateTime::now_utc());
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| format!("`{text}` is not an RFC 3339 time such as 2026-01-01T09:00:00Z: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_stands_still_until_advanced_and_returns_to_real_time() {
        let start = parse_instant("2026-01-01T09:00:00Z").expect("instant");
        let clock = Clock::frozen_at(start);
        assert_eq!(clock.now(), start);
        assert_eq!(clock.reading().mode, "frozen");
        clock.apply(&Change {
            advance: Some(parse_step("2h").expect("step")),
            ..Change::default()
        });
        assert_eq!(clock.now(), start + time::Duration::hours(2));
        clock.apply(&Change {
            frozen: Some(false),
            ..Change::default()
        });
        assert_eq!(clock.reading().mode, "offset");
        assert!(clock.now() >= start + time::Duration::hours(2));
        clock.apply(&Change {
            real: true,
            ..Change::default()
        });
        assert_eq!(clock.reading().mode, "real");
        let drift = (clock.now() - OffsetDateTime::now_utc()).abs();
        assert!(drift < time::Duration::seconds(1), "{drift}");
    }

    #[test]
    fn an_advanced_running_clock_keeps_ticking_ahead_of_real_time() {
        let clock = Clock::real();
        clock.apply(&Change {
            advance: Some(time::Duration::days(1)),
            ..Change::default()
        });
        let reading = clock.reading();
        assert_eq!(reading.mode, "offset");
        assert!(
            (86_399..=86_400).contains(&reading.offset_seconds),
            "{reading:?}"
        );
    }

    #[test]
    fn durations_and_instants_are_checked() {
        assert_eq!(parse_step("-15m"), Ok(time::Duration::minutes(-15)));
        assert_eq!(parse_step("+1d"), Ok(time::Duration::days(1)));
        assert_eq!(parse_step("250ms"), Ok(time::Duration::milliseconds(250)));
        for bad in [
            "",
            "2",
            "h",
            "2 hours",
            "2y",
            "99999999999999999999s",
            "--2h",
        ] {
            assert!(parse_step(bad).is_err(), "{bad}");
        }
        assert!(parse_lifetime("0s").is_err());
        assert!(parse_lifetime("-1h").is_err());
        assert!(parse_lifetime("400d").is_err());
        assert_eq!(parse_lifetime("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert!(parse_instant("yesterday").is_err());
        assert!(parse_instant("2026-01-01T09:00:00+01:00").is_ok());
    }
}
