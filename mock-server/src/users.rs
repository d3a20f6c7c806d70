//! Who may sign in, and who they are: a login, a password, the profile
//! fields their sessions show, and the name and email they go by.

use serde_json::Value;

/// Who may sign in when no user is configured.
pub const DEFAULT_USER: &str = "dev";
pub const DEFAULT_PASSWORD: &str = "dev";

/// Someone who may sign in, and the profile fields their sessions show.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: String,
    pub password: String,
    /// The user's id; derived from the username when not given.
    pub id: Option<String>,
    /// Fields merged into the contract's user object (e.g. `user_type`).
    pub profile: serde_json::Map<String, Value>,
}

impl User {
    /// `USERNAME:PASSWORD`, as `--user` takes it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (username, password) = text
            .split_once(':')
            .ok_or_else(|| "expected USERNAME:PASSWORD, e.g. alice:secret".to_owned())?;
        Self::checked(username, password, serde_json::Map::new())
    }

    pub(crate) fn checked(
        username: &str,
        password: &str,
        mut profile: serde_json::Map<String, Value>,
    ) -> Result<Self, String> {
        if username.is_empty() || username.chars().any(|c| c.is_control() || c == ':') {
            return Err("a username is non-empty, without `:` or control characters".to_owned());
        }
        if password.is_empty() {
            return Err(format!("user `{username}`: the password is empty"));
        }
        crate::settings::not_hidden_placeholder(password)
            .map_err(|refused| format!("user `{username}`: the password {}", refused.message))?;
        let id = match profile.remove("id") {
            None => None,
            Some(Value::String(id)) if !id.is_empty() => Some(id),
            Some(other) => {
                return Err(format!(
                    "user `{username}`: id must be a non-empty string, not {other}"
                ));
            }
        };
        profile.remove("username");
        Ok(Self {
            username: username.to_owned(),
            password: password.to_owned(),
            id,
            profile,
        })
    }

    /// The configured user `login`, or one who goes by that login alone
    /// (no password, a profile derived from it).
    pub fn by_login(users: &[Self], login: &str) -> Self {
        users
            .iter()
            .find(|u| u.username == login)
            .cloned()
            .unwrap_or_else(|| Self {
                username: login.to_owned(),
                password: String::new(),
                id: None,
                profile: serde_json::Map::new(),
            })
    }

    /// The user who may sign in when none is configured.
    pub fn default_user() -> Self {
        Self {
            username: DEFAULT_USER.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
            id: None,
            profile: serde_json::Map::new(),
        }
    }
}

/// The display name and email a user goes by: the profile's `name` and
/// `email` when they are strings, else derived from the login, so that
/// `--user alice:secret` is "Alice", `alice@example.com`.
pub(crate) fn persona(login: &str, profile: &serde_json::Map<String, Value>) -> (String, String) {
    let field = |key: &str| profile.get(key).and_then(Value::as_str).map(str::to_owned);
    (
        field("name").unwrap_or_else(|| name_from_login(login)),
        field("email").unwrap_or_else(|| email_from_login(login)),
    )
}

/// `alice.liddell` (or `alice.liddell@example.com`) is "Alice Liddell":
/// the part before any `@`, its words capitalized.
pub(crate) fn name_from_login(login: &str) -> String {
    let local = login.split('@').next().unwrap_or(login);
    let words: Vec<String> = local
        .split(['.', '_', '-', ' ', '+'])
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect();
    if words.is_empty() {
        login.to_owned()
    } else {
        words.join(" ")
    }
}

/// The login when it is an email address, else `<login>@example.com`
/// (a domain reserved for examples, RFC 2606), its local part kept to the
/// characters an address allows.
pub(crate) fn email_from_login(login: &str) -> String {
    if let Some((local, domain)) = login.split_once('@')
        && !local.is_empty()
        && domain.contains('.')
        && !login.contains(char::is_whitespace)
    {
        return login.to_owned();
    }
    let local: String = login
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                c
            } else {
                '.'
            }
        })
        .collect();
    let local = local.trim_matches('.');
    let local = if local.is_empty() { "user" } else { local };
    format!("{local}@example.com")
}

#[cfg(test)]
mod tests {
    use super::{email_from_login, name_from_login, persona};

    #[test]
    fn a_login_alone_gives_a_sensible_name_and_email() {
        assert_eq!(name_from_login("alice"), "Alice");
        assert_eq!(name_from_login("alice.liddell"), "Alice Liddell");
        assert_eq!(name_from_login("bob_smith@corp.example"), "Bob Smith");
        assert_eq!(name_from_login("ünal"), "Ünal");
        assert_eq!(email_from_login("alice"), "alice@example.com");
        assert_eq!(email_from_login("Bob Smith"), "bob.smith@example.com");
        assert_eq!(email_from_login("carol@corp.example"), "carol@corp.example");
        assert_eq!(email_from_login("@@"), "user@example.com");
        let mut profile = serde_json::Map::new();
        profile.insert("name".into(), "Alice Liddell".into());
        assert_eq!(
            persona("alice", &profile),
            ("Alice Liddell".to_owned(), "alice@example.com".to_owned())
        );
    }
}
