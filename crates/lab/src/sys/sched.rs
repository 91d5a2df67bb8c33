//! The scheduling policy of the calling thread: `sched_getscheduler(2)`, `sched_getparam(2)`,
//! `sched_setscheduler(2)` (rustix has no wrappers). Linux applies them to one thread, and a
//! child created by fork or clone inherits the policy of the thread that created it.

use super::cvt;
use std::io;

/// A policy (`SCHED_OTHER`, `SCHED_FIFO`, …, possibly with `SCHED_RESET_ON_FORK`) and its
/// static priority (0 except for the real-time policies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    /// The `SCHED_*` value as the kernel reports it.
    pub(crate) policy: libc::c_int,
    /// `sched_param.sched_priority`.
    pub(crate) priority: libc::c_int,
}

/// The calling thread's policy.
pub(crate) fn get() -> io::Result<Policy> {
    // SAFETY: a plain system call on the calling thread (pid 0).
    let policy = cvt(unsafe { libc::sched_getscheduler(0) })?;
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid sched_param for the kernel to fill.
    cvt(unsafe { libc::sched_getparam(0, &mut param) })?;
    Ok(Policy {
        policy,
        priority: param.sched_priority,
    })
}

/// Sets the calling thread's policy.
pub(crate) fn set(policy: Policy) -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: policy.priority,
    };
    // SAFETY: `param` is a valid sched_param the kernel only reads.
    cvt(unsafe { libc::sched_setscheduler(0, policy.policy, &param) })?;
    Ok(())
}
