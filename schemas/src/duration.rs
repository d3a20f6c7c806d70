//! Human durations for flags and config files: `250ms`, `2s`, `1m`, `0`.
//! One parser for both binaries (the mock's `--latency`, the runner's
//! `--timeout`), so the same text means the same time everywhere.

use std::time::Duration;

/// Parses `<number><unit>` with unit `ms`, `s`, `m` or `h` (`0` alone is allowed).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 250ms, 2s or 1m"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "" => {
            return Err(format!(
                "`{text}` needs a unit: ms, s, m or h (e.g. {text}ms)"
            ));
        }
        other => {
            return Err(format!(
                "`{text}` has an unknown unit `{other}`; use ms, s, m or h"
            ));
        }
    };
    if !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("`{text}` is out of range (0 to 24h)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The shortest exact spelling, for `--print-config`.
pub fn format(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis == 0 {
        "0ms".to_owned()
    } else if millis.is_multiple_of(1000) {
        format!("{}s", millis / 1000)
    } else {
        format!("{millis}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_units_and_rejects_everything_else() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert!(parse("200").unwrap_err().contains("needs a unit"));
        assert!(parse("5 parsecs").is_err());
        assert!(parse("-1s").is_err());
        assert!(parse("2d").unwrap_err().contains("unknown unit `d`"));
        assert!(parse("25h").unwrap_err().contains("out of range"));
        assert_eq!(format(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format(Duration::from_secs(2)), "2s");
    }
}
