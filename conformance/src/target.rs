//! What a run points at: an endpoint of one contract, and the credentials
//! the runner may use on it. Built and checked before any network I/O.

use session_schemas::{Auth, Contract};

use crate::error::CliError;
use crate::lifecycle::SignIn;
use crate::secret::Secret;

/// Where the credential goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carrier {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A session cookie under this name.
    Cookie { name: String },
}

impl Carrier {
    /// The environment variable a valid credential of this carrier comes
    /// from, and reproductions read.
    pub fn var(&self) -> &'static str {
        match self {
            Self::Bearer => "SESSION_TOKEN",
            Self::Cookie { .. } => "SESSION_COOKIE",
        }
    }

    /// The contract's carrier; for cookies, `name` or the contract's first name.
    pub fn of(contract: &Contract, name: Option<&str>) -> Self {
        match &contract.auth {
            Auth::Bearer => Self::Bearer,
            Auth::Cookie { names } => Self::Cookie {
                name: name.unwrap_or(&names[0]).to_owned(),
            },
        }
    }
}

/// One endpoint to check.
#[derive(Debug, Clone)]
pub struct Target {
    /// A label for reports: the config file's `name`, or the contract's.
    pub name: String,
    pub contract: &'static Contract,
    /// `scheme://host[:port]`, no trailing slash.
    pub base_url: String,
    /// Starts with `/`.
    pub path: String,
    pub carrier: Carrier,
    /// A credential the target accepts.
    pub credential: Option<Secret>,
    /// A credential the target knows but has revoked.
    pub revoked: Option<Secret>,
    /// A credential the target issued that has since expired.
    pub expired: Option<Secret>,
    /// How the runner signs in by itself, if it does.
    pub sign_in: Option<SignIn>,
    /// PEM certificates of a private CA, trusted beside the platform's roots.
    pub ca_pem: Option<Vec<u8>>,
}

impl Target {
    /// The endpoint's URL, without query.
    pub fn url(&self) -> String {
        format!("{}{}", self.base_url, self.path)
    }

    /// Cookie names under which a session cookie must be ignored: close to
    /// the real one, but none the contract lists.
    pub fn wrong_cookie_names(&self) -> Vec<String> {
        let Carrier::Cookie { name } = &self.carrier else {
            return Vec::new();
        };
        let listed = match &self.contract.auth {
            Auth::Cookie { names } => names.clone(),
            Auth::Bearer => Vec::new(),
        };
        [
            format!("{name}-old"),
            format!("x-{name}"),
            "session".to_owned(),
            "token".to_owned(),
        ]
        .into_iter()
        .filter(|n| !listed.contains(n) && n != name)
        .collect()
    }

    /// Every secret this target uses, for redaction.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.credential
            .iter()
            .chain(&self.revoked)
            .chain(&self.expired)
            .chain(self.sign_in.iter().flat_map(SignIn::secrets))
    }
}

/// Checks a base URL and returns it without trailing slash.
pub fn base_url(text: &str, key: &str) -> Result<String, CliError> {
    let invalid = |why: &str| CliError::Usage(format!("{key} {text:?}: {why}"));
    let url = reqwest::Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
    match url.scheme() {
        "http" => {}
        "https" if cfg!(feature = "https") => {}
        "https" => {
            return Err(invalid(
                "this build has no HTTPS support (built with --no-default-features); \
                 rebuild with the default features, or point it at the backend's plain HTTP port",
            ));
        }
        other => return Err(invalid(&format!("scheme `{other}` is not http or https"))),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "a base URL has no query or fragment; give the path with --path",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "credentials in the URL would end up in reports; use --token or --cookie",
        ));
    }
    if url.path() != "/" {
        return Err(invalid(&format!(
            "give only scheme, host and port; put the path `{}` in --path",
            url.path()
        )));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// Checks an endpoint path.
pub fn path(text: &str, key: &str) -> Result<String, CliError> {
    if !text.starts_with('/') || text.contains(['?', '#', ' ']) {
        return Err(CliError::Usage(format!(
            "{key} {text:?}: a path starts with `/` and has no query, fragment or space"
        )));
    }
    Ok(text.to_owned())
}

/// The carrier and secret for a cookie given as `VALUE` or `NAME=VALUE`.
pub fn cookie(
    contract: &Contract,
    given: &str,
    name: Option<&str>,
    var: &str,
) -> Result<(Carrier, Secret), CliError> {
    let Auth::Cookie { names } = &contract.auth else {
        return Err(CliError::Usage(format!(
            "contract `{}` takes a bearer token (--token), not a cookie",
            contract.name
        )));
    };
    let split = given
        .split_once('=')
        .filter(|(n, v)| is_cookie_name(n) && !v.is_empty());
    let (cookie_name, value, var_has_name) = match (split, name) {
        (Some((n, v)), _) => (n.to_owned(), v.to_owned(), true),
        (None, Some(n)) => (n.to_owned(), given.to_owned(), false),
        (None, None) => (names[0].clone(), given.to_owned(), false),
    };
    if value.is_empty() || value.contains([';', ' ', ',', '"']) || !value.is_ascii() {
        return Err(CliError::Usage(format!(
            "the cookie in ${var} (or its flag) is empty or has characters a cookie value cannot \
             (`;`, space, comma, quote, non-ASCII)"
        )));
    }
    let mut secret = Secret::new(value, var);
    if var_has_name {
        secret = secret.with_name_in_var();
    }
    Ok((Carrier::Cookie { name: cookie_name }, secret))
}

/// The carrier and secret for a bearer token.
pub fn token(contract: &Contract, given: &str, var: &str) -> Result<Secret, CliError> {
    if !matches!(contract.auth, Auth::Bearer) {
        return Err(CliError::Usage(format!(
            "contract `{}` takes a session cookie (--cookie), not a bearer token",
            contract.name
        )));
    }
    let value = given.strip_prefix("Bearer ").unwrap_or(given).trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CliError::Usage(format!(
            "the token in ${var} (or its flag) is empty or is not printable ASCII without spaces"
        )));
    }
    Ok(Secret::new(value, var))
}

fn is_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use session_schemas::Registry;

    use super::*;

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            base_url("http://127.0.0.1:8080/", "--base-url").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "127.0.0.1:8080",
            "ftp://host",
            "http://host/api",
            "http://host?x=1",
            "http://user:pw@host",
        ] {
            let error = base_url(bad, "--base-url").unwrap_err().to_string();
            assert!(error.contains("--base-url"), "{bad}: {error}");
        }
    }

    #[test]
    fn cookies_are_split_when_named() {
        let authjs = Registry::builtin().get("authjs").unwrap();
        let (carrier, secret) = cookie(
            authjs,
            "authjs.session-token=abc.def",
            None,
            "SESSION_COOKIE",
        )
        .unwrap();
        assert_eq!(
            carrier,
            Carrier::Cookie {
                name: "authjs.session-token".into()
            }
        );
        assert_eq!(secret.expose(), "abc.def");
        assert!(secret.shell_preamble().is_some());
        let (carrier, secret) = cookie(authjs, "abc.def", None, "SESSION_COOKIE").unwrap();
        assert_eq!(
            carrier,
            Carrier::Cookie {
                name: "authjs.session-token".into()
            }
        );
        assert_eq!(secret.expose(), "abc.def");
        assert!(cookie(authjs, "a b", None, "SESSION_COOKIE").is_err());
        let api = Registry::builtin().get("session-api").unwrap();
        assert!(cookie(api, "abc", None, "SESSION_COOKIE").is_err());
        assert!(token(authjs, "abc", "SESSION_TOKEN").is_err());
        assert_eq!(
            token(api, "Bearer abc", "SESSION_TOKEN").unwrap().expose(),
            "abc"
        );
    }
}
