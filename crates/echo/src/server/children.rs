//! The children of a process model's parent: which are alive, reaping them with a
//! `waitpid(-1, WNOHANG)` loop when `SIGCHLD` says one ended (signals coalesce: one
//! `SIGCHLD` may stand for many), and ending those left when the drain timeout passes.
//!
//! Only pids that are still unreaped children of ours are ever signalled, so none can have
//! been reused by a stranger. Dropped with children alive (an error path), it kills and
//! reaps them — but only in the process that made them: a forked worker drops its copy too.

use rustix::process::{Pid, Signal, WaitOptions, WaitStatus};
use std::collections::HashSet;

/// The live children of this process.
pub(crate) struct Children {
    live: HashSet<Pid>,
    owner: Pid,
    killed: u64,
}

impl Children {
    /// No children yet, owned by the calling process.
    pub(crate) fn new() -> Children {
        Children {
            live: HashSet::new(),
            owner: rustix::process::getpid(),
            killed: 0,
        }
    }

    /// A child was forked.
    pub(crate) fn add(&mut self, pid: forklab_spawn::Pid) {
        if let Some(pid) = Pid::from_raw(pid.as_raw()) {
            self.live.insert(pid);
        }
    }

    /// Children alive (not yet reaped).
    pub(crate) fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether none is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Children killed at the drain deadline.
    pub(crate) fn killed(&self) -> u64 {
        self.killed
    }

    /// Reaps every child that has ended; returns their pids. Logs a child that died of a
    /// signal we did not send, or exited with a failure.
    pub(crate) fn reap(&mut self) -> Vec<Pid> {
        let mut reaped = Vec::new();
        while let Ok(Some((pid, status))) = rustix::process::waitpid(None, WaitOptions::NOHANG) {
            self.live.remove(&pid);
            log_abnormal(pid, status);
            reaped.push(pid);
        }
        reaped
    }

    /// Whether a drain that ends at `drain` (`None`: not draining) is over: no child left,
    /// or the deadline passed and the rest were killed ([`Children::end_drain`]).
    pub(crate) fn drained(&mut self, drain: Option<std::time::Instant>) -> bool {
        if drain.is_none() {
            return false;
        }
        if super::poll::passed(drain) {
            self.end_drain();
        }
        self.is_empty()
    }

    /// The drain deadline has passed: kills the children still serving.
    pub(crate) fn end_drain(&mut self) {
        if !self.live.is_empty() {
            tracing::info!(
                children = self.live.len(),
                "drain timeout: killing the children still serving"
            );
        }
        self.kill_all();
    }

    /// `SIGKILL` to every child left, then waits for each.
    fn kill_all(&mut self) {
        for &pid in &self.live {
            if rustix::process::kill_process(pid, Signal::KILL).is_ok() {
                self.killed += 1;
            }
        }
        for pid in std::mem::take(&mut self.live) {
            let _ = rustix::process::waitpid(Some(pid), WaitOptions::empty());
        }
    }
}

fn log_abnormal(pid: Pid, status: WaitStatus) {
    match (status.exit_status(), status.terminating_signal()) {
        (Some(0), _) => {}
        (Some(code), _) => tracing::warn!(pid = pid.as_raw_pid(), code, "worker failed"),
        (_, Some(signal)) if signal != libc::SIGKILL => {
            tracing::warn!(pid = pid.as_raw_pid(), signal, "worker killed by a signal")
        }
        _ => {}
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        if rustix::process::getpid() == self.owner {
            self.kill_all();
        }
    }
}
