//! A cgroup that caps how many tasks a command may have, and ends every one of them on
//! request, on cgroup v2 or v1.
//!
//! Written by hand, over the cgroup files: the crates that exist (`cgroups-rs`, `controlgroup`)
//! manage container resources through every controller and leave out the two things this
//! module is for: a kill that stays correct while a fork bomb recycles pids, and v1's
//! separate `pids` and `freezer` hierarchies kept in step.
//!
//! # Ending every task without ever signalling a stranger
//! Under a fork bomb, pids go round `pid_max` within seconds, so a pid read from
//! `cgroup.procs` may name an innocent process a moment later. [`PidsGroup::kill_all`]
//! therefore never signals a pid that could have changed hands since it was read:
//! - **v2**: the group is frozen (`cgroup.freeze`), counted, then `cgroup.kill` (Linux 5.14)
//!   has the kernel signal every member itself. Without `cgroup.kill`, the frozen members
//!   are signalled by pid: a frozen task can neither exit nor fork, so its pid stays its own.
//! - **v1 with a freezer hierarchy**: the same, with `freezer.state`: freeze, wait for
//!   `FROZEN`, SIGKILL every listed pid, thaw; repeated until the group is empty.
//! - **v1 without a freezer** (or a freeze that does not complete): stop, then kill, each
//!   member through a pidfd, after checking in `/proc/PID/cgroup` that the process behind the
//!   pidfd is in this group and is still alive once checked (a live process keeps its pid,
//!   so what was read was about it).

mod mounts;

pub use mounts::Mounts;

use mounts::has_controller;
use rustix::process::{Pid, PidfdFlags, Signal};
use serde::Serialize;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Which cgroup hierarchy a group is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Version {
    /// A v1 hierarchy with the `pids` controller.
    V1,
    /// The unified hierarchy.
    V2,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Version::V1 => "v1",
            Version::V2 => "v2",
        })
    }
}

/// What went wrong with a cgroup.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// Neither v2 with the pids controller nor a v1 pids hierarchy is mounted.
    #[error(
        "no cgroup hierarchy here has the pids controller (neither cgroup v2 listing \"pids\" \
         in cgroup.controllers nor a mounted v1 pids hierarchy)"
    )]
    NoPidsController,
    /// Creating the group was refused: not root, and `parent` is not delegated to us.
    #[error("cannot create a cgroup in {}: {error}", parent.display())]
    NotPermitted {
        /// Where the group was to be created.
        parent: PathBuf,
        /// The kernel's refusal.
        error: io::Error,
    },
    /// The parent directory given is not a cgroup that can hold a pids-capped group.
    #[error("{}: {why}", parent.display())]
    BadParent {
        /// The directory given.
        parent: PathBuf,
        /// Why it cannot serve.
        why: String,
    },
    /// Tasks were still in the group when the time allowed to end them ran out.
    #[error("{left} task(s) still in {} after {waited:?}", dir.display())]
    Stuck {
        /// The group.
        dir: PathBuf,
        /// How many tasks were left.
        left: u64,
        /// How long the kill went on.
        waited: Duration,
    },
    /// Reading or writing a cgroup file failed.
    #[error("{what} {}: {error}", path.display())]
    Io {
        /// What was being done ("reading", "writing").
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        error: io::Error,
    },
}

impl CgroupError {
    fn io(what: &'static str, path: &Path, error: io::Error) -> CgroupError {
        CgroupError::Io {
            what,
            path: path.to_path_buf(),
            error,
        }
    }
}

/// `CGROUP2_SUPER_MAGIC` and `CGROUP_SUPER_MAGIC` from `linux/magic.h`.
const CGROUP2_SUPER_MAGIC: u64 = 0x6367_7270;
const CGROUP_SUPER_MAGIC: u64 = 0x0027_e0eb;

/// A cgroup of our own with the pids controller: made by [`PidsGroup::create`], emptied and
/// removed by [`PidsGroup::remove`] or, failing that, when dropped.
#[derive(Debug)]
pub struct PidsGroup {
    version: Version,
    dir: PathBuf,
    /// v1 only: the group of the same name in the freezer hierarchy.
    freezer: Option<PathBuf>,
    /// The group's path as `/proc/PID/cgroup` shows it, from the hierarchy's root.
    relative: String,
    removed: bool,
}

/// What ending a group's tasks did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Killed {
    /// Processes signalled (members of the group when it was stopped, each counted once;
    /// threads not counted).
    pub processes: u64,
    /// Rounds of freeze-and-kill (or stop-and-kill) it took.
    pub rounds: u32,
}

impl PidsGroup {
    /// Creates a group named `name` plus a unique suffix, under `parent` when given,
    /// otherwise at the root of the v2 hierarchy when it has the pids controller, otherwise
    /// at the root of the v1 pids hierarchy (with a twin in the v1 freezer hierarchy when
    /// there is one). Its `pids.max` starts as `max`.
    pub fn create(name: &str, parent: Option<&Path>) -> Result<PidsGroup, CgroupError> {
        let mounts = Mounts::read()
            .map_err(|e| CgroupError::io("reading", Path::new("/proc/self/mountinfo"), e))?;
        let (version, parent, freezer_parent) = match parent {
            Some(parent) => place_in(&mounts, parent)?,
            None => default_place(&mounts)?,
        };
        if version == Version::V2 {
            enable_pids(&parent)?;
        }
        let dir = make_unique_dir(&parent, name)?;
        let leaf = dir.file_name().unwrap_or_default().to_owned();
        let root = match version {
            Version::V2 => mounts.v2.clone(),
            Version::V1 => mounts.v1_pids.clone(),
        };
        let relative = relative_path(&dir, root.as_deref());
        let mut group = PidsGroup {
            version,
            dir,
            freezer: None,
            relative,
            removed: false,
        };
        if let Some(freezer_parent) = freezer_parent {
            // Without a freezer twin the group still works: kills fall back to pidfds.
            let twin = freezer_parent.join(&leaf);
            if std::fs::create_dir(&twin).is_ok() {
                group.freezer = Some(twin);
            }
        }
        Ok(group)
    }

    /// The hierarchy the group is on.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The group's directory (where `pids.max` and `cgroup.procs` are).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every directory a process must join to be confined and stoppable here: the group,
    /// and on v1 its freezer twin. Hand each to `forklab_spawn::Command::cgroup`.
    pub fn join_dirs(&self) -> Vec<&Path> {
        std::iter::once(self.dir.as_path())
            .chain(self.freezer.as_deref())
            .collect()
    }

    /// Whether v1 tasks can be frozen (a freezer twin exists). Always true on v2, where
    /// `cgroup.freeze` is part of every group.
    pub fn can_freeze(&self) -> bool {
        self.version == Version::V2 || self.freezer.is_some()
    }

    /// Sets `pids.max`: a number, or `None` for no cap.
    pub fn set_max(&self, max: Option<u64>) -> Result<(), CgroupError> {
        let value = max.map_or_else(|| "max".to_string(), |n| n.to_string());
        self.write("pids.max", &value)
    }

    /// `pids.current`: tasks (threads included) in the group now, counting exited ones not
    /// yet reaped.
    pub fn current(&self) -> Result<u64, CgroupError> {
        let text = self.read("pids.current")?;
        Ok(text.trim().parse().unwrap_or(0))
    }

    /// `pids.peak`: the most tasks the group has held (Linux 6.1 on v1, 6.12 on v2), or
    /// `None` where the kernel has no such file.
    pub fn peak(&self) -> Option<u64> {
        self.read("pids.peak").ok()?.trim().parse().ok()
    }

    /// How many forks `pids.max` has refused (the `max` line of `pids.events`).
    pub fn forks_refused(&self) -> Result<u64, CgroupError> {
        let text = self.read("pids.events")?;
        Ok(events_max(&text))
    }

    /// The processes in the group now, and in any group a member made inside it.
    pub fn procs(&self) -> Result<Vec<i32>, CgroupError> {
        let text = self.read("cgroup.procs")?;
        let mut pids = parse_pids(&text);
        for sub in subgroups(&self.dir) {
            let text = std::fs::read_to_string(sub.join("cgroup.procs")).unwrap_or_default();
            pids.extend(parse_pids(&text));
        }
        Ok(pids)
    }

    /// Ends every task in the group, without ever signalling a process outside it (see the
    /// module docs), and waits until none is left or `within` has passed.
    pub fn kill_all(&self, within: Duration) -> Result<Killed, CgroupError> {
        let start = Instant::now();
        let mut killed = Killed::default();
        let mut signalled = std::collections::HashSet::new();
        loop {
            if self.is_empty()? {
                killed.processes = signalled.len() as u64;
                return Ok(killed);
            }
            if start.elapsed() >= within {
                let left = self.procs()?.len() as u64;
                return Err(CgroupError::Stuck {
                    dir: self.dir.clone(),
                    left,
                    waited: start.elapsed(),
                });
            }
            killed.rounds += 1;
            signalled.extend(match (self.version, &self.freezer) {
                (Version::V2, _) => self.kill_v2()?,
                (Version::V1, Some(freezer)) => self.kill_v1_frozen(freezer)?,
                (Version::V1, None) => self.stop_then_kill()?,
            });
            self.wait_empty(Duration::from_millis(200).min(within.saturating_sub(start.elapsed())));
        }
    }

    /// Ends every task, then removes the group (and its freezer twin). Deaths take a moment
    /// to be accounted, so `rmdir` is retried until `within` has passed.
    pub fn remove(mut self, within: Duration) -> Result<Killed, CgroupError> {
        let killed = self.kill_all(within)?;
        self.rmdirs(within)?;
        self.removed = true;
        Ok(killed)
    }

    /// Removes the group and its freezer twin, with any groups made inside them (deepest
    /// first). Each is tried even when another could not be removed; the first error is
    /// returned.
    fn rmdirs(&self, within: Duration) -> Result<(), CgroupError> {
        let start = Instant::now();
        let mut first_error = None;
        for top in std::iter::once(&self.dir).chain(&self.freezer) {
            let mut dirs = subgroups(top);
            dirs.reverse();
            dirs.push(top.clone());
            for dir in &dirs {
                loop {
                    match std::fs::remove_dir(dir) {
                        Ok(()) => break,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                        Err(e) if start.elapsed() >= within => {
                            first_error.get_or_insert(CgroupError::io("removing", dir, e));
                            break;
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn is_empty(&self) -> Result<bool, CgroupError> {
        Ok(self.procs()?.is_empty())
    }

    /// Polls until the group has no process, for at most `within`.
    fn wait_empty(&self, within: Duration) {
        let start = Instant::now();
        while start.elapsed() < within {
            if self.is_empty().unwrap_or(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// v2: freeze, count, `cgroup.kill`, thaw. Returns the members it found.
    fn kill_v2(&self) -> Result<Vec<i32>, CgroupError> {
        let frozen = self.write("cgroup.freeze", "1").is_ok()
            && wait_for(Duration::from_millis(500), || {
                self.read("cgroup.events")
                    .is_ok_and(|events| events.lines().any(|l| l == "frozen 1"))
            });
        let members = self.procs()?;
        let result = if self.dir.join("cgroup.kill").exists() {
            self.write("cgroup.kill", "1")
        } else if frozen {
            members
                .iter()
                .for_each(|&pid| signal_pid(pid, Signal::KILL));
            Ok(())
        } else {
            members
                .iter()
                .for_each(|&pid| self.signal_member(pid, Signal::KILL));
            Ok(())
        };
        let _ = self.write("cgroup.freeze", "0");
        result.map(|()| members)
    }

    /// v1 with a freezer twin: freeze, SIGKILL every member, thaw.
    fn kill_v1_frozen(&self, freezer: &Path) -> Result<Vec<i32>, CgroupError> {
        let state = freezer.join("freezer.state");
        write_file(&state, "FROZEN")?;
        let frozen = wait_for(Duration::from_millis(500), || {
            std::fs::read_to_string(&state).is_ok_and(|s| s.trim() == "FROZEN")
        });
        // Frozen: the members of the freezer twin (a process placed in the pids group alone
        // is in the group but not frozen).
        let frozen_members: Vec<i32> = if frozen {
            std::iter::once(freezer.to_path_buf())
                .chain(subgroups(freezer))
                .flat_map(|dir| {
                    let text = std::fs::read_to_string(dir.join("cgroup.procs"));
                    parse_pids(&text.unwrap_or_default())
                })
                .collect()
        } else {
            Vec::new()
        };
        let members = self.procs()?;
        for &pid in &members {
            if frozen_members.contains(&pid) {
                signal_pid(pid, Signal::KILL);
            } else {
                // Not frozen (stuck in the kernel, or never in the freezer twin): it may yet
                // exit and its pid be reused, so it is checked through a pidfd.
                self.signal_member(pid, Signal::KILL);
            }
        }
        write_file(&state, "THAWED")?;
        Ok(members)
    }

    /// v1 without a freezer: SIGSTOP every member until a pass finds every one stopped (a
    /// stopped task neither forks nor exits), then SIGKILL them. Each signal goes through a
    /// pidfd checked to be a member.
    fn stop_then_kill(&self) -> Result<Vec<i32>, CgroupError> {
        let deadline = Instant::now() + Duration::from_millis(500);
        loop {
            let members = self.procs()?;
            let mut running = 0;
            for &pid in &members {
                if !is_stopped(pid) {
                    running += 1;
                    self.signal_member(pid, Signal::STOP);
                }
            }
            if running == 0 || Instant::now() >= deadline {
                for &pid in &members {
                    self.signal_member(pid, Signal::KILL);
                }
                return Ok(members);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Signals `pid` only if, through a pidfd, it is a live member of this group.
    fn signal_member(&self, pid: i32, signal: Signal) {
        if let Some(pidfd) = self.member_pidfd(pid) {
            let _ = rustix::process::pidfd_send_signal(&pidfd, signal);
        }
    }

    /// A pidfd for `pid` when the process behind it is in this group: the pidfd is opened
    /// first, membership read from `/proc/PID/cgroup`, and the pidfd then checked to be
    /// still alive — a live process keeps its pid, so what was read was about it.
    fn member_pidfd(&self, pid: i32) -> Option<OwnedFd> {
        let pidfd = rustix::process::pidfd_open(Pid::from_raw(pid)?, PidfdFlags::empty()).ok()?;
        let membership = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        let member = membership
            .lines()
            .any(|line| line_names_group(line, self.version, &self.relative));
        (member && is_alive(&pidfd)).then_some(pidfd)
    }

    fn read(&self, file: &str) -> Result<String, CgroupError> {
        let path = self.dir.join(file);
        std::fs::read_to_string(&path).map_err(|e| CgroupError::io("reading", &path, e))
    }

    fn write(&self, file: &str, value: &str) -> Result<(), CgroupError> {
        write_file(&self.dir.join(file), value)
    }
}

impl Drop for PidsGroup {
    fn drop(&mut self) {
        if !self.removed {
            let within = Duration::from_secs(5);
            let _ = self.kill_all(within);
            let _ = self.rmdirs(within);
        }
    }
}

/// Where a group goes when the caller names no parent.
fn default_place(mounts: &Mounts) -> Result<(Version, PathBuf, Option<PathBuf>), CgroupError> {
    if let Some(v2) = mounts.v2.as_ref().filter(|_| mounts.v2_has_pids()) {
        return Ok((Version::V2, v2.clone(), None));
    }
    match &mounts.v1_pids {
        Some(pids) => Ok((Version::V1, pids.clone(), mounts.v1_freezer.clone())),
        None => Err(CgroupError::NoPidsController),
    }
}

/// Checks a parent the caller named, and finds its hierarchy.
fn place_in(
    mounts: &Mounts,
    parent: &Path,
) -> Result<(Version, PathBuf, Option<PathBuf>), CgroupError> {
    let bad = |why: &str| CgroupError::BadParent {
        parent: parent.to_path_buf(),
        why: why.to_string(),
    };
    let fs = rustix::fs::statfs(parent).map_err(|e| bad(&io::Error::from(e).to_string()))?;
    match fs.f_type as u64 {
        CGROUP2_SUPER_MAGIC => {
            if !has_controller(parent, "pids") {
                return Err(bad(
                    "the pids controller is not available there (not in cgroup.controllers)",
                ));
            }
            Ok((Version::V2, parent.to_path_buf(), None))
        }
        CGROUP_SUPER_MAGIC => {
            let Some(pids) = mounts.v1_pids.as_ref().filter(|p| parent.starts_with(p)) else {
                return Err(bad("a cgroup v1 directory outside the pids hierarchy"));
            };
            let freezer = mounts.v1_freezer.as_ref().and_then(|freezer| {
                let twin = freezer.join(parent.strip_prefix(pids).ok()?);
                twin.is_dir().then_some(twin)
            });
            Ok((Version::V1, parent.to_path_buf(), freezer))
        }
        _ => Err(bad("not a cgroup directory")),
    }
}

/// Makes the pids controller available to the children of a v2 `parent`.
fn enable_pids(parent: &Path) -> Result<(), CgroupError> {
    let control = parent.join("cgroup.subtree_control");
    let enabled =
        std::fs::read_to_string(&control).map_err(|e| CgroupError::io("reading", &control, e))?;
    if enabled.split_whitespace().any(|c| c == "pids") {
        return Ok(());
    }
    std::fs::write(&control, "+pids").map_err(|source| match source.raw_os_error() {
        Some(libc::EACCES | libc::EPERM | libc::EROFS) => CgroupError::NotPermitted {
            parent: parent.to_path_buf(),
            error: source,
        },
        _ => CgroupError::io("enabling pids in", &control, source),
    })
}

/// Creates `parent/name-PID-N` for the first N not taken.
fn make_unique_dir(parent: &Path, name: &str) -> Result<PathBuf, CgroupError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("{name}-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(match source.raw_os_error() {
                    Some(libc::EACCES | libc::EPERM | libc::EROFS) => CgroupError::NotPermitted {
                        parent: parent.to_path_buf(),
                        error: source,
                    },
                    _ => CgroupError::io("creating", &dir, source),
                });
            }
        }
    }
}

/// The group's path as `/proc/PID/cgroup` shows it: from the hierarchy's mount point.
fn relative_path(dir: &Path, root: Option<&Path>) -> String {
    let rel = root.and_then(|r| dir.strip_prefix(r).ok()).unwrap_or(dir);
    format!("/{}", rel.display()).replace("//", "/")
}

/// Whether a `/proc/PID/cgroup` line (`ID:CONTROLLERS:PATH`) puts the process in the group
/// at `relative` on the given hierarchy. The path may have a prefix when the reader sits in
/// a cgroup namespace, so the end of the path is compared.
fn line_names_group(line: &str, version: Version, relative: &str) -> bool {
    let mut fields = line.splitn(3, ':');
    let (Some(id), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next())
    else {
        return false;
    };
    let hierarchy = match version {
        Version::V2 => id == "0" && controllers.is_empty(),
        Version::V1 => controllers.split(',').any(|c| c == "pids"),
    };
    // In the group or in a group made inside it.
    let inside = format!("{relative}/");
    hierarchy && (path == relative || path.ends_with(relative) || path.contains(&inside))
}

/// Every cgroup directory below `dir`, parents before children.
fn subgroups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut next = 0;
    let mut at = Some(dir.to_path_buf());
    while let Some(parent) = at {
        for entry in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) && found.len() < 10_000 {
                found.push(entry.path());
            }
        }
        at = found.get(next).cloned();
        next += 1;
    }
    found
}

/// The count on the `max` line of a `pids.events` file.
fn events_max(text: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix("max ")?.trim().parse().ok())
        .unwrap_or(0)
}

/// The pids in a `cgroup.procs` file.
fn parse_pids(text: &str) -> Vec<i32> {
    text.split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn write_file(path: &Path, value: &str) -> Result<(), CgroupError> {
    std::fs::write(path, value).map_err(|e| CgroupError::io("writing", path, e))
}

/// Polls `done` every millisecond for at most `within`.
fn wait_for(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if done() {
            return true;
        }
        if start.elapsed() >= within {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Signals a pid that cannot have changed hands (its process is frozen).
fn signal_pid(pid: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// Whether the process behind a pidfd has not yet exited (a pidfd polls readable once it
/// has).
pub(crate) fn is_alive(pidfd: &OwnedFd) -> bool {
    use rustix::event::{PollFd, PollFlags};
    let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
    matches!(
        rustix::event::poll(&mut fds, Some(&rustix::time::Timespec::default())),
        Ok(0)
    )
}

/// Whether `/proc/PID/stat` shows the task stopped (`T`) or traced (`t`).
fn is_stopped(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // The state follows the command name, which is in parentheses and may hold any
        // character: look after the last ')'.
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state == "T" || state == "t")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::skip;
    use forklab_spawn::Command;

    /// Why the kill tests cannot run here, if they cannot.
    fn cannot(root: Option<&Path>) -> Option<String> {
        if !rustix::process::geteuid().is_root() {
            return Some("creating cgroups needs root".into());
        }
        match root {
            Some(root) if root.join("cgroup.procs").exists() => None,
            Some(root) => Some(format!("no cgroup hierarchy at {}", root.display())),
            None => Some("the hierarchy is not mounted".into()),
        }
    }

    /// A group made by hand, so that each kill path can be tried on whatever this machine
    /// has (a v2 hierarchy without the pids controller serves for the v2 path).
    fn adopt(version: Version, root: &Path, freezer_root: Option<&Path>, tag: &str) -> PidsGroup {
        let dir = make_unique_dir(root, &format!("forklab-test-{tag}")).unwrap();
        let freezer = freezer_root.map(|f| {
            let twin = f.join(dir.file_name().unwrap());
            std::fs::create_dir(&twin).unwrap();
            twin
        });
        let relative = relative_path(&dir, Some(root));
        PidsGroup {
            version,
            dir,
            freezer,
            relative,
            removed: false,
        }
    }

    /// Fills the group with a small tree that keeps forking short-lived processes (so pids
    /// change while the kill runs), returns its direct child for reaping.
    fn populate(group: &PidsGroup) -> forklab_spawn::Child {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "for i in 1 2 3 4; do (while :; do sleep 0.01; done) & done; wait",
        ]);
        for dir in group.join_dirs() {
            cmd.cgroup(dir);
        }
        let child = cmd.spawn().unwrap();
        let start = Instant::now();
        while group.procs().unwrap().len() < 5 && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        child
    }

    /// An innocent process outside the group, which must survive every kill.
    fn bystander() -> forklab_spawn::Child {
        Command::new("sleep").arg("30").spawn().unwrap()
    }

    fn kill_and_remove(group: PidsGroup) {
        let dir = group.dir().to_path_buf();
        let freezer = group.freezer.clone();
        let mut outside = bystander();
        let mut child = populate(&group);
        assert!(group.procs().unwrap().len() >= 5);
        let killed = group.remove(Duration::from_secs(10)).unwrap();
        assert!(killed.processes >= 5, "{killed:?}");
        assert!(!dir.exists() && freezer.is_none_or(|f| !f.exists()));
        assert!(child.wait().unwrap() != forklab_spawn::WaitStatus::Exited(0));
        assert_eq!(outside.try_wait().unwrap(), None, "the bystander was hit");
        outside.kill(forklab_spawn::Signal::KILL).unwrap();
        outside.wait().unwrap();
    }

    #[test]
    fn v1_with_a_freezer_kills_everything_and_removes_both_groups() {
        let mounts = Mounts::read().unwrap();
        let (Some(pids), Some(freezer)) = (&mounts.v1_pids, &mounts.v1_freezer) else {
            return skip("no v1 pids and freezer hierarchies");
        };
        if let Some(why) = cannot(Some(pids)) {
            return skip(&why);
        }
        kill_and_remove(adopt(Version::V1, pids, Some(freezer), "v1f"));
    }

    #[test]
    fn v1_without_a_freezer_stops_then_kills_through_pidfds() {
        let mounts = Mounts::read().unwrap();
        if let Some(why) = cannot(mounts.v1_pids.as_deref()) {
            return skip(&why);
        }
        let pids = mounts.v1_pids.unwrap();
        kill_and_remove(adopt(Version::V1, &pids, None, "v1"));
    }

    #[test]
    fn v2_freezes_and_uses_cgroup_kill() {
        let mounts = Mounts::read().unwrap();
        if let Some(why) = cannot(mounts.v2.as_deref()) {
            return skip(&why);
        }
        let v2 = mounts.v2.unwrap();
        kill_and_remove(adopt(Version::V2, &v2, None, "v2"));
    }

    #[test]
    fn a_member_check_refuses_a_process_outside_the_group() {
        let mounts = Mounts::read().unwrap();
        if let Some(why) = cannot(mounts.v1_pids.as_deref()) {
            return skip(&why);
        }
        let group = adopt(
            Version::V1,
            mounts.v1_pids.as_deref().unwrap(),
            None,
            "member",
        );
        let mut outside = bystander();
        let pid = outside.id().as_raw();
        assert!(group.member_pidfd(pid).is_none());
        group.signal_member(pid, Signal::KILL);
        assert_eq!(outside.try_wait().unwrap(), None);
        let mut inside = populate(&group);
        let member = group.procs().unwrap()[0];
        assert!(group.member_pidfd(member).is_some());
        outside.kill(forklab_spawn::Signal::KILL).unwrap();
        outside.wait().unwrap();
        group.remove(Duration::from_secs(10)).unwrap();
        inside.wait().unwrap();
    }

    #[test]
    fn a_real_group_reports_its_counters() {
        let mounts = Mounts::read().unwrap();
        if let Some(why) = cannot(mounts.v1_pids.as_deref().or(mounts.v2.as_deref())) {
            return skip(&why);
        }
        let group = match PidsGroup::create("forklab-test-counters", None) {
            Ok(group) => group,
            Err(CgroupError::NoPidsController) => return skip("no pids controller"),
            Err(e) => panic!("{e}"),
        };
        group.set_max(Some(3)).unwrap();
        let out = Command::new("sh")
            .args(["-c", "sleep 1 & sleep 1 & sleep 1 & wait; echo done"])
            .cgroup(group.dir())
            .output()
            .unwrap();
        assert!(group.forks_refused().unwrap() >= 1, "{out:?}");
        assert!(group.peak().is_none_or(|p| p == 3));
        let dir = group.dir().to_path_buf();
        drop(group);
        assert!(!dir.exists(), "dropping a group removes it");
    }

    #[test]
    fn proc_cgroup_lines_are_matched_on_the_right_hierarchy() {
        let rel = "/forklab-jail-7-0";
        assert!(line_names_group(
            "8:pids:/forklab-jail-7-0",
            Version::V1,
            rel
        ));
        assert!(line_names_group(
            "3:cpu,pids:/ns/forklab-jail-7-0",
            Version::V1,
            rel
        ));
        assert!(!line_names_group(
            "6:freezer:/forklab-jail-7-0",
            Version::V1,
            rel
        ));
        assert!(!line_names_group("8:pids:/", Version::V1, rel));
        assert!(line_names_group("0::/forklab-jail-7-0", Version::V2, rel));
        assert!(!line_names_group("0::/forklab-jail-7-01", Version::V2, rel));
        assert!(line_names_group(
            "0::/forklab-jail-7-0/sub/deeper",
            Version::V2,
            rel
        ));
        assert!(!line_names_group("garbage", Version::V2, rel));
    }

    #[test]
    fn pids_events_and_procs_are_parsed() {
        assert_eq!(events_max("max 12\n"), 12);
        assert_eq!(events_max("max 3\nmax.imposed 9\n"), 3);
        assert_eq!(events_max(""), 0);
        assert_eq!(parse_pids("12\n13\n\n"), vec![12, 13]);
    }

    #[test]
    fn relative_paths_start_at_the_hierarchy_root() {
        let root = Path::new("/sys/fs/cgroup/pids");
        let dir = root.join("a/forklab-1-0");
        assert_eq!(relative_path(&dir, Some(root)), "/a/forklab-1-0");
        assert_eq!(relative_path(root, Some(root)), "/");
    }
}
