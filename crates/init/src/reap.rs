//! Reaping: on every `SIGCHLD`, `waitpid(-1, WNOHANG)` until nothing more has ended, CMD and
//! orphans alike. CMD's status is kept when it comes by; every other child is an orphan the
//! kernel handed to init (init is PID 1 or a child subreaper).

use crate::sys::wait::{Reaped, wait_any};
use forklab_spawn::WaitStatus;
use std::io;

/// What is left after a round of reaping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Children {
    /// Some are still running.
    Running,
    /// None at all: for PID 1 or a subreaper, no descendant is left either (an ending
    /// process hands its children to init before it becomes a zombie).
    None,
}

/// The reaper: CMD's pid until it is reaped, then its status.
#[derive(Debug)]
pub(crate) struct Reaper {
    cmd: i32,
    pub status: Option<WaitStatus>,
    pub orphans: u64,
}

impl Reaper {
    pub(crate) fn new(cmd: i32) -> Reaper {
        Reaper {
            cmd,
            status: None,
            orphans: 0,
        }
    }

    /// Reaps every child that has ended.
    pub(crate) fn reap(&mut self) -> io::Result<Children> {
        loop {
            match wait_any()? {
                Reaped::Child(pid, raw) if pid == self.cmd => {
                    let status = WaitStatus::from_raw(raw);
                    tracing::info!(pid, %status, "CMD ended");
                    self.status = Some(status);
                }
                Reaped::Child(pid, raw) => {
                    self.orphans += 1;
                    tracing::info!(pid, status = %WaitStatus::from_raw(raw), "reaped an orphan");
                }
                Reaped::Running => return Ok(Children::Running),
                Reaped::NoChildren => return Ok(Children::None),
            }
        }
    }
}
