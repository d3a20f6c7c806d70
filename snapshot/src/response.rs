//! A response as the kit sees it: status, headers, body bytes.

use http::HeaderMap;
use serde_json::Value;

/// One HTTP response. Header names are kept lower-cased; a header value that
/// is not UTF-8 is kept lossily (it cannot be JSON's concern).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// From the parts any `http`-based client or server hands out
    /// (axum, reqwest, hyper): `Response::new(200, response.headers(), &bytes)`.
    pub fn new(status: u16, headers: &HeaderMap, body: impl AsRef<[u8]>) -> Self {
        Self {
            status,
            headers: headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.as_ref().to_vec(),
        }
    }

    /// A response with no headers yet; add them with [`Response::header`].
    pub fn with_body(status: u16, body: impl AsRef<[u8]>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.as_ref().to_vec(),
        }
    }

    /// The same response with one more header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}
