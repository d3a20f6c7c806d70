//! The root package of the workspace. It holds no code of its own: its
//! `tests/` directory carries the end-to-end tests that drive the binaries of
//! `mock-server/` and `conformance/` across crate boundaries.
