//! `forklab echo load`.

use crate::Outcome;
use crate::args::EchoLoadArgs;

pub(crate) fn run(_args: EchoLoadArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("forklab echo load is not built yet")
}
