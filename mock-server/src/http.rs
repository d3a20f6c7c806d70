//! The HTTP pieces every route shares, each in one place: the error the
//! mock answers with (`{"error", "message"}` JSON, or RFC 9457 problem
//! details where the API speaks them), bounded request bodies, and the
//! request's cookies as Auth.js reads them.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Admin request bodies larger than this are refused.
pub(crate) const MAX_ADMIN_BODY: usize = 64 * 1024;

/// A refusal: a status, a stable code, a message for people; optionally
/// headers (`Allow`, `Connection: close`...). Answered as
/// `{"error": code, "message": message}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// 400 `bad_request`.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 413 for a body past `limit` bytes.
    pub(crate) fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is over {limit} bytes"),
        )
    }

    /// The same refusal under another code and message.
    pub(crate) fn instead(
        mut self,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        self.code = code.into();
        self.message = message.into();
        self
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.code, "message": self.message});
        let mut response = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// RFC 9457 problem details (`application/problem+json`): `type`,
/// `title`, `status`, `detail`, and members of the problem's own.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    body: Map<String, Value>,
}

impl Problem {
    pub(crate) fn new(status: StatusCode, title: &str, detail: String) -> Self {
        let mut body = Map::new();
        body.insert("type".into(), Value::from("about:blank"));
        body.insert("title".into(), Value::from(title));
        body.insert("status".into(), Value::from(status.as_u16()));
        body.insert("detail".into(), Value::from(detail));
        Self { status, body }
    }

    /// A member of this problem's own.
    pub(crate) fn with(mut self, name: &str, value: Value) -> Self {
        self.body.insert(name.to_owned(), value);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (
            self.status,
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            )],
            Value::Object(self.body).to_string(),
        )
            .into_response()
    }
}

/// A request body of at most `limit` bytes; 413 past it.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::too_large(limit))
}

/// A body of at most `limit` bytes that is a JSON object (an empty body is
/// an empty object); a 400 naming the problem and showing `example`.
pub(crate) async fn json_object(
    body: Body,
    limit: usize,
    example: &str,
) -> Result<Map<String, Value>, ApiError> {
    let bytes = read_body(body, limit).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(format!(
            "the body is not a JSON object; expected e.g. {example}"
        ))),
        Err(e) => Err(ApiError::bad_request(format!(
            "the body is not valid JSON ({e}); expected e.g. {example}"
        ))),
    }
}

/// The request's cookies by name, as Auth.js's cookie library reads them:
/// the first of a repeated name wins, and a value with `%` is
/// percent-decoded (kept raw when that fails).
pub(crate) fn request_cookies(headers: &HeaderMap) -> HashMap<String, String> {
    let mut cookies = HashMap::new();
    for (name, value) in cookie_pairs(headers) {
        cookies.entry(name.to_owned()).or_insert_with(|| {
            let value = value.trim_matches('"');
            if value.contains('%') {
                percent_encoding::percent_decode_str(value)
                    .decode_utf8()
                    .map_or_else(|_| value.to_owned(), Cow::into_owned)
            } else {
                value.to_owned()
            }
        });
    }
    cookies
}

/// Every `name=value` pair of the request's `Cookie` headers, in order,
/// raw. Pairs without `=` are skipped; a header that is not visible ASCII
/// is `None` in place of its pairs (see [`cookie_headers_are_text`]).
pub(crate) fn cookie_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .filter_map(|pair| Some((pair.name_raw()?, pair.value_raw()?)))
}

/// Whether every `Cookie` header is visible ASCII.
pub(crate) fn cookie_headers_are_text(headers: &HeaderMap) -> bool {
    headers.get_all(COOKIE).iter().all(|h| h.to_str().is_ok())
}

/// Whether the cookie `name` is `base` itself or one of its chunks
/// (`base.0`, `base.1`...), as Auth.js splits a long session cookie.
pub(crate) fn is_chunk_of(name: &str, base: &str) -> bool {
    name == base
        || name
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|n| n.parse::<usize>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(COOKIE, HeaderValue::from_str(cookie).expect("value"));
        map
    }

    #[test]
    fn cookies_are_read_as_auth_js_reads_them() {
        let cookies = request_cookies(&headers("a=1; b=x%7Cy; a=2; c=%Nr; d=\"q\""));
        assert_eq!(cookies["a"], "1", "the first wins");
        assert_eq!(cookies["b"], "x|y", "decoded");
        assert_eq!(cookies["c"], "%Nr", "a bad escape kept raw");
        assert_eq!(cookies["d"], "q");
        assert!(is_chunk_of("n.0", "n") && is_chunk_of("n", "n"));
        assert!(!is_chunk_of("n.x", "n") && !is_chunk_of("n-old", "n"));
    }
}
