//! `forklab echo serve`.

use crate::Outcome;
use crate::args::EchoServeArgs;

pub(crate) fn run(_args: EchoServeArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("forklab echo serve is not built yet")
}
