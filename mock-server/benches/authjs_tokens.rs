//! What an Auth.js 5 session cookie costs the mock per request: decrypting
//! the token a browser sends, and encrypting the refreshed one it answers
//! with (`dir` + A256CBC-HS512, as @auth/core writes it), for a session
//! with a typical profile.
//!
//!     cargo bench -p session-mock --bench authjs_tokens

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use session_mock::testing::AuthJsCodec;

fn claims() -> Map<String, Value> {
    let Value::Object(claims) = json!({
        "name": "Alice Liddell",
        "email": "alice@example.com",
        "sub": "7f2c1e9a-0000-4000-8000-000000000001",
        "user_type": "client",
        "sid": "3d8f6a2b-1c4e-4f5a-9b7c-2e1d0f3a4b5c",
        "session-mock": {"c": "authjs", "u": "alice", "t": 1_796_234_125, "l": 2_592_000, "n": 1234567890}
    }) else {
        unreachable!()
    };
    claims
}

fn tokens(c: &mut Criterion) {
    let codec = AuthJsCodec::new("a-secret-the-app-and-the-mock-share");
    let name = "authjs.session-token";
    let now = 1_796_234_125;
    let claims = claims();
    let token = codec.encode(name, &claims, now, now + 2_592_000);
    assert!(codec.decode(name, &token, now).is_some());
    c.bench_function(
        "authjs v5 token: decrypt (AES-256-CBC, HMAC-SHA-512)",
        |b| {
            b.iter(|| codec.decrypt(name, std::hint::black_box(&token)));
        },
    );
    c.bench_function("authjs v5 token: decrypt and read every claim", |b| {
        b.iter(|| codec.decode(name, std::hint::black_box(&token), now));
    });
    c.bench_function("authjs v5 token: encrypt", |b| {
        b.iter(|| codec.encode(name, std::hint::black_box(&claims), now, now + 2_592_000));
    });
}

criterion_group!(benches, tokens);
criterion_main!(benches);
