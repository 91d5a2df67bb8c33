//! `forklab init`: the log subscriber `-v` asks for, then the library's init, then CMD's
//! status as init's own.

use crate::Outcome;
use crate::args::InitArgs;
use crate::output::to_stderr;
use anyhow::Context;
use forklab_init::{InitError, InitOptions};
use forklab_spawn::Step;
use std::io::ErrorKind;

pub(crate) fn run(args: InitArgs) -> anyhow::Result<Outcome> {
    install_logging(args.verbose);
    let mut command = args.command.into_iter();
    let program = command.next().context("no command given")?;
    let options = InitOptions {
        program,
        args: command.collect(),
        process_group: args.group,
        parent_death_signal: args.parent_death_signal,
        success_codes: args.success,
        grace: args.grace,
    };
    match forklab_init::run(&options) {
        Ok(report) => Ok(Outcome::Exit(report.exit_code)),
        // As a shell: 127 when CMD is not found, 126 when it cannot be executed.
        Err(InitError::Spawn(e)) if e.step() == Step::Exec => {
            let code = if e.kind() == ErrorKind::NotFound {
                127
            } else {
                126
            };
            to_stderr!("forklab: error: {:#}", anyhow::Error::from(e));
            Ok(Outcome::Exit(code))
        }
        Err(e) => Err(e.into()),
    }
}

/// Warnings always; `-v` each forwarded signal and reaped orphan; `-vv` more. `RUST_LOG`
/// overrides. On stderr, without colours unless it is a terminal.
fn install_logging(verbose: u8) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let level = match verbose {
        0 => "warn",
        1 => "forklab_init=info,warn",
        _ => "forklab_init=debug,info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // A log line that cannot be written (stderr a closed pipe) is dropped: tracing's own
    // report of the failure would go to stderr again, and panic there.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .log_internal_errors(false)
        .try_init();
}
