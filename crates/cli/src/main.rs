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
    /// Exit with this status: a command that passes on another program's (`jail`).
    Exit(u8),
}

fn main() -> ExitCode {
    // Before the refusal: a set-user-ID copy of the probe reports its credentials and exits,
    // which is all it may do (see `cmd::probe` for why that is safe).
    if let Some(code) = cmd::probe::dispatch_early() {
        return code;
    }
    if let Some(code) = bomb_early() {
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
        Ok(Outcome::Exit(code)) => ExitCode::from(code),
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            crate::output::to_stderr!("forklab: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `forklab __bomb KIND`: a bomb process of `jail`'s tests and `guard drill` (hidden). Taken
/// before anything else, since every copy of a vfork-exec bomb starts here; it refuses to run
/// unless confined (see `forklab_guard::bomb::refusal`).
fn bomb_early() -> Option<ExitCode> {
    use forklab_guard::bomb::{self, BombKind};
    let mut args = std::env::args_os().skip(1);
    if args.next()? != bomb::SUBCOMMAND {
        return None;
    }
    let kind = args.next();
    let Some(kind) = kind.as_ref().and_then(|k| BombKind::from_name(k.to_str()?)) else {
        crate::output::to_stderr!("forklab: error: __bomb takes fork, vfork-exec or shell");
        return Some(ExitCode::from(2));
    };
    let why = bomb::run(kind);
    crate::output::to_stderr!("forklab: error: refusing to start a {kind} bomb: {why}");
    Some(ExitCode::from(2))
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
