//! The control page at `/__mock/`: one HTML page, its script, style and
//! icon, all compiled into the binary (no CDN, nothing fetched at run time).
//! It is served where the admin API is (loopback unless `--admin-open`, off
//! with `--no-admin`) and talks to nothing but that API.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION,
    REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// Where the page lives.
pub const PAGE: &str = "/__mock/";

/// Nothing but the mock's own origin: no inline script or style, no
/// frames, no form posts, no `<base>` rewriting.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// Every file the page is made of.
pub static ASSETS: [Asset; 4] = [
    Asset {
        path: "/__mock/",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../ui/index.html"),
    },
    Asset {
        path: "/__mock/ui/app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../ui/app.js"),
    },
    Asset {
        path: "/__mock/ui/app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../ui/app.css"),
    },
    Asset {
        path: "/__mock/ui/icon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../ui/icon.svg"),
    },
];

/// Each file's validator, hashed on the first load of the page rather than
/// at start-up: a new binary's page is never taken for the old one.
static ETAGS: LazyLock<[HeaderValue; 4]> =
    LazyLock::new(|| ASSETS.each_ref().map(|a| etag(a.bytes)));

fn etag(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

pub(crate) fn routes() -> Router<AppState> {
    let mut router = Router::new().route(
        "/__mock",
        get(|| async { (StatusCode::PERMANENT_REDIRECT, [(LOCATION, PAGE)]) }),
    );
    for (index, asset) in ASSETS.iter().enumerate() {
        router = router.route(
            asset.path,
            get(move |headers: HeaderMap| serve(index, headers)),
        );
    }
    router
}

async fn serve(index: usize, request: HeaderMap) -> Response {
    let (asset, etag) = (&ASSETS[index], ETAGS[index].clone());
    let fresh = request.get(IF_NONE_MATCH).is_some_and(|seen| {
        seen.as_bytes()
            .split(|b| *b == b',')
            .any(|t| t.trim_ascii() == etag.as_bytes())
    });
    let mut headers = HeaderMap::new();
    headers.insert(ETAG, etag);
    // Revalidated on every load: a new binary never serves yesterday's page.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    (headers, asset.bytes).into_response()
}
