//! One module per subcommand. Each writes its report to the given writer and
//! returns whether the target conformed; errors mean nothing was judged.

pub mod check;
pub mod contracts;
pub mod self_test;
pub mod validate;
