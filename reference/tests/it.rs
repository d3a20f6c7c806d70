//! The reference implementation, snapshot-tested with the kit the way an
//! implementer would test theirs: every response must conform, and its
//! normalized form is pinned.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use session_reference::{Store, User, app};
use session_snapshot::{Kit, Response};
use tower::ServiceExt;

fn ada() -> User {
    User {
        id: "9f8b6c1e-3d2a-4e5f-8a7b-1c2d3e4f5a6b".to_owned(),
        email: "ada.lovelace@example.com".to_owned(),
        name: "Ada Lovelace".to_owned(),
        username: "ada.lovelace".to_owned(),
    }
}

/// A store with one live and one revoked session: (store, live, revoked).
fn store() -> (Arc<Store>, String, String) {
    let store = Arc::new(Store::default());
    let live = store.sign_in(ada(), "credentials").unwrap();
    let revoked = store.sign_in(ada(), "google").unwrap();
    assert!(store.revoke(&revoked));
    (store, live, revoked)
}

async fn get(store: &Arc<Store>, path: &str, header: Option<(&str, String)>) -> Response {
    let mut request = Request::get(path);
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = app(store.clone())
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Response::new(status, &headers, body)
}

#[tokio::test]
async fn session_api_responses() {
    let (store, live, revoked) = store();
    let kit = Kit::new("session-api").secret(&live).secret(&revoked);
    let bearer = |token: &str| Some(("authorization", format!("Bearer {token}")));
    let path = "/auth/session";

    insta::assert_json_snapshot!(
        "session_api_valid",
        kit.assert_conforms(&get(&store, path, bearer(&live)).await)
    );
    insta::assert_json_snapshot!(
        "session_api_absent",
        kit.assert_conforms(&get(&store, path, None).await)
    );
    insta::assert_json_snapshot!(
        "session_api_unknown",
        kit.assert_conforms(&get(&store, path, bearer("not-a-session")).await)
    );
    insta::assert_json_snapshot!(
        "session_api_revoked",
        kit.assert_conforms(&get(&store, path, bearer(&revoked)).await)
    );
    let wrong_scheme = Some(("authorization", format!("Basic {live}")));
    let response = get(&store, path, wrong_scheme).await;
    assert_eq!(response.status, 401);
    kit.assert_conforms(&response);
}

#[tokio::test]
async fn authjs_responses() {
    let (store, live, revoked) = store();
    let kit = Kit::new("authjs").secret(&live).secret(&revoked);
    let cookie = |value: String| Some(("cookie", value));
    let path = "/api/auth/session";

    let valid = get(
        &store,
        path,
        cookie(format!("theme=dark; authjs.session-token={live}")),
    )
    .await;
    insta::assert_json_snapshot!("authjs_valid", kit.assert_conforms(&valid));
    let signed_out = kit.assert_conforms(&get(&store, path, None).await);
    insta::assert_json_snapshot!("authjs_signed_out", signed_out);
    for other in [
        format!("authjs.session-token={revoked}"),
        format!("wrong-name={live}"),
        "authjs.session-token=".to_owned(),
    ] {
        assert_eq!(
            kit.assert_conforms(&get(&store, path, cookie(other)).await),
            signed_out
        );
    }
    // The legacy NextAuth name still signs in.
    let legacy = get(
        &store,
        path,
        cookie(format!("next-auth.session-token={live}")),
    )
    .await;
    assert_eq!(kit.assert_conforms(&legacy), kit.assert_conforms(&valid));
}

#[tokio::test]
async fn signing_out_revokes() {
    let (store, live, _) = store();
    let kit = Kit::new("session-api").secret(&live);
    let request = Request::delete("/auth/session")
        .header("authorization", format!("Bearer {live}"))
        .body(Body::empty())
        .unwrap();
    let response = app(store.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), 204);
    let after = get(
        &store,
        "/auth/session",
        Some(("authorization", format!("Bearer {live}"))),
    )
    .await;
    assert_eq!(after.status, 404);
    kit.assert_conforms(&after);
}

/// The kit's selectors, used with insta's own redactions, pin the same
/// values the kit's normalization does.
#[tokio::test]
async fn redaction_selectors_work_with_insta() {
    let (store, live, _) = store();
    let kit = Kit::new("authjs").secret(&live);
    let response = get(
        &store,
        "/api/auth/session",
        Some(("cookie", format!("authjs.session-token={live}"))),
    )
    .await;
    let mut settings = insta::Settings::clone_current();
    for redaction in kit.redactions() {
        settings.add_redaction(&redaction.selector, redaction.placeholder.clone());
    }
    settings.set_sort_maps(true);
    settings.bind(|| {
        insta::assert_json_snapshot!("authjs_valid_by_selectors", response.json().unwrap());
    });
}

/// The kit rejects what breaks the contract, naming every problem.
#[tokio::test]
async fn the_kit_rejects_a_broken_response() {
    let (store, live, _) = store();
    let kit = Kit::new("session-api").secret(&live);
    let good = get(
        &store,
        "/auth/session",
        Some(("authorization", format!("Bearer {live}"))),
    )
    .await;
    let mut body = good.json().unwrap();
    body["user_id"] = "not-a-uuid".into();
    body["echo"] = live.clone().into();
    let broken =
        Response::with_body(200, body.to_string()).with_header("content-type", "text/plain");
    let error = kit.check(&broken).unwrap_err();
    let text = error.to_string();
    for expected in [
        "Cache-Control: missing",
        "not application/json",
        "the body echoes the credential",
        "/user_id",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert_eq!(error.violations.len(), 4, "{text}");
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kit.assert_conforms(&broken)
    }))
    .unwrap_err();
    assert!(
        panic
            .downcast_ref::<String>()
            .is_some_and(|m| m.contains("4 violations"))
    );
}
