//! The session contracts: the one place that knows what a session endpoint
//! must answer.
//!
//! Each contract is a JSON Schema document (draft 2020-12) embedded at build
//! time, whose `x-contract` manifest says how the endpoint is called (method,
//! path, credential carrier), which statuses it documents, which named
//! scenarios a mock serves and which fixtures show them. The mock server and
//! the conformance runner ask this crate everything; neither knows a field name.
//!
//! Three services hang off a [`Contract`]: [`Contract::validate`] (every schema
//! violation, with its JSON path), [`Contract::check_invariants`] (the rules a
//! schema cannot express, such as timestamp order), and
//! [`Contract::response_strategy`] (proptest strategies built by walking the
//! schema, for realistic, schema-valid bodies).

pub mod authjs;
mod contract;
pub mod duration;
mod error;
mod generate;
mod invariants;
pub mod judge;
pub mod manifest;
mod registry;
pub mod secret;
mod strict;
mod time_fmt;
mod validate;

pub use contract::{
    Answer, Auth, Contract, Example, Expiry, HeaderRule, MANIFEST_SCHEMA, Outcome, Protocol,
    ResponseSpec, Scenario, SessionFields,
};
pub use error::{ContractError, suggest};
pub use generate::{BodyGenerator, is_uuid, stream_rng, uuid_v4};
pub use invariants::{Clock, Invariant, Rule};
pub use registry::{ContractSource, Registry};
pub use time_fmt::shift_timestamps;
pub use validate::{Mode, Origin, Violation};
