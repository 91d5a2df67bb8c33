//! One module per subcommand; each turns its args into options, calls the library, renders.

mod cat;
mod completions;
mod echo;
mod exec_limits;
mod guard;
mod inherit;
mod init;
mod jail;
mod lab;
mod limits;
mod manpage;
pub(crate) mod probe;
mod race;
mod report;
mod spawn_cost;

use crate::Outcome;
use crate::args::{Cli, Command};

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Lab(args) => lab::run(args),
        Command::Report(args) => report::run(args),
        Command::SpawnCost(args) => spawn_cost::run(args),
        Command::Cat(args) => cat::run(args),
        Command::Inherit(args) => inherit::run(args),
        Command::ExecLimits(args) => exec_limits::run(args),
        Command::Probe(args) => probe::run(args),
        Command::Race(args) => race::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Manpage(args) => manpage::run(args),
        Command::Echo(args) => echo::run(args),
        Command::Jail(args) => jail::run(args),
        Command::Limits(args) => limits::run(args),
        Command::Guard(args) => guard::run(args),
        Command::Init(args) => init::run(args),
    }
}
