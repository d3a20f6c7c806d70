//! One module per subcommand. Each writes its report to the given writer and
//! returns whether the target conformed; errors mean nothing was judged.

pub mod check;
pub mod contracts;
mod limits;
pub mod self_test;
pub mod snapshot;
pub mod validate;

use crate::error::CliError;
pub(crate) use crate::registry::{contract, registry};

/// The runtime the network commands run on.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))
}
