//! `forklab completions SHELL`: clap_complete's script for the shell, generated from the same
//! clap definition that parses the command line, so it cannot fall out of date. Static
//! scripts only: nothing here runs forklab while the user types.

use crate::Outcome;
use crate::args::{Cli, CompletionsArgs, Shell};
use clap::CommandFactory;

/// The name the scripts complete.
const BIN: &str = "forklab";

/// Prints the completion script for `args.shell` on stdout.
pub(crate) fn run(args: CompletionsArgs) -> anyhow::Result<Outcome> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut completable(), BIN, &mut script);
    crate::output::to_stdout(|out| out.write_all(&script))?;
    Ok(Outcome::Success)
}

/// forklab's command line without its hidden subcommands: clap_complete's static scripts would
/// offer them (the internal probe) like any other. clap cannot remove a subcommand, so the
/// root is rebuilt with what completion uses: its flags, version and visible subcommands.
fn completable() -> clap::Command {
    let full = Cli::command();
    clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(full.is_propagate_version_set())
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(command: &clap::Command) -> Vec<String> {
        let subcommands = command.get_subcommands().map(|s| s.get_name().to_string());
        let args = command.get_arguments().map(|a| a.get_id().to_string());
        subcommands.chain(args).collect()
    }

    #[test]
    fn everything_but_hidden_subcommands_is_completed() {
        let mut full = Cli::command();
        let mut completable = completable();
        full.build();
        completable.build();
        let mut expected = names(&full);
        expected.retain(|name| full.find_subcommand(name).is_none_or(|s| !s.is_hide_set()));
        assert_eq!(names(&completable), expected);
        assert!(expected.contains(&"spawn-cost".to_string()));
        assert!(completable.find_subcommand("__probe").is_none());
        completable.debug_assert();
    }
}
