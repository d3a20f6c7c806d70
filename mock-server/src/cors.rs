//! CORS for a frontend on another origin that sends cookies.
//!
//! An allowed origin is reflected with `Access-Control-Allow-Credentials:
//! true`; the literal `*` is never sent (browsers reject it with
//! credentials). Patterns: an exact origin, `scheme://host:*` for any port,
//! or `*` to reflect every origin.

use axum::http::{HeaderName, HeaderValue, Method, request::Parts};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// Checks a pattern's shape, for config errors.
pub(crate) fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern == "*" {
        return Ok(());
    }
    let Some((scheme, rest)) = pattern.split_once("://") else {
        return Err(
            "an origin looks like http://localhost:3000, http://localhost:* or *".to_owned(),
        );
    };
    let host = rest.rsplit_once(':').map_or(rest, |(host, _)| host);
    if !matches!(scheme, "http" | "https")
        || host.is_empty()
        || rest.contains('/')
        || host.contains('*')
    {
        return Err("an origin looks like http://localhost:3000, http://localhost:* or *; a path or a wildcard host is not allowed".to_owned());
    }
    Ok(())
}

/// Whether `origin` matches one of the patterns.
pub(crate) fn allowed(patterns: &[String], origin: &str) -> bool {
    patterns.iter().any(|pattern| {
        pattern == "*"
            || pattern == origin
            || pattern.strip_suffix('*').is_some_and(|prefix| {
                origin.strip_prefix(prefix).is_some_and(|port| {
                    !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                })
            })
    })
}

pub(crate) fn layer(patterns: Vec<String>) -> CorsLayer {
    let origin = AllowOrigin::predicate(move |origin: &HeaderValue, _: &Parts| {
        origin.to_str().is_ok_and(|o| allowed(&patterns, o))
    });
    CorsLayer::new()
        .allow_origin(origin)
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            HeaderName::from_static("mock-scenario"),
            HeaderName::from_static("mock-off-contract"),
            HeaderName::from_static("mock-fault"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_wildcards_match_ports_only() {
        let patterns = vec![
            "http://localhost:*".to_owned(),
            "https://app.example.com".to_owned(),
        ];
        assert!(allowed(&patterns, "http://localhost:5173"));
        assert!(allowed(&patterns, "https://app.example.com"));
        assert!(!allowed(&patterns, "http://localhost:"));
        assert!(!allowed(&patterns, "http://localhost:5173.evil.com"));
        assert!(!allowed(&patterns, "http://localhost.evil.com:80"));
        assert!(!allowed(&patterns, "https://app.example.com.evil.com"));
        assert!(!allowed(&patterns, "null"));
    }

    #[test]
    fn pattern_shapes_are_checked() {
        assert!(check_pattern("http://localhost:*").is_ok());
        assert!(check_pattern("*").is_ok());
        assert!(check_pattern("localhost:3000").is_err());
        assert!(check_pattern("http://*.example.com").is_err());
        assert!(check_pattern("http://localhost:3000/app").is_err());
    }
}
