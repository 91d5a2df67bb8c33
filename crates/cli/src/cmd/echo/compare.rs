//! `forklab echo compare`.

use crate::Outcome;
use crate::args::EchoCompareArgs;

pub(crate) fn run(_args: EchoCompareArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("forklab echo compare is not built yet")
}
