//! Integration tests of the conformance runner: the `validate` CLI, the
//! runner against deliberately broken backends (wiremock-rs), the self-test
//! claims against the mock, reports, and `check` through the real binary.

mod backend;
mod broken;
mod check_cli;
mod fuzz_cli;
mod hostile;
mod life_server;
mod lifecycle;
mod openapi;
mod reports;
mod repro;
mod secrets;
mod self_test;
mod sign_in;
mod snapshot;
mod third_contract;
mod tls;
mod util;
mod validate_cli;
