//! Putting the calling thread in a variant's scheduling policy and CPU pinning for the length
//! of a run, and putting it back afterwards: `--sweep` runs every variant in one process, so
//! one variant's policy must not leak into the next (or into the caller).
//!
//! A policy this thread may not enter is a skip with the reason, not an error: `SCHED_FIFO`
//! without `CAP_SYS_NICE` (root), and `SCHED_IDLE` when the thread could not leave it again
//! (the kernel lets an unprivileged thread out of `SCHED_IDLE` only within `RLIMIT_NICE`).

use super::variant::{Pin, Sched, Variant};
use crate::sys::sched::{self as sys, Policy};
use rustix::thread::CpuSet;
use std::io;

/// Real-time priority of the `fifo` variant: the lowest, still above every normal thread.
const FIFO_PRIORITY: libc::c_int = 1;

/// A variant's policy and pinning, in force until [`Applied::restore`] (or drop).
pub(super) struct Applied {
    saved_policy: Option<Policy>,
    saved_affinity: Option<CpuSet>,
    /// The CPU the thread is pinned to.
    pub(super) pinned_cpu: Option<usize>,
}

/// Why a variant cannot be applied.
#[derive(Debug)]
pub(super) enum Refusal {
    /// It cannot run here; the reason.
    Skip(String),
    /// A system call failed.
    Error(&'static str, io::Error),
}

/// Applies `variant`'s policy, then its pinning.
pub(super) fn apply(variant: Variant) -> Result<Applied, Refusal> {
    let mut applied = Applied {
        saved_policy: None,
        saved_affinity: None,
        pinned_cpu: None,
    };
    let current = sys::get().map_err(|e| Refusal::Error("read the scheduling policy", e))?;
    let wanted = policy(variant.sched);
    if current.policy & !libc::SCHED_RESET_ON_FORK != wanted.policy
        || current.priority != wanted.priority
    {
        check_can_enter(variant.sched)?;
        sys::set(wanted).map_err(|e| refused(variant.sched, e))?;
        applied.saved_policy = Some(current);
    }
    if variant.pin == Pin::Same {
        let saved = rustix::thread::sched_getaffinity(None)
            .map_err(|e| Refusal::Error("read the CPU affinity", e.into()))?;
        let cpu = rustix::thread::sched_getcpu();
        let mut only = CpuSet::new();
        only.set(cpu);
        rustix::thread::sched_setaffinity(None, &only)
            .map_err(|e| Refusal::Error("pin to one CPU", e.into()))?;
        applied.saved_affinity = Some(saved);
        applied.pinned_cpu = Some(cpu);
    }
    Ok(applied)
}

impl Applied {
    /// Puts back the pinning and the policy the thread had.
    pub(super) fn restore(mut self) -> io::Result<()> {
        self.put_back()
    }

    fn put_back(&mut self) -> io::Result<()> {
        if let Some(affinity) = self.saved_affinity.take() {
            rustix::thread::sched_setaffinity(None, &affinity)?;
        }
        if let Some(policy) = self.saved_policy.take() {
            sys::set(policy)?;
        }
        Ok(())
    }
}

impl Drop for Applied {
    fn drop(&mut self) {
        let _ = self.put_back();
    }
}

fn policy(sched: Sched) -> Policy {
    let (policy, priority) = match sched {
        Sched::Other => (libc::SCHED_OTHER, 0),
        Sched::Batch => (libc::SCHED_BATCH, 0),
        Sched::Idle => (libc::SCHED_IDLE, 0),
        Sched::Fifo => (libc::SCHED_FIFO, FIFO_PRIORITY),
    };
    Policy { policy, priority }
}

fn check_can_enter(sched: Sched) -> Result<(), Refusal> {
    if sched == Sched::Idle && !can_leave_idle() {
        return Err(Refusal::Skip(
            "SCHED_IDLE: this thread could not return to its policy afterwards (that needs \
             CAP_SYS_NICE, or RLIMIT_NICE allowing its nice value); run as root"
                .to_string(),
        ));
    }
    Ok(())
}

fn refused(sched: Sched, e: io::Error) -> Refusal {
    if e.kind() != io::ErrorKind::PermissionDenied {
        return Refusal::Error("set the scheduling policy", e);
    }
    let why = match sched {
        Sched::Fifo => "SCHED_FIFO needs CAP_SYS_NICE (run as root)",
        _ => "the kernel refused the policy",
    };
    Refusal::Skip(format!("{why}: {e}"))
}

/// The kernel's rule for leaving `SCHED_IDLE` (`user_check_sched_setscheduler`): privileged,
/// or `20 - nice <= RLIMIT_NICE`.
fn can_leave_idle() -> bool {
    if has_cap_sys_nice() {
        return true;
    }
    let nice = rustix::process::getpriority_process(None).unwrap_or(0);
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nice).current;
    let needed = u64::try_from(20 - nice).unwrap_or(0);
    limit.is_none_or(|limit| needed <= limit)
}

/// Whether `CAP_SYS_NICE` (bit 23) is in this thread's effective capabilities.
fn has_cap_sys_nice() -> bool {
    const CAP_SYS_NICE: u32 = 23;
    let Ok(status) = std::fs::read_to_string("/proc/thread-self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_SYS_NICE) != 0)
}
