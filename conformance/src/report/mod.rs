//! A whole run's results, and the three ways they are written: for people
//! (`human`), for programs (`json`, whose shape `report.schema.json`
//! documents) and for CI dashboards (`junit`). Everything in a report has
//! been redacted: no credential reaches any of them.

pub mod human;
pub mod json;
pub mod junit;

use std::time::Duration;

use crate::run::TargetRun;

/// The results of `check` over all its targets.
#[derive(Debug, Clone)]
pub struct Report {
    pub seed: u64,
    pub strict: bool,
    pub targets: Vec<TargetRun>,
    pub duration: Duration,
    /// The command that re-runs the same cases (credentials from the environment).
    pub rerun: String,
}

impl Report {
    pub fn conformant(&self) -> bool {
        self.targets.iter().all(TargetRun::conformant)
    }
}
