//! The mock's clock: real time, real time moved by an offset, or a frozen
//! instant. Every timestamp the mock serves and every expiry it decides
//! reads this clock, so a test can jump a session past its expiry without
//! waiting, and a frontend can watch its "session expired" banner appear.

use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The earliest instant the mock's clock shows: 1970-01-01T00:00:00Z.
pub(crate) const EARLIEST: i64 = 0;
/// The latest: 9000-01-01T00:00:00Z. Every time the mock computes from its
/// clock (a session's expiry a year on at most, the fixtures' intervals)
/// stays far inside what RFC 3339 and HTTP dates can write (year 9999).
pub(crate) const LATEST: i64 = 221_845_392_000;

fn earliest() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(EARLIEST).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn latest() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(LATEST).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `instant`, or why the clock cannot be there.
pub(crate) fn in_range(instant: OffsetDateTime) -> Result<OffsetDateTime, String> {
    if instant < earliest() {
        Err(format!(
            "{} is before 1970-01-01T00:00:00Z, the earliest time the mock's clock shows",
            format(instant)
        ))
    } else if instant > latest() {
        Err(format!(
            "{} is after 9000-01-01T00:00:00Z, the latest time the mock's clock shows",
            format(instant)
        ))
    } else {
        Ok(instant)
    }
}

#[derive(Debug, Clone, Copy)]
struct State {
    /// Added to real time while running.
    offset: time::Duration,
    /// When set, the clock stands still at this instant.
    frozen: Option<OffsetDateTime>,
}

/// Shared by every request; reads take an uncontended read lock.
#[derive(Debug)]
pub(crate) struct Clock {
    state: RwLock<State>,
}

/// What `GET /__mock/clock` shows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Reading {
    /// The mock's present.
    pub now: String,
    /// `real`, `offset` (real time moved) or `frozen`.
    pub mode: &'static str,
    /// The mock's present minus real time, in seconds (negative: behind).
    pub offset_seconds: i64,
}

/// A change to the clock, as `PUT /__mock/clock` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Change {
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
    pub(crate) fn real() -> Self {
        Self {
            state: RwLock::new(State {
                offset: time::Duration::ZERO,
                frozen: None,
            }),
        }
    }

    /// Stands still at `instant` until advanced or released.
    pub(crate) fn frozen_at(instant: OffsetDateTime) -> Self {
        Self {
            state: RwLock::new(State {
                offset: time::Duration::ZERO,
                frozen: Some(instant),
            }),
        }
    }

    /// The mock's present. A clock set running close to the end of its
    /// range stops there.
    pub(crate) fn now(&self) -> OffsetDateTime {
        let state = *self.state.read().unwrap_or_else(PoisonError::into_inner);
        match state.frozen {
            Some(at) => at,
            None => OffsetDateTime::now_utc()
                .checked_add(state.offset)
                .map_or_else(latest, |now| now.clamp(earliest(), latest())),
        }
    }

    /// Applies a change; `real` first, then `set`, then `advance`, then
    /// `frozen`. Nothing changes when the clock would leave its range.
    pub(crate) fn apply(&self, change: &Change) -> Result<(), String> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let real_now = OffsetDateTime::now_utc();
        let mut now = state.frozen.unwrap_or_else(|| {
            real_now
                .checked_add(state.offset)
                .map_or_else(latest, |now| now.clamp(earliest(), latest()))
        });
        let mut frozen = state.frozen.is_some();
        if change.real {
            now = real_now;
            frozen = false;
        }
        if let Some(instant) = change.set {
            now = in_range(instant).map_err(|m| format!("set: {m}"))?;
        }
        if let Some(step) = change.advance {
            now = now
                .checked_add(step)
                .ok_or_else(|| "advance: the clock would leave its range".to_owned())
                .and_then(|at| in_range(at).map_err(|m| format!("advance: {m}")))?;
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
        Ok(())
    }

    pub(crate) fn reading(&self) -> Reading {
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
            // Rounded: real time has moved on by a few microseconds since
            // the offset was set, and `advance 2h` should read 7200.
            #[allow(clippy::cast_possible_truncation)]
            offset_seconds: offset.as_seconds_f64().round() as i64,
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
pub(crate) fn parse_step(text: &str) -> Result<time::Duration, String> {
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
pub(crate) fn parse_lifetime(text: &str) -> Result<Duration, String> {
    let step = parse_step(text)?;
    if step <= time::Duration::ZERO {
        return Err(format!("`{text}`: a lifetime must be positive"));
    }
    if step > time::Duration::days(366) {
        return Err(format!("`{text}`: a lifetime is at most a year"));
    }
    Duration::try_from(step).map_err(|e| e.to_string())
}

/// An instant for `--clock` and `set`: RFC 3339, or `now`, within the
/// clock's range (1970 to 9000).
pub(crate) fn parse_instant(text: &str) -> Result<OffsetDateTime, String> {
    if text == "now" {
        return Ok(OffsetDateTime::now_utc());
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| format!("`{text}` is not an RFC 3339 time such as 2026-01-01T09:00:00Z: {e}"))
        .and_then(in_range)
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
        clock
            .apply(&Change {
                advance: Some(parse_step("2h").expect("step")),
                ..Change::default()
            })
            .expect("in range");
        assert_eq!(clock.now(), start + time::Duration::hours(2));
        clock
            .apply(&Change {
                frozen: Some(false),
                ..Change::default()
            })
            .expect("in range");
        assert_eq!(clock.reading().mode, "offset");
        assert!(clock.now() >= start + time::Duration::hours(2));
        clock
            .apply(&Change {
                real: true,
                ..Change::default()
            })
            .expect("in range");
        assert_eq!(clock.reading().mode, "real");
        let drift = (clock.now() - OffsetDateTime::now_utc()).abs();
        assert!(drift < time::Duration::seconds(1), "{drift}");
    }

    #[test]
    fn an_advanced_running_clock_keeps_ticking_ahead_of_real_time() {
        let clock = Clock::real();
        clock
            .apply(&Change {
                advance: Some(time::Duration::days(1)),
                ..Change::default()
            })
            .expect("in range");
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
        assert!(parse_instant("9000-01-01T00:00:00Z").is_ok());
        assert!(parse_instant("1970-01-01T00:00:00Z").is_ok());
        for outside in [
            "9000-01-01T00:00:01Z",
            "9999-12-31T23:59:59Z",
            "1969-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
        ] {
            let error = parse_instant(outside).expect_err(outside);
            assert!(error.contains("the mock's clock shows"), "{error}");
        }
    }

    #[test]
    fn the_clock_never_leaves_its_range_and_a_refused_change_changes_nothing() {
        let top = parse_instant("8999-12-31T00:00:00Z").expect("instant");
        let clock = Clock::frozen_at(top);
        let refused = clock
            .apply(&Change {
                advance: Some(time::Duration::days(2)),
                ..Change::default()
            })
            .expect_err("past the end");
        assert!(refused.starts_with("advance:"), "{refused}");
        assert_eq!(clock.now(), top, "unchanged");
        // Step by step too: the bound is where the clock ends, not the step.
        let mut steps = 0;
        while clock
            .apply(&Change {
                advance: Some(parse_step("-36500d").expect("step")),
                ..Change::default()
            })
            .is_ok()
        {
            steps += 1;
            assert!(steps < 100, "never refused");
        }
        assert!(clock.now() >= OffsetDateTime::UNIX_EPOCH);
        assert!(
            clock
                .apply(&Change {
                    set: Some(OffsetDateTime::UNIX_EPOCH - time::Duration::seconds(1)),
                    ..Change::default()
                })
                .is_err()
        );
        // A running clock set near the end stops at it.
        clock
            .apply(&Change {
                set: Some(parse_instant("9000-01-01T00:00:00Z").expect("instant")),
                frozen: Some(false),
                ..Change::default()
            })
            .expect("the last instant");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(clock.now().unix_timestamp(), LATEST);
    }
}
