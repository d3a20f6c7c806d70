//! The auth-aware table: known, issued, tampered, revoked, absent, malformed,
//! and the permissive variant, for both credential carriers.

use axum::http::StatusCode;
use serde_json::{Value, json};
use session_mock::AuthMode;
use session_mock::DEFAULT_SIGNING_KEY;
use session_mock::Keyring;

use crate::util::{app, get};

fn issued() -> String {
    Keyring::new(DEFAULT_SIGNING_KEY, AuthMode::Known, vec![], vec![], vec![]).issue("dev")
}

async fn api(mock: &session_mock::MockApp, authorization: Option<&str>) -> (StatusCode, Value) {
    let headers: Vec<(&str, &str)> = authorization
        .map(|a| ("authorization", a))
        .into_iter()
        .collect();
    let answer = get(mock, "/auth/session", &headers).await;
    (answer.status, answer.body)
}

async fn authjs(mock: &session_mock::MockApp, cookie: Option<&str>) -> (StatusCode, Value) {
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    let answer = get(mock, "/api/auth/session", &headers).await;
    (answer.status, answer.body)
}

#[tokio::test]
async fn bearer_credentials_follow_the_table() {
    let mock = app(&[
        "--auth",
        "--token",
        "known-token",
        "--revoked",
        "gone-token",
    ]);
    let token = issued();
    let tampered = format!("{}x", &token[..token.len() - 1]);
    let (status, known) = api(&mock, Some("Bearer known-token")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(known["session_id"].is_string());
    assert_eq!(
        api(&mock, Some(&format!("Bearer {token}"))).await.0,
        StatusCode::OK,
        "issued"
    );
    for (what, header) in [
        ("absent", None),
        ("unknown", Some("Bearer who-knows")),
        ("tampered", Some(tampered.as_str())),
        ("truncated", Some(&token[..token.len() - 2])),
        ("empty", Some("Bearer ")),
        ("wrong scheme", Some("Basic a25vd24tdG9rZW4=")),
    ] {
        let header = header.map(|h| {
            if h.starts_with("Bearer") || h.starts_with("Basic") {
                h.to_owned()
            } else {
                format!("Bearer {h}")
            }
        });
        let (status, body) = api(&mock, header.as_deref()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(body["error"], "unauthorized", "{what}");
    }
    assert_eq!(
        api(&mock, Some("Bearer gone-token")).await.0,
        StatusCode::NOT_FOUND,
        "revoked"
    );
}

#[tokio::test]
async fn the_same_credential_gets_the_same_session_and_another_a_different_one() {
    let mock = app(&["--auth", "any"]);
    let (_, first) = api(&mock, Some("Bearer alpha")).await;
    let (_, again) = api(&mock, Some("Bearer alpha")).await;
    let (_, other) = api(&mock, Some("Bearer beta")).await;
    assert_eq!(
        (&first["session_id"], &first["user_id"]),
        (&again["session_id"], &again["user_id"])
    );
    assert_ne!(first["session_id"], other["session_id"]);
    assert_ne!(first["user_id"], other["user_id"]);
    let contract = session_schemas::Registry::builtin()
        .get("session-api")
        .expect("contract");
    assert!(
        contract
            .validate(200, &first, session_schemas::Mode::Strict)
            .expect("200")
            .is_empty()
    );
}

#[tokio::test]
async fn cookie_credentials_follow_the_table() {
    let mock = app(&[
        "--auth",
        "known",
        "--cookie",
        "cookie-value",
        "--revoked",
        "revoked-cookie",
    ]);
    let token = issued();
    let (status, body) = authjs(&mock, Some("theme=dark; authjs.session-token=cookie-value")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("user").is_some(), "known cookie: {body}");
    assert!(
        authjs(&mock, Some(&format!("next-auth.session-token={token}")))
            .await
            .1
            .get("user")
            .is_some(),
        "issued, v4 cookie name"
    );
    for (what, cookie) in [
        ("absent", None),
        ("wrong name", Some("session=cookie-value")),
        ("unknown", Some("authjs.session-token=nope")),
        (
            "tampered",
            Some(&*format!(
                "authjs.session-token={}0",
                &token[..token.len() - 1]
            )),
        ),
        ("revoked", Some("authjs.session-token=revoked-cookie")),
    ] {
        assert_eq!(
            authjs(&mock, cookie).await,
            (StatusCode::OK, json!({})),
            "{what}"
        );
    }
}

#[tokio::test]
async fn the_permissive_variant_accepts_any_well_formed_credential_only() {
    let mock = app(&["--auth", "any"]);
    assert_eq!(
        api(&mock, Some("Bearer anything-at-all")).await.0,
        StatusCode::OK
    );
    assert_eq!(api(&mock, Some("Bearer")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api(&mock, None).await.0, StatusCode::UNAUTHORIZED);
    assert!(
        authjs(&mock, Some("authjs.session-token=whatever"))
            .await
            .1
            .get("user")
            .is_some()
    );
    assert_eq!(
        authjs(&mock, Some("authjs.session-token=")).await.1,
        json!({})
    );
}

#[tokio::test]
async fn without_auth_mode_the_credential_is_ignored() {
    let mock = app(&[]);
    assert_eq!(
        api(&mock, None).await.0,
        StatusCode::OK,
        "the valid scenario, as configured"
    );
}
