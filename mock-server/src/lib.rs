//! `session-mock`: a mock of the session endpoints for frontend teams.
//!
//! Every contract of the schemas crate is served at its path with each of its
//! scenarios, chosen per run, per request or at runtime, or by the request's
//! credential in auth-aware mode. The server knows no field of any contract:
//! bodies, statuses and headers all come from the contract model.
//!
//! Flow: config -> `app()` precomputes bodies and headers -> per request,
//! `resolve()` picks the answer -> `render` produces the bytes -> latency or
//! fault -> journal entry (redacted).

mod admin;
mod admin_sessions;
mod answer;
mod app;
mod args;
mod authjs;
mod clock;
mod config;
mod cors;
mod credentials;
mod decide;
mod http;
mod journal;
mod lifecycle;
mod memo;
mod mint;
mod persist;
mod proxy;
mod render;
mod resolve;
mod server;
mod settings;
mod state;
mod store;
mod tokens;
mod ui;
mod users;

/// Durations for flags and files: shared with the runner, from `session-schemas`.
pub use session_schemas::duration;

pub use answer::Answering;
pub use app::{MAX_HEADER_BYTES, MAX_URI_BYTES, MockApp, Served, app};
pub use args::{Command, MockArgs};
pub use clock::format as format_instant;
pub use config::{DEFAULT_SIGNING_KEY, FileConfig, MockConfig, Mount};
pub use credentials::Keyring;
pub use mint::mint;
pub use persist::StateFileError;
pub use server::{MockServer, StartError, bind};
pub use settings::{AuthJsVersion, AuthMode, ConfigError, DataMode, SessionStrategy, refused_flag};
pub use state::AppState;
pub use ui::PAGE as CONTROL_PAGE;
pub use users::{DEFAULT_PASSWORD, DEFAULT_USER, User};

/// What the benchmarks and the test suites reach from outside the crate;
/// not an API.
#[doc(hidden)]
pub mod testing {
    use serde_json::{Map, Value};

    pub use crate::proxy::Upstream;
    /// The control page's embedded files.
    pub mod ui {
        pub use crate::ui::{ASSETS, Asset, CONTENT_SECURITY_POLICY_VALUE};
    }

    /// Auth.js 5's session token codec (`tokens::jwe`), for `benches/`.
    #[derive(Debug)]
    pub struct AuthJsCodec(crate::tokens::jwe::Codec);

    impl AuthJsCodec {
        pub fn new(secret: &str) -> Self {
            Self(crate::tokens::jwe::Codec::new(vec![secret.to_owned()]))
        }

        /// An Auth.js 5 token of `claims` for the cookie `name`.
        pub fn encode(
            &self,
            name: &str,
            claims: &Map<String, Value>,
            now: i64,
            exp: i64,
        ) -> String {
            self.0
                .encode(crate::tokens::jwe::Flavour::V5, name, claims, now, exp)
        }

        /// Its plaintext, if it decrypts.
        pub fn decrypt(&self, name: &str, token: &str) -> Option<Vec<u8>> {
            self.0
                .decrypt(crate::tokens::jwe::Flavour::V5, name, token)
                .ok()
        }

        /// Its claims, if it decrypts and has not expired at `now`.
        pub fn decode(&self, name: &str, token: &str, now: i64) -> Option<Map<String, Value>> {
            self.0
                .decode(crate::tokens::jwe::Flavour::V5, name, token, now)
                .ok()
        }
    }
}
