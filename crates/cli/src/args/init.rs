//! `forklab init` flags: tini's short flags, then CMD and its arguments untouched.

use super::parse_duration;
use clap::{ArgAction, Args};
use forklab_spawn::Signal;
use std::ffi::OsString;
use std::time::Duration;

/// `forklab init`.
#[derive(Debug, Args)]
#[command(after_help = INIT_HELP)]
pub(crate) struct InitArgs {
    /// Accepted for tini compatibility: init makes itself a child subreaper anyway when it
    /// is not PID 1
    #[arg(short = 's')]
    pub subreaper: bool,
    /// Forward signals to CMD's whole process group, not CMD alone
    #[arg(short = 'g')]
    pub group: bool,
    /// The signal init gets when its parent ends (SIGKILL, KILL, 9, SIGRTMIN+1…); a
    /// catchable one is forwarded to CMD
    #[arg(short = 'p', value_name = "SIGNAL", value_parser = forklab_init::parse_signal)]
    pub parent_death_signal: Option<Signal>,
    /// Exit with 0 when CMD's exit code is CODE (0-255; a death by signal n is 128+n); may
    /// be repeated
    #[arg(short = 'e', value_name = "CODE", action = ArgAction::Append, value_parser = clap::value_parser!(u8))]
    pub success: Vec<u8>,
    /// When CMD has ended, send SIGTERM to every descendant left, SIGKILL after DUR (500ms,
    /// 2s), and exit only when none is left
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub grace: Option<Duration>,
    /// Log each forwarded signal and each reaped orphan on stderr (-vv: more)
    #[arg(short = 'v', action = ArgAction::Count)]
    pub verbose: u8,
    /// The command and its arguments (after `--`, or after init's flags)
    #[arg(value_name = "CMD", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

const INIT_HELP: &str = "\
Runs CMD as its one child, in a process group of its own, and stays until CMD ends: every \
signal init receives that can be caught is forwarded to CMD (to its group with -g), TSTP, \
WINCH, CONT and the real-time signals included (SIGCHLD is not: init reaps). Every child is \
reaped, orphans included; not PID 1, init makes itself a child subreaper. With a terminal \
whose foreground init has, CMD gets the foreground. Arguments after CMD reach it unchanged, \
even ones that look like init's flags.

Examples:
  forklab init -- myserver --port 8080          # as a container's entrypoint
  forklab init -g -e 143 -- sh -c 'worker & worker & wait'
  forklab init --grace 5s -v -- ./run-tests.sh  # nothing it starts outlives it
  docker run --init=false --entrypoint forklab IMAGE init -- CMD

Exit status: CMD's own; 128+n when signal n killed CMD; 0 for a code given with -e; 126 when \
CMD cannot be executed, 127 when it is not found; 2 usage or runtime error.";
