//! The checked values of a target: base URL, path, credentials, a CA
//! bundle. Each check names the flag or key it read (`--base-url`,
//! `base-url`) and what would be accepted.

use std::path::Path;

use session_schemas::{Auth, Contract};

use super::Carrier;
use crate::error::CliError;
use crate::secret::Secret;

/// Checks a base URL and returns it without trailing slash.
pub fn base_url(text: &str, key: &str) -> Result<String, CliError> {
    let invalid = |why: &str| CliError::Usage(format!("{key} {text:?}: {why}"));
    // `127.0.0.1:4010` and `localhost:4010` are the usual slips: no scheme
    // (the second even parses, as the scheme `localhost`).
    if !text.contains("://") {
        return Err(invalid(&format!(
            "a base URL starts with its scheme, e.g. http://{}",
            text.trim_start_matches('/')
        )));
    }
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

/// PEM certificates from `path`, checked now rather than at the first request.
pub(super) fn ca_pem(path: &Path, key: &str) -> Result<Vec<u8>, CliError> {
    use std::io::Read as _;
    const MAX_PEM: u64 = 1024 * 1024;
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PEM + 1).read_to_end(&mut pem))
        .map_err(|source| CliError::Read {
            what: format!("{key} {}", path.display()),
            source,
        })?;
    if pem.len() as u64 > MAX_PEM {
        return Err(CliError::TooLarge {
            what: format!("{key} {}", path.display()),
            limit: MAX_PEM,
        });
    }
    #[cfg(feature = "https")]
    {
        let found = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            CliError::Usage(format!(
                "{key} {}: not PEM certificates: {e}",
                path.display()
            ))
        })?;
        if found.is_empty() {
            return Err(CliError::Usage(format!(
                "{key} {}: no certificate in it (expected -----BEGIN CERTIFICATE-----)",
                path.display()
            )));
        }
    }
    #[cfg(not(feature = "https"))]
    return Err(CliError::Usage(format!(
        "{key}: this build has no HTTPS support (built without the `https` feature)"
    )));
    #[cfg(feature = "https")]
    Ok(pem)
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
        // Without a scheme, the error says what to write.
        for (bad, hint) in [
            ("127.0.0.1:4010", "e.g. http://127.0.0.1:4010"),
            ("localhost:4010", "e.g. http://localhost:4010"),
        ] {
            let error = base_url(bad, "base-url").unwrap_err().to_string();
            assert!(
                error.starts_with(&format!(
                    "base-url {bad:?}: a base URL starts with its scheme"
                )) && error.ends_with(hint),
                "{error}"
            );
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
