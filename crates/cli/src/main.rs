//! The `forklab` command: parse flags into plain structs, call one library function, render
//! its result. Libraries never print; this crate is the only place that does.
#![deny(missing_docs)]

mod args;
mod cmd;
mod output;
#[allow(unsafe_code)]
mod sys;

use clap::Parser;
use std::process::ExitCode;

/// What a command found, when it ran to the end.
pub(crate) enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the command ran and found a failure (a mismatch, a failed check).
    Failure,
}

fn main() -> ExitCode {
    // Before the refusal: a set-user-ID copy of the probe reports its credentials and exits,
    // which is all it may do (see `cmd::probe` for why that is safe).
    if let Some(code) = cmd::probe::dispatch_early() {
        return code;
    }
    if let Some(why) = set_id_refusal() {
        crate::output::to_stderr!("forklab: error: {why}");
        return ExitCode::from(2);
    }
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return output::usage_error(e),
    };
    match cmd::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::from(1),
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            crate::output::to_stderr!("forklab: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A set-user-ID or set-group-ID forklab would run programs with someone else's rights: the
/// hole the article's set-user-ID `execve_cat` demonstrates. Refuse before doing anything.
fn set_id_refusal() -> Option<String> {
    let id = forklab_spawn::Identity::current();
    id.is_set_id().then(|| {
        format!(
            "refusing to run set-user-ID or set-group-ID (real uid {} gid {}, effective uid {} \
             gid {}): forklab runs other programs, and a privileged copy would run them with \
             privileges its caller does not have",
            id.uid, id.gid, id.euid, id.egid
        )
    })
}
