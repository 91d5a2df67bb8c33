//! The part of a [`Snapshot`] that raw system calls can read, and the `CLONE_VM` child that
//! reads it: the vfork column.
//!
//! Everything here may run in a child that shares the subject's memory and stack-less
//! state, so it follows `signal-safety(7)`: only `rustix` calls and `sys` readers (raw system
//! calls), plain stores into a pre-allocated [`Snapshot`], no allocation, no panic (no
//! slice indexing with a computed index, no `unwrap`).

use super::plan::{HANDLED_SIGNAL, IGNORED_SIGNAL, MASKED_SIGNAL, MOVED_OFFSET, PENDING_SIGNAL};
use super::plan::{Plan, REGIONS};
use super::snapshot::{CpuMask, FileId, Groups, Snapshot};
use crate::sys::{self, memory::Region};
use rustix::process::{DumpableBehavior, Resource};

/// Fills the raw-readable fields of `s`.
pub(crate) fn take_raw(plan: &Plan, s: &mut Snapshot) {
    s.pid = rustix::process::getpid().as_raw_nonzero().get();
    s.ppid = rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get());
    s.pgid = rustix::process::getpgid(None).map_or(-1, |p| p.as_raw_nonzero().get());
    s.sid = rustix::process::getsid(None).map_or(-1, |p| p.as_raw_nonzero().get());
    s.uid = sys::attrs::resuid();
    s.groups = groups();
    s.plain_fd = sys::fds::is_open(plan.plain_fd);
    s.cloexec_fd = sys::fds::is_open(plan.cloexec_fd);
    s.offset = sys::fds::offset(plan.offset_fd);
    s.cwd = file_id(c".");
    s.root = file_id(c"/");
    s.umask = Some(umask());
    take_signals(s);
    s.real_timer = sys::timers::real_timer();
    s.posix_timer = plan.timer_id.and_then(sys::timers::posix_timer_armed);
    s.core_rlimit = Some(
        rustix::process::getrlimit(Resource::Core)
            .current
            .unwrap_or(u64::MAX),
    );
    s.nice = rustix::process::getpriority_process(None).ok();
    s.sched_policy = sys::attrs::sched_policy();
    s.affinity = rustix::thread::sched_getaffinity(None).ok().map(cpu_mask);
    s.flock = flock_held(plan.flock_fd);
    take_prctl(s);
    let cpu = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    s.cpu_time_us = Some(
        (cpu.tv_sec as u64)
            .saturating_mul(1_000_000)
            .saturating_add(cpu.tv_nsec as u64 / 1000),
    );
    s.threads = sys::process::thread_count_raw();
}

fn take_signals(s: &mut Snapshot) {
    s.handled = sys::signals::disposition(HANDLED_SIGNAL);
    s.ignored = sys::signals::disposition(IGNORED_SIGNAL);
    s.masked = sys::signals::is_blocked(MASKED_SIGNAL);
    s.pending = sys::signals::is_pending(PENDING_SIGNAL);
    s.altstack = sys::signals::altstack();
}

fn take_prctl(s: &mut Snapshot) {
    s.pdeathsig = rustix::process::parent_process_death_signal()
        .ok()
        .map(|sig| sig.map_or(0, |sig| sig.as_raw()));
    s.no_new_privs = rustix::thread::no_new_privs().ok();
    s.dumpable = rustix::process::dumpable_behavior().ok().map(|d| d as u32);
    s.timer_slack_ns = rustix::thread::current_timer_slack().ok();
}

fn groups() -> Option<Groups> {
    let mut g = Groups::default();
    let count = sys::attrs::groups(&mut g.list)?;
    g.count = count as u32;
    Some(g)
}

fn file_id(path: &std::ffi::CStr) -> Option<FileId> {
    let stat = rustix::fs::stat(path).ok()?;
    Some(FileId {
        dev: stat.st_dev,
        ino: stat.st_ino,
    })
}

/// The umask, read by setting and restoring it (the process's own copy: no `CLONE_FS`).
fn umask() -> u32 {
    let old = rustix::process::umask(rustix::fs::Mode::empty());
    rustix::process::umask(old);
    old.bits()
}

fn cpu_mask(set: rustix::thread::CpuSet) -> CpuMask {
    let mut low = 0u64;
    for cpu in 0..64 {
        if set.is_set(cpu) {
            low |= 1 << cpu;
        }
    }
    CpuMask {
        count: set.count(),
        low,
    }
}

/// Whether this descriptor's open file description holds the `flock` (a non-blocking
/// request succeeds at once for the holder; another description gets `EWOULDBLOCK`).
fn flock_held(fd: i32) -> Option<bool> {
    match sys::locks::flock_try(fd) {
        Ok(()) => Some(true),
        Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => Some(false),
        Err(_) => None,
    }
}

/// What the vfork child reads and writes: the plan, the subject's regions, the result.
pub(crate) struct VforkJob {
    pub plan: Plan,
    pub regions: [Region; REGIONS],
    pub out: Snapshot,
}

/// The body of the vfork child: report, then move the shared state (see
/// `snapshot::move_shared_state`), by raw means only.
pub(crate) fn vfork_child(job: &mut VforkJob) {
    take_raw(&job.plan, &mut job.out);
    // The subject holds the record lock: a conflict owned by someone else means this child
    // does not hold it (a child that did would see no conflict).
    job.out.fcntl_lock = sys::locks::conflicting_owner(job.plan.lock_fd, job.plan.locked_byte)
        .map(|owner| owner.is_none());
    for (seen, region) in job.out.regions.iter_mut().zip(job.regions) {
        *seen = Some(sys::memory::peek(region));
    }
    let _ = sys::fds::seek(job.plan.offset_fd, MOVED_OFFSET);
    let _ = sys::locks::flock_release(job.plan.flock_fd);
    for (region, magic) in job.regions.into_iter().zip(job.plan.magic) {
        sys::memory::poke(region, !magic);
    }
    let _ = rustix::process::set_dumpable_behavior(DumpableBehavior::Dumpable);
}
