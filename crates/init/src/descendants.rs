//! Signalling every descendant of init without ever signalling a stranger.
//!
//! DESIGN.md's facts: a pid read from `/proc` may name someone else a moment later. So:
//!
//! - **PID 1 of its own PID namespace**: `kill(-1, sig)` reaches every process of the
//!   namespace except init, and the kernel walks its own list: no pid is read, nothing can be
//!   recycled. (A process `setns`'d into the namespace from outside is reached too: it is in
//!   the container, which is what an init stops.)
//! - **Otherwise** (a child subreaper): walk the tree from init down through
//!   `/proc/PID/task/TID/children`. Init's own children are safe to signal by pid: only init
//!   reaps them, and it does not while it walks. Any deeper process C found under parent P is
//!   signalled through a pidfd, and only after this check: open the pidfd of C, read C's
//!   parent from `/proc/C/stat`, then see that both C's pidfd and P's (or P is init's own
//!   child) still name a live or unreaped process. If C's pidfd process is still there after
//!   the read, `/proc/C` was C; if P's is, the parent read was our P. A process that ended or
//!   moved in between is skipped — and caught by the next pass, since the grace loop walks
//!   again until init has no child left.
//!
//! A cgroup is not used: init cannot tell that a cgroup is its own (a runtime may share it
//! with siblings), and `cgroup.kill` would end init itself.

use crate::sys::signal::{kill, pidfd_open, pidfd_send_signal};
use std::io;
use std::os::fd::{AsFd, OwnedFd};

/// A descendant to signal.
enum Handle {
    /// A child of init: its pid is init's until init reaps it.
    Own(i32),
    /// A deeper descendant, checked as the module says.
    Pidfd(i32, OwnedFd),
}

impl Handle {
    fn signal(&self, sig: i32) -> io::Result<()> {
        match self {
            Handle::Own(pid) => kill(*pid, sig),
            Handle::Pidfd(_, fd) => pidfd_send_signal(fd.as_fd(), sig),
        }
    }

    fn pid(&self) -> i32 {
        match self {
            Handle::Own(pid) | Handle::Pidfd(pid, _) => *pid,
        }
    }

    /// Whether the pid still names the process this handle was made for.
    fn still_there(&self) -> bool {
        match self {
            Handle::Own(_) => true,
            Handle::Pidfd(_, fd) => pidfd_send_signal(fd.as_fd(), 0).is_ok(),
        }
    }
}

/// Sends `sig` to every descendant of init; returns how many were signalled (`None` for PID 1,
/// which signals the whole namespace at once and counts nothing). `warn`: log each one that
/// could not be signalled (off for repeated passes, which would say the same every time).
pub(crate) fn signal_all(sig: i32, pid1: bool, warn: bool) -> io::Result<Option<usize>> {
    if pid1 {
        return match kill(-1, sig) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(None),
            other => other.map(|()| None),
        };
    }
    let found = collect(std::process::id() as i32);
    let mut signalled = 0;
    for handle in &found {
        match handle.signal(sig) {
            Ok(()) => signalled += 1,
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
            Err(e) if warn => tracing::warn!(pid = handle.pid(), "cannot signal a descendant: {e}"),
            Err(e) => tracing::debug!(pid = handle.pid(), "cannot signal a descendant: {e}"),
        }
    }
    Ok(Some(signalled))
}

/// Every descendant of `root`, found first and signalled after, so that a parent killed
/// early does not move its children under init while the walk is still below it.
fn collect(root: i32) -> Vec<Handle> {
    let mut found: Vec<Handle> = Vec::new();
    let mut next = 0;
    for pid in children_of(root) {
        found.push(Handle::Own(pid));
    }
    while next < found.len() {
        let parent = found[next].pid();
        for pid in children_of(parent) {
            if let Some(handle) = verified(pid, &found[next]) {
                found.push(handle);
            }
        }
        next += 1;
    }
    found
}

/// A pidfd for `pid` if it is, provably, a child of `parent` (see the module).
fn verified(pid: i32, parent: &Handle) -> Option<Handle> {
    let fd = pidfd_open(pid).ok()?;
    let ppid = parent_of(pid)?;
    let handle = Handle::Pidfd(pid, fd);
    (ppid == parent.pid() && parent.still_there() && handle.still_there()).then_some(handle)
}

/// The children of every thread of `pid`, from `/proc/PID/task/TID/children` (a pid read
/// here is only a candidate).
pub(crate) fn children_of(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut children = Vec::new();
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            children.extend(
                list.split_ascii_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    children
}

/// The parent pid in `/proc/PID/stat` (the field after the state, after the last `)`, since
/// the command name may hold spaces and parentheses).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use forklab_spawn::Command;
    use std::time::{Duration, Instant};

    #[test]
    fn a_tree_is_found_below_its_root_and_only_there() {
        let mut sh = Command::new("sh")
            .args(["-c", "sleep 5 & (sleep 5 & wait) & wait"])
            .process_group(0)
            .spawn()
            .unwrap();
        let root = sh.id().as_raw();
        let start = Instant::now();
        let mut found = collect(root);
        while found.len() < 3 && start.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(5));
            found = collect(root);
        }
        // The root's two children (a sleep, a subshell), then the subshell's sleep.
        let pids: Vec<i32> = found.iter().map(Handle::pid).collect();
        let me = std::process::id() as i32;
        assert_eq!(pids.len(), 3, "{pids:?}");
        assert!(pids.iter().all(|&p| p != root && p != me));
        assert!(matches!(found[2], Handle::Pidfd(..)));
        assert!(found[2].still_there());
        // The group of our unreaped child: its id cannot have been recycled.
        kill(-root, libc::SIGKILL).unwrap();
        sh.wait().unwrap();
    }

    #[test]
    fn the_parent_is_read_after_the_name() {
        let parent = rustix::process::getppid().map(|p| p.as_raw_pid());
        assert_eq!(parent_of(std::process::id() as i32), parent);
    }
}
