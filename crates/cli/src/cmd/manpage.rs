//! `forklab manpage`: man pages rendered by clap_mangen from the clap definition, so they say
//! what `--help` says. forklab(1) goes to stdout; `--dir` writes it and one page per command
//! (forklab-spawn-cost(1), …, the pages forklab(1) refers to), as a package would install them.
//! Hidden commands (the internal probe) get no page.

use crate::Outcome;
use crate::args::{Cli, ManpageArgs};
use anyhow::Context;
use clap::CommandFactory;
use clap_mangen::Man;
use std::path::Path;

/// Prints forklab(1), or writes every page into `args.dir`.
pub(crate) fn run(args: ManpageArgs) -> anyhow::Result<Outcome> {
    let forklab = forklab_command();
    match args.dir {
        None => {
            let mut roff = Vec::new();
            page(forklab).render(&mut roff)?;
            crate::output::to_stdout(|out| out.write_all(&roff))?;
        }
        Some(dir) => write_pages(&forklab, &dir)?,
    }
    Ok(Outcome::Success)
}

/// The command the pages describe: built, so subcommands carry their `forklab-…` names, and
/// without clap's `help` subcommand, which needs no page.
fn forklab_command() -> clap::Command {
    let mut forklab = Cli::command().disable_help_subcommand(true);
    forklab.build();
    forklab
}

/// One page, titled in capitals as man pages are (`.TH FORKLAB-SPAWN-COST 1 …`), every page
/// from the same source, `forklab VERSION`.
fn page(command: clap::Command) -> Man {
    let title = command
        .get_display_name()
        .unwrap_or(command.get_name())
        .to_uppercase();
    Man::new(command)
        .title(title)
        .source(concat!("forklab ", env!("CARGO_PKG_VERSION")))
        .manual("User Commands")
        // No date (the page would differ from build to build), but an empty argument written
        // as such: clap_mangen writes nothing for "", which shifts source and manual into the
        // date's place in `.TH`.
        .date(r#""""#)
}

/// Writes the page of `command` and of each visible subcommand, recursively, into `dir`.
fn write_pages(command: &clap::Command, dir: &Path) -> anyhow::Result<()> {
    let man = page(command.clone());
    let file = dir.join(man.get_filename());
    man.generate_to(dir)
        .with_context(|| format!("cannot write {}", file.display()))?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    Ok(())
}
