//! The vfork-style strategy: glibc's `clone(2)` wrapper with `CLONE_VM|CLONE_VFORK`, the
//! child running on its own [`Stack`]. The parent thread sleeps until the child execs or exits,
//! and no page tables are copied, so the cost does not grow with the parent's size.
//!
//! This is what `vfork()` promises, without its trap: the child never returns into, or writes,
//! a stack frame of the parent. When asked, a pidfd comes from the same call (`CLONE_PIDFD`,
//! Linux 5.2).
//!
//! Also here: [`clone_run`], the same primitive running a function of the caller's.

use super::child::{self, ChildPlan};
use super::stack::Stack;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

extern "C" fn entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `&ChildPlan` passed to clone below; the parent keeps it alive and
    // unchanged while suspended.
    let plan = unsafe { &*arg.cast::<ChildPlan<'_>>() };
    child::run(plan)
}

/// Creates a child that shares memory with this process until it execs. Returns its pid and,
/// if `want_pidfd`, the pidfd the kernel made with it (`CLONE_PIDFD`, Linux 5.2); `None` when
/// an older kernel ignored the flag (the caller decides what that means).
pub(crate) fn clone_vfork(
    plan: &ChildPlan<'_>,
    stack: &Stack,
    want_pidfd: bool,
) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
    let mut flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
    if want_pidfd {
        flags |= libc::CLONE_PIDFD;
    }
    let mut pidfd: libc::c_int = -1;
    let pid = call(plan, stack, flags, &mut pidfd)?;
    // SAFETY: with CLONE_PIDFD honoured the kernel stored a new descriptor we now own.
    let pidfd = (want_pidfd && pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) });
    Ok((pid, pidfd))
}

fn call(
    plan: &ChildPlan<'_>,
    stack: &Stack,
    flags: libc::c_int,
    pidfd: &mut libc::c_int,
) -> io::Result<libc::pid_t> {
    let arg = (plan as *const ChildPlan<'_>)
        .cast_mut()
        .cast::<libc::c_void>();
    // SAFETY: `entry` runs on `stack`, a private mapping nobody else uses while this thread is
    // suspended by CLONE_VFORK; `plan` outlives the call; the pidfd slot is a valid int.
    let pid = unsafe { libc::clone(entry, stack.top(), flags, arg, pidfd as *mut libc::c_int) };
    super::cvt(pid)
}

/// What a child made by [`clone_run`] shares with its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloneMemory {
    /// `clone(SIGCHLD)`: a copy of the parent's memory, like `fork(2)`; both run at once.
    Copy,
    /// `clone(CLONE_VM|CLONE_VFORK|SIGCHLD)`: the parent's memory itself; the calling thread
    /// sleeps until the child exits or execs, as after `vfork(2)`.
    SharedUntilExit,
}

/// Runs `entry(arg)` in a new child created by `clone(2)` on a private, guarded stack (this
/// thread's cached one, never the caller's stack), and returns the child's pid. The child exits
/// with `entry`'s return value. The caller reaps it.
///
/// This is the primitive under [`crate::Strategy::VforkExec`], for experiments that want a
/// child which runs code of theirs rather than a program.
///
/// # Safety
///
/// `entry` runs in a process that is a copy of a possibly multi-threaded one, or that shares
/// this one's memory: it may only call async-signal-safe functions (`signal-safety(7)`), must
/// not allocate, lock or unwind, and `arg` must stay valid for as long as it runs. With
/// `SharedUntilExit` a signal handler of the parent could run in the child on the parent's
/// memory: block signals around the call (or make sure no handler can run) if that matters.
pub unsafe fn clone_run(
    memory: CloneMemory,
    entry: extern "C" fn(*mut libc::c_void) -> libc::c_int,
    arg: *mut libc::c_void,
) -> io::Result<crate::Pid> {
    let flags = match memory {
        CloneMemory::Copy => libc::SIGCHLD,
        CloneMemory::SharedUntilExit => libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
    };
    let pid = super::stack::with_stack(|stack| {
        // SAFETY: `entry` runs on `stack`, which no one else uses while it does (the caller is
        // suspended with CLONE_VFORK, or the child has its own copy); the caller upholds the
        // rest of the contract above.
        super::cvt(unsafe { libc::clone(entry, stack.top(), flags, arg) })
    })?;
    Ok(crate::Pid::new(pid).expect("clone returns a positive pid in the parent"))
}
