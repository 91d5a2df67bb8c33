//! `--grace`: once CMD has ended, `SIGTERM` to every descendant left, `SIGKILL` after the
//! grace period, and no exit before init has no child left. See the `descendants` module for
//! how each one is reached without risking a recycled pid.

use crate::descendants::signal_all;
use crate::reap::{Children, Reaper};
use crate::signals::{SignalQueue, is_stop_request};
use std::io;
use std::time::{Duration, Instant};

/// What `--grace` found: how many descendants got `SIGTERM` and, after the grace period,
/// `SIGKILL` (the first pass; later passes catch what was forked meanwhile). `None` where
/// init is PID 1 and signals its namespace with `kill(-1)`, which counts nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Leftovers {
    /// Descendants sent `SIGTERM`; 0 when none was left.
    pub terminated: Option<usize>,
    /// Descendants still there after the grace period, sent `SIGKILL`.
    pub killed: Option<usize>,
    /// Whether the grace period ran out (or init was told to stop again) with some left.
    pub grace_expired: bool,
    /// Descendants that `SIGKILL` could not end (init may not signal them: a set-user-ID
    /// program when init is not root), left behind when init gave up on them.
    pub unkillable: usize,
}

/// How long to wait for `SIGCHLD` between two `SIGKILL` passes.
const KILL_PASS: Duration = Duration::from_millis(50);

/// The least time `SIGKILL` passes go on before init gives up on what it cannot kill (a whole
/// grace period if that is longer).
const KILL_AT_LEAST: Duration = Duration::from_secs(1);

/// Ends every descendant; returns once there is none.
pub(crate) fn shutdown(
    signals: &mut SignalQueue,
    reaper: &mut Reaper,
    children: Children,
    grace: Duration,
    pid1: bool,
) -> io::Result<Leftovers> {
    let mut left = Leftovers {
        terminated: Some(0),
        ..Leftovers::default()
    };
    if children == Children::None {
        return Ok(left);
    }
    left.terminated = signal_all(libc::SIGTERM, pid1, true)?;
    // A stopped process keeps SIGTERM pending until it is continued.
    signal_all(libc::SIGCONT, pid1, false)?;
    tracing::info!(count = ?left.terminated, ?grace, "SIGTERM to what CMD left");
    let deadline = Instant::now() + grace;
    loop {
        if reaper.reap()? == Children::None {
            return Ok(left);
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if signals
            .wait(Some(deadline - now))?
            .iter()
            .any(|&s| is_stop_request(s))
        {
            tracing::info!("told to stop during the grace period");
            break;
        }
    }
    left.grace_expired = true;
    left.killed = signal_all(libc::SIGKILL, pid1, true)?;
    tracing::info!(count = ?left.killed, "SIGKILL to what is left");
    let give_up = Instant::now() + grace.max(KILL_AT_LEAST);
    loop {
        signals.wait(Some(KILL_PASS))?;
        if reaper.reap()? == Children::None {
            return Ok(left);
        }
        if Instant::now() >= give_up {
            left.unkillable = crate::descendants::children_of(std::process::id() as i32)
                .len()
                .max(1);
            tracing::warn!(
                left = left.unkillable,
                "giving up on what SIGKILL cannot end (init may not signal it)"
            );
            return Ok(left);
        }
        let again = signal_all(libc::SIGKILL, pid1, false)?;
        tracing::debug!(count = ?again, "SIGKILL again");
    }
}
