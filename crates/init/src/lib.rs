//! A PID 1 for containers: `forklab init`, tini's contract plus `--grace`.
//!
//! The article follows the kernel to `kernel_init`, which execs `/sbin/init` as the first
//! process. Whatever a container runtime starts first is PID 1 too, and PID 1 has two duties
//! no ordinary program performs: it reaps the orphans the kernel re-parents to it, and it
//! passes signals on (the kernel gives PID 1 no default action for a signal it has not
//! blocked or caught, so `docker stop` would wait and then kill). [`run`] does both:
//!
//! ```no_run
//! use forklab_init::{InitOptions, run};
//!
//! let options = InitOptions::new("sleep", ["10"]);
//! let report = run(&options)?;
//! std::process::exit(report.exit_code.into());
//! # Ok::<(), forklab_init::InitError>(())
//! ```
//!
//! How it works, and why:
//!
//! - **Signals, synchronously.** Before CMD exists, init blocks every signal that can be
//!   blocked and reads them from a `signalfd(2)`: no handler ever runs, a signal that arrives
//!   early stays pending, and a blocked signal is never "ignored" by the kernel even in PID 1
//!   (the kernel drops a signal sent to a namespace's init only when its action is the
//!   default). The process must be single-threaded ([`InitError::Threads`] otherwise):
//!   another thread would take the signals. Init sleeps in `read(2)`: idle, it uses no CPU.
//! - **CMD** is spawned through `forklab-spawn` as init's one direct child, leader of a
//!   process group of its own, with an empty signal mask and every disposition at its default
//!   (the Rust runtime ignores `SIGPIPE`; CMD must not inherit that).
//! - **Forwarding.** Every signal but `SIGCHLD` goes to CMD (`kill(CMD)`), or with
//!   [`InitOptions::process_group`] (`-g`) to CMD's group (`kill(-CMD)`): `TSTP`, `TTIN`,
//!   `TTOU`, `WINCH`, `CONT` and the real-time signals included. Race-free without a pidfd:
//!   CMD is init's own child and only init reaps it, so until init has reaped it its pid is
//!   CMD's; and a group id stays allocated while any member is alive, so `-CMD` can never name
//!   a stranger's group. Nothing is forwarded once CMD is reaped. Init itself never stops:
//!   `TSTP`, `TTIN` and `TTOU` are blocked, which the terminal treats as ignored.
//! - **Reaping.** On each `SIGCHLD`, `waitpid(-1, WNOHANG)` until nothing more has ended
//!   (`SIGCHLD`s coalesce). Not PID 1, init makes itself a child subreaper, so orphans come
//!   to it all the same (tini's `-s`, always on).
//! - **Exit status** ([`exit_code`]): CMD's code, `128 + n` when signal `n` killed it (init
//!   exits with that code, it does not re-raise, as tini), and any code in
//!   [`InitOptions::success_codes`] (`-e`) becomes 0. As tini, init exits as soon as CMD has
//!   been reaped (and whatever else has ended with it), unless [`InitOptions::grace`] is set.
//! - **The terminal**, as tini's `isolate_child`: when init's group is the foreground group
//!   of the terminal on its stdin, CMD's child process puts its own group in the foreground
//!   before it execs (tini does so whether or not `-g` is given, and so does init; unlike
//!   tini, init never takes the foreground it was not given). Ctrl-C then reaches CMD's group
//!   from the terminal directly.
//! - **`--grace`**, beyond tini: once CMD has been reaped, every remaining descendant gets
//!   `SIGTERM`; after the grace period (or at once if init is told to stop again: `TERM`,
//!   `INT`, `QUIT` or `HUP`), `SIGKILL`, again and again until init has no child left — for
//!   PID 1 or a subreaper, no child means no descendant. Init exits only then, so nothing
//!   outlives it. How each descendant is signalled without risking a recycled pid is in
//!   the notes of the private `descendants` module (`kill(-1)` in PID 1 of a namespace; otherwise verified pidfds).
//!
//! Deliberately not here: tini's respawn (`-R`) and license (`-l`), and restoring the signal
//! mask: [`run`] leaves every signal blocked, since the process is about to exit with the code
//! and a pending `SIGTERM` unblocked would kill it instead.
#![deny(missing_docs)]

mod descendants;
mod grace;
mod reap;
mod signals;
mod status;
#[allow(unsafe_code)]
mod sys;

pub use grace::Leftovers;
pub use signals::parse_signal;
pub use status::exit_code;

use forklab_spawn::{Command, Signal, SpawnError, WaitStatus};
use reap::Reaper;
use signals::SignalQueue;
use std::ffi::OsString;
use std::io;
use std::time::Duration;

/// What to run and how: `forklab init`'s flags.
#[derive(Clone, Debug, Default)]
pub struct InitOptions {
    /// CMD: a path, or a name searched in `PATH`.
    pub program: OsString,
    /// CMD's arguments, passed unchanged.
    pub args: Vec<OsString>,
    /// `-g`: forward signals to CMD's whole process group instead of CMD alone.
    pub process_group: bool,
    /// `-p`: the signal init gets when its parent ends (`PR_SET_PDEATHSIG` on init itself, as
    /// tini's `-p`); a catchable one is forwarded to CMD like any other.
    pub parent_death_signal: Option<Signal>,
    /// `-e`: exit codes (signal deaths as `128 + n`) that init reports as 0.
    pub success_codes: Vec<u8>,
    /// `--grace`: end every descendant left when CMD has ended, `SIGTERM` then after this long
    /// `SIGKILL`, before exiting.
    pub grace: Option<Duration>,
}

impl InitOptions {
    /// Options running `program` with `args` and nothing else set.
    pub fn new<I, S>(program: impl Into<OsString>, args: I) -> InitOptions
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        InitOptions {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            ..InitOptions::default()
        }
    }
}

/// How it went: CMD's status, the code to exit with, and what init did on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitReport {
    /// How CMD ended.
    pub status: WaitStatus,
    /// The code init should exit with ([`exit_code`] of the status).
    pub exit_code: u8,
    /// Orphans reaped (children of init other than CMD).
    pub orphans_reaped: u64,
    /// Signals forwarded to CMD (or its group).
    pub signals_forwarded: u64,
    /// What `--grace` found and ended; `None` without `--grace`.
    pub leftovers: Option<Leftovers>,
}

/// Why init could not do its job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The calling process has more than one thread: one of the others would take the
    /// signals init blocks.
    #[error(
        "init must be started from a single-threaded process (this one has {0} threads): \
         another thread would take the signals"
    )]
    Threads(usize),
    /// CMD could not be started (`NotFound` at the exec step: a shell's 127).
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// A system call init needs failed.
    #[error("{what}: {source}")]
    System {
        /// What init was doing.
        what: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
}

fn system(what: &'static str) -> impl FnOnce(io::Error) -> InitError {
    move |source| InitError::System { what, source }
}

/// Runs CMD as init: blocks the signals, sets the parent-death signal, becomes a subreaper
/// (unless PID 1), spawns CMD, then forwards and reaps until CMD has ended, and with `--grace`
/// until nothing is left. Call it from a single-threaded process that exits with
/// [`InitReport::exit_code`] right after; every signal stays blocked (see the crate notes).
pub fn run(options: &InitOptions) -> Result<InitReport, InitError> {
    single_threaded()?;
    let parent = rustix::process::getppid();
    let mut signals = SignalQueue::block_all().map_err(system("blocking signals"))?;
    sys::signal::default_disposition(libc::SIGCHLD)
        .map_err(system("setting SIGCHLD to its default action"))?;
    if let Some(signal) = options.parent_death_signal {
        signals.forward_own(signal.as_raw());
        parent_death_signal(signal, parent)?;
    }
    let pid1 = std::process::id() == 1;
    if !pid1 {
        rustix::process::set_child_subreaper(rustix::process::Pid::from_raw(1))
            .map_err(|e| system("becoming a child subreaper")(e.into()))?;
    }
    let foreground = in_foreground();
    let cmd = spawn(options, foreground)?;
    tracing::info!(pid = cmd, pid1, "CMD started");
    let mut reaper = Reaper::new(cmd);
    let mut forwarded = 0;
    // With --grace, being told to stop ends everything, not CMD alone: the request goes to
    // CMD, then the shutdown below follows.
    let mut stopping = false;
    while reaper.status.is_none() && !stopping {
        for &sig in signals.wait(None).map_err(system("reading signals"))? {
            if sig == libc::SIGCHLD {
                reaper.reap().map_err(system("reaping"))?;
            } else if reaper.status.is_none() {
                forwarded += u64::from(forward(cmd, options.process_group, sig));
                stopping |= options.grace.is_some() && signals::is_stop_request(sig);
            }
        }
    }
    let children = reaper.reap().map_err(system("reaping"))?;
    let leftovers = match options.grace {
        Some(grace) => Some(
            grace::shutdown(&mut signals, &mut reaper, children, grace, pid1)
                .map_err(system("ending what CMD left"))?,
        ),
        None => None,
    };
    // CMD is reaped by now, unless it could not be killed: its status is what init exits
    // with, so it is waited for.
    while reaper.status.is_none() {
        if signals
            .wait(None)
            .map_err(system("reading signals"))?
            .contains(&libc::SIGCHLD)
        {
            reaper.reap().map_err(system("reaping"))?;
        }
    }
    if foreground {
        // CMD's group had the terminal; it is gone now, and the terminal comes back to
        // init's group, so that whoever started init is not left in the background.
        sys::terminal::take_back();
    }
    let status = reaper.status.expect("waited for just above");
    Ok(InitReport {
        status,
        exit_code: exit_code(status, &options.success_codes),
        orphans_reaped: reaper.orphans,
        signals_forwarded: forwarded,
        leftovers,
    })
}

/// The number of threads of this process.
fn single_threaded() -> Result<(), InitError> {
    let threads = std::fs::read_dir("/proc/self/task")
        .map(|tasks| tasks.count())
        .unwrap_or(1);
    if threads > 1 {
        return Err(InitError::Threads(threads));
    }
    Ok(())
}

/// `-p`: sets the parent-death signal; if the parent is already gone (its pid changed since
/// init started), sends it now, since the kernel never will.
fn parent_death_signal(
    signal: Signal,
    parent: Option<rustix::process::Pid>,
) -> Result<(), InitError> {
    sys::signal::set_parent_death_signal(signal.as_raw())
        .map_err(system("setting the parent-death signal"))?;
    if rustix::process::getppid() != parent {
        sys::signal::kill(std::process::id() as i32, signal.as_raw())
            .map_err(system("sending the parent-death signal"))?;
    }
    Ok(())
}

/// Starts CMD in a group of its own, with an empty mask and default dispositions, in the
/// terminal's foreground when init has it.
fn spawn(options: &InitOptions, foreground: bool) -> Result<i32, SpawnError> {
    let mut command = Command::new(&options.program);
    command
        .args(&options.args)
        .process_group(0)
        .reset_signal_mask(true)
        .reset_signal_dispositions(true);
    if foreground {
        sys::terminal::give_terminal_to_child(&mut command);
    }
    Ok(command.spawn()?.id().as_raw())
}

/// Whether init's group is the foreground group of the terminal on its stdin (not so when
/// stdin is no terminal, or not this session's).
fn in_foreground() -> bool {
    let stdin = io::stdin();
    let foreground = rustix::termios::tcgetpgrp(std::os::fd::AsFd::as_fd(&stdin));
    foreground.is_ok_and(|group| group == rustix::process::getpgrp())
}

/// Sends `sig` on to CMD (or its group); whether it was delivered.
fn forward(cmd: i32, group: bool, sig: i32) -> bool {
    let target = if group { -cmd } else { cmd };
    let name = Signal::new(sig).map_or_else(|| sig.to_string(), Signal::name);
    match sys::signal::kill(target, sig) {
        Ok(()) => {
            tracing::info!(signal = %name, to = target, "forwarded");
            true
        }
        Err(e) => {
            tracing::warn!(signal = %name, to = target, "cannot forward: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_threaded_caller_is_refused_before_anything_is_blocked() {
        // libtest runs this test on a thread of its own: at least two threads.
        let options = InitOptions::new("true", Vec::<OsString>::new());
        assert!(matches!(run(&options), Err(InitError::Threads(n)) if n >= 2));
        let error = run(&options).unwrap_err().to_string();
        assert!(error.contains("single-threaded"), "{error}");
    }
}
