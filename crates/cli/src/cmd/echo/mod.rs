//! `forklab echo`: dispatch to serve, load and compare.

mod compare;
mod load;
mod serve;

use crate::Outcome;
use crate::args::{EchoArgs, EchoCommand};

pub(crate) fn run(args: EchoArgs) -> anyhow::Result<Outcome> {
    match args.command {
        EchoCommand::Serve(args) => serve::run(args),
        EchoCommand::Load(args) => load::run(args),
        EchoCommand::Compare(args) => compare::run(args),
    }
}
