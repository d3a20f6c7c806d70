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
mod app;
pub mod args;
mod authjs;
pub mod clock;
pub mod config;
pub mod cors;
pub mod credentials;
/// Durations for flags and files: shared with the runner, from `session-schemas`.
pub use session_schemas::duration;
pub mod journal;
pub mod lifecycle;
mod memo;
mod mint;
mod persist;
pub mod proxy;
pub mod render;
pub mod resolve;
mod server;
mod state;
pub mod store;
pub mod ui;

pub use app::{Answering, MAX_HEADER_BYTES, MAX_URI_BYTES, MockApp, app};
pub use config::{
    AuthJsVersion, AuthMode, ConfigError, DataMode, MockConfig, Mount, SessionStrategy, User,
};
pub use mint::mint;
pub use persist::StateFileError;
pub use server::{MockServer, StartError, bind};
pub use state::AppState;
