//! Integration tests of the contract model: the embedded files, the fixtures
//! on disk, and bodies generated from the schemas.

mod fixtures;
mod generated;
mod loading;
mod manifest;
mod util;
