//! Reaping as a child subreaper: every child of the process, its own and the orphans the
//! kernel re-parents to it, for `jail` and the drill (which end whole trees of processes and
//! must leave no zombie behind).

use forklab_spawn::WaitStatus;
use nix::sys::wait::{WaitPidFlag, WaitStatus as NixWaitStatus, waitpid};
use std::time::{Duration, Instant};

/// Reaps the calling process's children, keeping the status of the one it is told to watch.
#[derive(Debug, Default)]
pub(crate) struct Reaper {
    /// The child whose status matters (the jailed command), if any.
    pub watched: Option<i32>,
    /// Its status, once reaped.
    pub status: Option<WaitStatus>,
}

impl Reaper {
    /// Reaps every child that has ended; true once there is no child at all.
    pub fn ready(&mut self) -> bool {
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(NixWaitStatus::StillAlive) => return false,
                Ok(status) => {
                    if self.watched.is_some() && status.pid().map(|p| p.as_raw()) == self.watched {
                        self.status = convert(status).or(self.status);
                    }
                }
                Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return true,
            }
        }
    }

    /// Reaps until no child is left, for at most `within` (the caller has ended them all,
    /// so each is dead or about to be).
    pub fn all(&mut self, within: Duration) {
        let start = Instant::now();
        while !self.ready() && start.elapsed() < within {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn convert(status: NixWaitStatus) -> Option<WaitStatus> {
    match status {
        NixWaitStatus::Exited(_, code) => Some(WaitStatus::Exited(code)),
        NixWaitStatus::Signaled(_, signal, core_dumped) => {
            forklab_spawn::Signal::new(signal as i32).map(|signal| WaitStatus::Signaled {
                signal,
                core_dumped,
            })
        }
        _ => None,
    }
}

/// The process as a child subreaper for as long as this lives (orphans of its descendants
/// come to it rather than to pid 1); what it was before is put back on drop.
#[derive(Debug)]
pub(crate) struct Subreaper {
    was: bool,
}

impl Subreaper {
    /// Makes the calling process a child subreaper.
    pub fn become_one() -> Subreaper {
        let was = rustix::process::child_subreaper().ok().flatten().is_some();
        let _ = rustix::process::set_child_subreaper(rustix::process::Pid::from_raw(1));
        Subreaper { was }
    }
}

impl Drop for Subreaper {
    fn drop(&mut self) {
        if !self.was {
            let _ = rustix::process::set_child_subreaper(None);
        }
    }
}
