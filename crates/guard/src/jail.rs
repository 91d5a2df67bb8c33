//! `forklab jail`: run a command in a cgroup of its own with a `pids.max` cap, and leave
//! nothing of it behind.
//!
//! The command is spawned straight into the group (forklab-spawn's cgroup placement: on v2
//! the kernel creates it there, on v1 it joins before it execs), so not one of its
//! descendants is ever outside the cap. When it exits, when the timeout fires, or when the
//! caller is sent SIGINT, SIGTERM, SIGHUP or SIGQUIT, every task left in the group is ended
//! ([`PidsGroup::kill_all`], which never signals a recycled pid) and the group removed.
//!
//! While it waits, the caller runs at real-time priority when it may (`SCHED_FIFO` with
//! `SCHED_RESET_ON_FORK`, so the command itself runs as an ordinary process): a bomb at its
//! cap keeps every CPU busy with failing forks, and an ordinary process would wait its turn
//! behind all of them before it could end them.

use crate::cgroup::{CgroupError, PidsGroup, Version};
use crate::reap::{Reaper, Subreaper};
use crate::sys;
use forklab_spawn::{Command, Resource, Rlimit, SpawnError, WaitStatus};
use nix::sys::signal::{SigSet, SigmaskHow, Signal as NixSignal, pthread_sigmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use rustix::event::{PollFd, PollFlags};
use serde::Serialize;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to run and how to confine it.
#[derive(Debug, Clone)]
pub struct JailOptions {
    /// The program (looked up in `PATH` when it has no slash).
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// The group's `pids.max`: tasks (threads included) the command may have at once.
    pub pids_max: u64,
    /// `RLIMIT_NPROC` for the command (soft and hard), if any; `u64::MAX` for unlimited.
    pub nproc: Option<u64>,
    /// The user ID to run as.
    pub uid: Option<u32>,
    /// The group ID to run as.
    pub gid: Option<u32>,
    /// The supplementary groups to run with (set only with a uid or gid change).
    pub groups: Option<Vec<u32>>,
    /// Ends the command and everything it started after this long.
    pub timeout: Option<Duration>,
    /// A cgroup directory to create the group in (a delegated one, when not root); by
    /// default the root of the hierarchy with the pids controller.
    pub cgroup_parent: Option<PathBuf>,
}

/// How a jailed run went: the `--json` document of `forklab jail`.
#[derive(Debug, Clone, Serialize)]
pub struct JailReport {
    /// The command's exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that killed the command, when one did (SIGKILL when the jail ended it).
    pub signal: Option<i32>,
    /// Whether the timeout ended the command.
    pub timed_out: bool,
    /// The signal that made the jail end the command early, if one did.
    pub interrupted_by: Option<i32>,
    /// The most tasks the group held at once.
    pub peak_tasks: u64,
    /// Forks the cap refused (`pids.events`).
    pub forks_refused: u64,
    /// Processes still in the group when the command ended (or was ended), killed by the
    /// jail.
    pub killed_leftovers: u64,
    /// The hierarchy used.
    pub cgroup: Version,
    /// The group's directory (removed by now).
    pub cgroup_dir: PathBuf,
    /// The cap.
    pub pids_max: u64,
    /// From spawning the command to the group's removal.
    pub elapsed_s: f64,
}

impl JailReport {
    /// The exit status `forklab jail` gives: the command's own; 124 when the timeout ended
    /// it (as timeout(1)); 128+n when signal n killed it or interrupted the jail.
    pub fn exit_status(&self) -> i32 {
        if self.timed_out {
            124
        } else if let Some(signal) = self.interrupted_by.or(self.signal) {
            128 + signal
        } else {
            self.exit_code.unwrap_or(1)
        }
    }
}

/// Why a jailed run could not happen.
#[derive(Debug, thiserror::Error)]
pub enum JailError {
    /// A cap of zero would refuse the command itself.
    #[error("--pids-max must be at least 1 (the command itself is a task)")]
    ZeroPidsMax,
    /// The group could not be made, capped or removed.
    #[error(transparent)]
    Cgroup(#[from] CgroupError),
    /// The command could not be started.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// Waiting for the command or for signals failed.
    #[error("{what}: {source}")]
    Wait {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

/// How the wait for the command ended.
enum Ending {
    Exited,
    TimedOut,
    Interrupted(i32),
}

/// The signals that end a jailed run early, taken through a signalfd.
const STOP_SIGNALS: [NixSignal; 4] = [
    NixSignal::SIGINT,
    NixSignal::SIGTERM,
    NixSignal::SIGHUP,
    NixSignal::SIGQUIT,
];

/// Runs the command in a new pids-capped group and returns once it and every process it
/// left are gone and reaped, and the group is removed.
///
/// For the time it runs, the calling process is a child subreaper (orphans of the command
/// come to it and are reaped, so no zombie of the command outlives the run) and the calling
/// thread blocks SIGCHLD, SIGINT, SIGTERM, SIGHUP and SIGQUIT, taking them through a
/// signalfd: the last four end the run early. The command starts with an empty signal mask
/// and default dispositions. Call it before the process has other threads, which would
/// otherwise take those signals, and while it has no other children, which it would reap.
pub fn run(opts: &JailOptions) -> Result<JailReport, JailError> {
    if opts.pids_max == 0 {
        return Err(JailError::ZeroPidsMax);
    }
    // Blocked before the group exists: a signal now must not leave it behind.
    let mut mask = SigSet::empty();
    STOP_SIGNALS.iter().for_each(|&s| mask.add(s));
    mask.add(NixSignal::SIGCHLD);
    let mut old_mask = SigSet::empty();
    pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&mask), Some(&mut old_mask))
        .map_err(|e| wait_error("blocking signals", e))?;
    let restore_mask = |mask: &SigSet| {
        // A stop signal that came during the cleanup is taken here rather than delivered
        // (and obeyed) when the mask is restored: the run is ending anyway, and its report
        // and exit status must not be lost.
        if let Ok(pending) =
            SignalFd::with_flags(mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        {
            while let Ok(Some(_)) = pending.read_signal() {}
        }
        let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&old_mask), None);
    };
    let group = match PidsGroup::create("forklab-jail", opts.cgroup_parent.as_deref())
        .and_then(|group| group.set_max(Some(opts.pids_max)).map(|()| group))
    {
        Ok(group) => group,
        Err(e) => {
            restore_mask(&mask);
            return Err(e.into());
        }
    };
    let subreaper = Subreaper::become_one();
    let realtime = sys::sched::realtime(10).ok();
    let start = Instant::now();
    let mut reaper = Reaper::default();
    let outcome = supervise(&group, opts, &mask, start, &mut reaper);
    // Whatever happened, nothing of the command is left, nothing unreaped, and the group goes.
    let killed = group.kill_all(Duration::from_secs(10));
    reaper.all(Duration::from_secs(5));
    if let Some(saved) = realtime {
        sys::sched::restore(saved);
    }
    drop(subreaper);
    let version = group.version();
    let cgroup_dir = group.dir().to_path_buf();
    let peak = group.peak();
    let refused = group.forks_refused();
    let removed = group.remove(Duration::from_secs(10));
    restore_mask(&mask);
    let (ending, sampled_peak) = outcome?;
    let killed = killed?;
    removed?;
    let mut report = JailReport {
        exit_code: None,
        signal: None,
        timed_out: matches!(ending, Ending::TimedOut),
        interrupted_by: None,
        peak_tasks: peak.unwrap_or(0).max(sampled_peak),
        forks_refused: refused?,
        killed_leftovers: killed.processes,
        cgroup: version,
        cgroup_dir,
        pids_max: opts.pids_max,
        elapsed_s: start.elapsed().as_secs_f64(),
    };
    if let Ending::Interrupted(signal) = ending {
        report.interrupted_by = Some(signal);
    }
    match reaper.status {
        Some(WaitStatus::Exited(code)) => report.exit_code = Some(code),
        Some(WaitStatus::Signaled { signal, .. }) => report.signal = Some(signal.as_raw()),
        _ => {}
    }
    Ok(report)
}

/// Spawns the command into the group and waits for its end, the timeout or a stop signal,
/// reaping as children end. Returns how it ended and the highest `pids.current` seen.
fn supervise(
    group: &PidsGroup,
    opts: &JailOptions,
    mask: &SigSet,
    start: Instant,
    reaper: &mut Reaper,
) -> Result<(Ending, u64), JailError> {
    let signals = SignalFd::with_flags(mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
        .map_err(|e| wait_error("opening a signalfd", e))?;
    let mut cmd = Command::new(&opts.program);
    cmd.args(&opts.args)
        .reset_signal_mask(true)
        .reset_signal_dispositions(true);
    for dir in group.join_dirs() {
        cmd.cgroup(dir);
    }
    if let Some(n) = opts.nproc {
        // u64::MAX: unlimited (RLIM_INFINITY).
        let limit = (n != u64::MAX).then_some(n);
        cmd.rlimit(Resource::Nproc, Rlimit::both(limit));
    }
    if let Some(groups) = &opts.groups {
        cmd.groups(groups);
    }
    if let Some(gid) = opts.gid {
        cmd.gid(gid);
    }
    if let Some(uid) = opts.uid {
        cmd.uid(uid);
    }
    let child = cmd.spawn()?;
    reaper.watched = Some(child.id().as_raw());
    let mut peak = 0;
    // Woken by SIGCHLD or a stop signal; every 100 ms also to sample the task count for
    // kernels without `pids.peak`.
    let tick = Duration::from_millis(100);
    let ending = loop {
        peak = peak.max(group.current().unwrap_or(0));
        reaper.ready();
        if reaper.status.is_some() {
            break Ending::Exited;
        }
        let mut wait = tick;
        if let Some(timeout) = opts.timeout {
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                break Ending::TimedOut;
            }
            wait = wait.min(left);
        }
        let mut fds = [PollFd::new(&signals, PollFlags::IN)];
        let timespec = rustix::time::Timespec::try_from(wait).unwrap_or_default();
        match rustix::event::poll(&mut fds, Some(&timespec)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(wait_error("waiting", std::io::Error::from(e))),
        }
        let mut stop = None;
        while let Ok(Some(info)) = signals.read_signal() {
            if info.ssi_signo != NixSignal::SIGCHLD as u32 {
                stop = Some(info.ssi_signo as i32);
            }
        }
        if let Some(signal) = stop {
            break Ending::Interrupted(signal);
        }
    };
    Ok((ending, peak))
}

fn wait_error(what: &'static str, e: impl Into<std::io::Error>) -> JailError {
    JailError::Wait {
        what,
        source: e.into(),
    }
}
