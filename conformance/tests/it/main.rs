//! Integration tests of the `session-conformance` binary.

mod validate_cli;
