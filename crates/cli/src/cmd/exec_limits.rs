//! `forklab exec-limits` (placeholder while the library lands).
use crate::Outcome;
use crate::args::ExecLimitsArgs;

pub(crate) fn run(_args: ExecLimitsArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("not yet")
}
