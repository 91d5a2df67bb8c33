//! What one process sees of its own attributes: a [`Snapshot`]. Plain data, so that a
//! `CLONE_VM` child can fill one in its parent's memory; serde, so that a child or the probe
//! can send one through a pipe.
//!
//! [`take`] reads everything, for processes that may allocate (a fork child of the
//! single-threaded subject, the probe after exec). The raw part is in `raw`.

use super::plan::{ENV_KEY, MOVED_OFFSET, Plan, REGIONS};
use super::{procfs, raw};
use crate::sys;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::os::unix::fs::{FileExt, MetadataExt};

pub use crate::sys::signals::{AltStack, Disposition};
pub use crate::sys::timers::RealTimer;

/// A file identified by device and inode (the working or root directory).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileId {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

/// Supplementary group IDs (at most 32 are kept).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Groups {
    /// How many the process has.
    pub count: u32,
    /// The first `count` (up to 32).
    pub list: [u32; 32],
}

/// A CPU affinity mask: how many CPUs, and the first 64 as bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuMask {
    /// CPUs in the mask.
    pub count: u32,
    /// Bit `n` set: CPU `n` is in the mask (CPUs 0–63).
    pub low: u64,
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inode {} on device {:#x}", self.ino, self.dev)
    }
}

impl fmt::Display for Groups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.list.iter().take(self.count as usize);
        let list: Vec<String> = shown.map(u32::to_string).collect();
        write!(f, "[{}]", list.join(", "))
    }
}

impl fmt::Display for CpuMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cpus: Vec<String> = (0..64)
            .filter(|cpu| self.low & (1 << cpu) != 0)
            .map(|cpu: u32| cpu.to_string())
            .collect();
        write!(f, "{} CPU(s) {{{}}}", self.count, cpus.join(","))
    }
}

/// One process's view of its attributes. `None`: could not be read (or does not apply).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `getpid()`.
    pub pid: i32,
    /// `getppid()`.
    pub ppid: i32,
    /// `getpgid(0)`.
    pub pgid: i32,
    /// `getsid(0)`.
    pub sid: i32,
    /// Real, effective, saved set-user-ID.
    pub uid: Option<[u32; 3]>,
    /// Supplementary groups.
    pub groups: Option<Groups>,
    /// Whether the plan's ordinary descriptor is open.
    pub plain_fd: Option<bool>,
    /// Whether the plan's close-on-exec descriptor is open.
    pub cloexec_fd: Option<bool>,
    /// The offset of the plan's offset descriptor.
    pub offset: Option<u64>,
    /// The working directory.
    pub cwd: Option<FileId>,
    /// The root directory.
    pub root: Option<FileId>,
    /// The file-mode creation mask.
    pub umask: Option<u32>,
    /// Disposition of the handled signal.
    pub handled: Option<Disposition>,
    /// Disposition of the ignored signal.
    pub ignored: Option<Disposition>,
    /// Whether the masked signal is blocked.
    pub masked: Option<bool>,
    /// Whether the pending signal is pending.
    pub pending: Option<bool>,
    /// The alternate signal stack.
    pub altstack: Option<AltStack>,
    /// The real-time timer (`alarm`, `ITIMER_REAL`).
    pub real_timer: Option<RealTimer>,
    /// Whether the plan's POSIX timer exists and is armed here.
    pub posix_timer: Option<bool>,
    /// Soft `RLIMIT_CORE` (`u64::MAX`: unlimited).
    pub core_rlimit: Option<u64>,
    /// Nice value.
    pub nice: Option<i32>,
    /// Scheduling policy number.
    pub sched_policy: Option<i32>,
    /// CPU affinity.
    pub affinity: Option<CpuMask>,
    /// Whether this process holds an `fcntl` lock on the plan's lock file.
    pub fcntl_lock: Option<bool>,
    /// Whether the plan's `flock` descriptor holds the lock.
    pub flock: Option<bool>,
    /// `VmLck` in KiB.
    pub locked_kib: Option<u64>,
    /// The word at each plan region's address (`None`: not mapped here).
    pub regions: [Option<u64>; REGIONS],
    /// Parent-death signal (0: none).
    pub pdeathsig: Option<i32>,
    /// `PR_GET_NO_NEW_PRIVS`.
    pub no_new_privs: Option<bool>,
    /// `PR_GET_DUMPABLE`.
    pub dumpable: Option<u32>,
    /// Current timer slack, ns.
    pub timer_slack_ns: Option<u64>,
    /// CPU time used by the process, µs.
    pub cpu_time_us: Option<u64>,
    /// Threads in the process.
    pub threads: Option<u64>,
    /// Whether the marker variable is in the environment with the plan's value.
    pub environment: Option<bool>,
}

/// Reads every attribute (allocates: not for a `CLONE_VM` child).
pub fn take(plan: &Plan) -> Snapshot {
    let mut snapshot = Snapshot::default();
    raw::take_raw(plan, &mut snapshot);
    snapshot.fcntl_lock = holds_record_lock(plan.lock_fd, snapshot.pid);
    snapshot.locked_kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| procfs::status_kib(&s, "VmLck"));
    snapshot.regions = plan.regions.map(read_word);
    snapshot.environment = Some(std::env::var(ENV_KEY).ok() == Some(plan.env_value.to_string()));
    snapshot
}

/// Whether process `pid` holds a POSIX record lock on the file open as `fd`, from
/// `/proc/locks` (which, unlike `F_GETLK`, tells "I hold it" from "nobody does").
fn holds_record_lock(fd: i32, pid: i32) -> Option<bool> {
    let file = std::fs::metadata(format!("/proc/self/fd/{fd}")).ok()?;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let id = procfs::LockedFile {
        major: rustix::fs::major(file.dev()),
        minor: rustix::fs::minor(file.dev()),
        ino: file.ino(),
    };
    Some(procfs::posix_lock_holders(&locks, id).contains(&pid))
}

/// The word at `addr`, through `/proc/self/mem` (which fails for an unmapped address
/// instead of faulting).
fn read_word(addr: u64) -> Option<u64> {
    let mem = std::fs::File::open("/proc/self/mem").ok()?;
    let mut bytes = [0u8; 8];
    mem.read_exact_at(&mut bytes, addr).ok()?;
    Some(u64::from_ne_bytes(bytes))
}

fn write_word(addr: u64, value: u64) {
    if let Ok(mem) = std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/mem")
    {
        let _ = mem.write_all_at(&value.to_ne_bytes(), addr);
    }
}

/// After reporting: moves the state a child may share with the subject (the file offset,
/// the `flock`, the private mappings that still hold their mark, dumpable), so that the
/// subject can tell a shared object from a copy. Only when the plan asks for it.
pub fn move_shared_state(plan: &Plan, seen: &Snapshot) {
    if !plan.moves {
        return;
    }
    let _ = sys::fds::seek(plan.offset_fd, MOVED_OFFSET);
    let _ = sys::locks::flock_release(plan.flock_fd);
    for i in 0..REGIONS {
        if seen.regions[i] == Some(plan.magic[i]) {
            write_word(plan.regions[i], !plan.magic[i]);
        }
    }
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::Dumpable);
}
