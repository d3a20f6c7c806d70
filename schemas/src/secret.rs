//! Credentials, and keeping them out of everything printed: the runner's
//! reports and the mock's proxy journal alike.
//!
//! A [`Secret`] knows its value and the environment variable a reproduction
//! command reads it from; its `Debug` shows only the variable. Every text that
//! could carry a response's echo of a credential (body excerpts, messages)
//! goes through a [`Redactor`] before it reaches a report.

use std::fmt;

/// Pieces shorter than this are not redacted on their own: too likely to
/// match innocent text. A tampered copy of a token still shares such pieces.
const WINDOW: usize = 12;

/// A credential value and the variable that stands for it in reproductions.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: String,
    var: String,
    /// The variable holds `NAME=VALUE` rather than the value alone.
    var_has_name: bool,
    /// Masked in reports, but not a credential a body could echo (a
    /// sign-in password).
    masked_only: bool,
}

impl Secret {
    pub fn new(value: impl Into<String>, var: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            var: var.into(),
            var_has_name: false,
            masked_only: false,
        }
    }

    /// A secret that is masked in reports but is not a session credential
    /// (`body-leak` does not look for it).
    pub fn masked_only(mut self) -> Self {
        self.masked_only = true;
        self
    }

    /// A cookie given as `NAME=VALUE`: the variable holds both parts.
    pub fn with_name_in_var(mut self) -> Self {
        self.var_has_name = true;
        self
    }

    /// The credential itself: only for putting on the wire.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The environment variable a reproduction reads the value from.
    pub fn var(&self) -> &str {
        &self.var
    }

    /// Shell text that sets up the reference, if the variable needs
    /// unpacking first (e.g. `V="${SESSION_COOKIE#*=}"; `).
    pub fn shell_preamble(&self) -> Option<String> {
        self.var_has_name
            .then(|| format!("{}=\"${{{}#*=}}\"; ", self.shell_name(), self.var))
    }

    /// The shell variable whose value is the credential.
    pub fn shell_name(&self) -> String {
        if self.var_has_name {
            format!("{}_VALUE", self.var)
        } else {
            self.var.clone()
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Secret(${}, {} chars)",
            self.var,
            self.value.chars().count()
        )
    }
}

/// Masks every secret, and every long piece of one, in text for reports.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        Self {
            secrets: secrets
                .into_iter()
                .filter(|s| !s.value.is_empty())
                .collect(),
        }
    }

    /// `text` with each secret (or a piece of at least 12 characters of one)
    /// replaced by `[$VAR]`.
    pub fn redact(&self, text: &str) -> String {
        let mut spans: Vec<(usize, usize, &str)> = Vec::new();
        for secret in &self.secrets {
            let value = secret.value.as_bytes();
            let window = WINDOW.min(value.len());
            for start in 0..=value.len() - window {
                let piece = &value[start..start + window];
                let mut from = 0;
                while let Some(found) = find(&text.as_bytes()[from..], piece) {
                    let at = from + found;
                    spans.push((at, at + window, &secret.var));
                    from = at + 1;
                }
            }
        }
        if spans.is_empty() {
            return text.to_owned();
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut cursor = 0;
        let mut index = 0;
        while index < spans.len() {
            let (start, mut end, var) = spans[index];
            index += 1;
            while index < spans.len() && spans[index].0 <= end {
                end = end.max(spans[index].1);
                index += 1;
            }
            let start = floor_boundary(text, start.max(cursor));
            let end = ceil_boundary(text, end);
            out.push_str(&text[cursor..start]);
            out.push_str("[$");
            out.push_str(var);
            out.push(']');
            cursor = end;
        }
        out.push_str(&text[cursor..]);
        out
    }

    /// Whether `text` contains any secret or long piece of one, as
    /// redaction sees it (short secrets anywhere, even inside other words).
    pub fn leaks(&self, text: &str) -> bool {
        self.redact(text) != text
    }

    /// Whether `text` echoes a secret: for a secret of at least 12
    /// characters, any 12-character piece of it anywhere (a tampered copy
    /// echoed still counts; 12 characters do not match by chance); for a
    /// shorter one, the whole value standing as a token of its own, with no
    /// credential character (letter, digit, `-._~+/`) right before or after
    /// it. So a 3-character cookie `c-1` is not found inside a uuid
    /// `...277c-1abc...`, but is in `bad token c-1`.
    pub fn echoes(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let credential_byte = |b: u8| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
        self.secrets
            .iter()
            .filter(|s| !s.masked_only)
            .any(|secret| {
                let value = secret.value.as_bytes();
                if value.len() >= WINDOW {
                    return value
                        .windows(WINDOW)
                        .any(|piece| find(bytes, piece).is_some());
                }
                let mut from = 0;
                while let Some(found) = find(&bytes[from..], value) {
                    let at = from + found;
                    let before = at.checked_sub(1).map(|i| bytes[i]);
                    let after = bytes.get(at + value.len()).copied();
                    if !before.is_some_and(credential_byte) && !after.is_some_and(credential_byte) {
                        return true;
                    }
                    from = at + 1;
                }
                false
            })
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while at < text.len() && !text.is_char_boundary(at) {
        at += 1;
    }
    at.min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new([Secret::new(
            "eyJhbGciOiJIUzI1NiJ9.payload.sig",
            "SESSION_TOKEN",
        )])
    }

    #[test]
    fn whole_secret_is_masked() {
        let text = r#"{"message":"bad token eyJhbGciOiJIUzI1NiJ9.payload.sig"}"#;
        assert_eq!(
            redactor().redact(text),
            r#"{"message":"bad token [$SESSION_TOKEN]"}"#
        );
    }

    #[test]
    fn a_tampered_copy_is_masked_too() {
        // One character flipped in the middle: both halves are long pieces.
        let text = "token eyJhbGciOiJIUzX1NiJ9.payload.sig rejected";
        let redacted = redactor().redact(text);
        assert!(!redacted.contains("eyJhbGciOiJ"), "{redacted}");
        assert!(!redacted.contains("payload.sig"), "{redacted}");
        assert!(redacted.starts_with("token [$SESSION_TOKEN]"), "{redacted}");
        assert!(redacted.ends_with(" rejected"), "{redacted}");
    }

    #[test]
    fn innocent_text_is_untouched() {
        let text = "unauthorized: Authentication required (eyJ)";
        assert_eq!(redactor().redact(text), text);
        assert!(!redactor().leaks(text));
    }

    #[test]
    fn a_short_secret_is_an_echo_only_as_a_token_of_its_own() {
        let short = Redactor::new([Secret::new("c-1", "SESSION_COOKIE")]);
        for innocent in [
            r#"{"session_id":"7c9e6679-7425-40de-944b-277c-1abc90ae7"}"#,
            "abc-1",
            "c-10",
            "c-1.5",
            "x/c-1",
        ] {
            assert!(!short.echoes(innocent), "{innocent}");
        }
        for echo in [
            "bad token c-1",
            r#"{"token":"c-1"}"#,
            "c-1",
            "(c-1)",
            "cookie=c-1;",
        ] {
            assert!(short.echoes(echo), "{echo}");
        }
        // Redaction stays cautious: reports mask even the inner match.
        assert!(short.leaks("277c-1abc"));
    }

    #[test]
    fn a_long_secret_echoes_as_any_long_piece_anywhere() {
        assert!(redactor().echoes("xxeyJhbGciOiJIUzI1NiJ9xx"));
        assert!(redactor().echoes("token eyJhbGciOiJIUzX1NiJ9.payload.sig rejected"));
        assert!(!redactor().echoes("eyJhbGciOiJ and payload.si"));
    }

    #[test]
    fn multibyte_text_around_a_secret_stays_valid() {
        let text = "é eyJhbGciOiJIUzI1NiJ9.payload.sig ü";
        assert_eq!(redactor().redact(text), "é [$SESSION_TOKEN] ü");
    }

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2hunter2", "SESSION_TOKEN");
        let shown = format!("{secret:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("$SESSION_TOKEN"), "{shown}");
    }
}
