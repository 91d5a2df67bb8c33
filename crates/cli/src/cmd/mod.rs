//! One module per subcommand; each turns its args into options, calls the library, renders.

mod cat;
mod race;
mod spawn_cost;

use crate::Outcome;
use crate::args::{Cli, Command};

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::SpawnCost(args) => spawn_cost::run(args),
        Command::Cat(args) => cat::run(args),
        Command::Race(args) => race::run(args),
    }
}
