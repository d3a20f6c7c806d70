//! `session-conformance self-test`: the runner against the in-process mock;
//! prints each claim with its evidence, exits 1 if any claim fails.

use std::io::Write;

use crate::cli::SelfTestArgs;
use crate::error::{CliError, RunOutcome};
use crate::selftest;

pub fn run(args: &SelfTestArgs, out: &mut dyn Write) -> Result<RunOutcome, CliError> {
    let runtime = super::runtime()?;
    let (registry, _) = super::registry(&args.contract, &args.sources)?;
    let claims = runtime.block_on(selftest::claims(registry, args.cases, args.seed))?;
    for claim in &claims {
        writeln!(
            out,
            "{} {}\n     {}",
            if claim.holds { "ok  " } else { "FAIL" },
            claim.statement,
            claim.evidence
        )
        .map_err(CliError::Write)?;
    }
    let failed = claims.iter().filter(|c| !c.holds).count();
    writeln!(
        out,
        "self-test: {} of {} claims hold (seed {}, {} cases a run)",
        claims.len() - failed,
        claims.len(),
        args.seed,
        args.cases
    )
    .map_err(CliError::Write)?;
    Ok(if failed == 0 {
        RunOutcome::Conformant
    } else {
        RunOutcome::Violations
    })
}
