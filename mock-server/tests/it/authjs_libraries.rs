//! The real Auth.js libraries against the mock's cookies, both ways, in
//! Node (`tests/authjs-jwt/roundtrip.test.mjs`): @auth/core 0.41.3's and
//! next-auth 4.24.15's `decode` read the cookies the mock sets; cookies
//! their `encode` writes are sessions on the mock; a wrong secret, a
//! flipped byte, a cut token and an expired one are signed out; chunked
//! cookies both ways. Needs node and `npm ci --prefix tests/authjs-jwt`;
//! `.ci/run` installs both and runs it.

use crate::util::serve;

#[tokio::test]
#[ignore = "needs node and `npm ci --prefix tests/authjs-jwt`; .ci/run runs it"]
async fn the_real_auth_js_libraries_read_the_mocks_cookies_and_the_mock_reads_theirs() {
    const SECRET: &str = "a-secret-the-app-and-the-mock-share-1";
    let users = ["--auth-secret", SECRET, "--user", "alice:wonderland"];
    let (_v5, v5) = serve(&users).await;
    let (_v4, v4) = serve(&[&users[..], &["--authjs-version", "v4"]].concat()).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/authjs-jwt");
    assert!(
        dir.join("node_modules/@auth/core").is_dir(),
        "run `npm ci --prefix tests/authjs-jwt` first"
    );
    let output = tokio::process::Command::new("node")
        .args(["--test", "--test-reporter=spec", "roundtrip.test.mjs"])
        .current_dir(&dir)
        .env("MOCK_V5", &v5.base)
        .env("MOCK_V4", &v4.base)
        .env("AUTH_SECRET", SECRET)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // Every test ran and passed (node prints the counts).
    assert!(
        stdout.contains("pass 5") && stdout.contains("fail 0"),
        "{stdout}"
    );
}
