//! `fork(2)` through glibc (which keeps its own state right in the child: locks, thread
//! bookkeeping, `pthread_atfork` handlers) and the classic fork+exec strategy on top of it.

use super::child::{self, ChildPlan};
use crate::fork::Fork;
use std::io;

/// Forks, then runs `plan` in the child. The page tables of the whole parent are copied, which
/// is what makes this strategy slow for a large parent.
pub(crate) fn fork_exec(plan: &ChildPlan<'_>) -> io::Result<libc::pid_t> {
    // SAFETY: the child only runs `child_entry`, which is async-signal-safe and never
    // returns, so forking a multi-threaded process is sound here.
    let pid = super::cvt(unsafe { libc::fork() })?;
    if pid == 0 {
        child_entry(plan);
    }
    Ok(pid)
}

/// Where a forked child goes: `extern "C"`, so a panic cannot unwind out of it into the
/// frames the child copied from its parent (the runtime aborts the child instead).
pub(crate) extern "C" fn child_entry(plan: &ChildPlan<'_>) -> ! {
    child::run(plan)
}

/// `fork(2)`: returns twice, once in each process.
///
/// # Safety
///
/// If the calling process has more than one thread, the child may only call
/// async-signal-safe functions (see `signal-safety(7)`) until it calls `_exit` or execs: any
/// lock another thread held at the fork stays locked forever in the child, and that includes
/// the allocator's and stdout's. [`crate::fork()`] checks that the process has one thread.
pub unsafe fn fork_unchecked() -> io::Result<Fork> {
    // SAFETY: the caller upholds the contract above.
    let pid = super::cvt(unsafe { libc::fork() })?;
    Ok(match crate::Pid::new(pid) {
        None => Fork::Child,
        Some(pid) => Fork::Parent(pid),
    })
}

/// [`fork_unchecked`] after checking that this process has a single thread, which makes the
/// child a complete copy with no lock held by a vanished thread.
pub(crate) fn fork_checked() -> io::Result<Fork> {
    let threads = crate::fork::thread_count()?;
    if threads != 1 {
        return Err(io::Error::other(format!(
            "fork refused: this process has {threads} threads, and a child of a multi-threaded \
             process may only call async-signal-safe functions"
        )));
    }
    // SAFETY: a single-threaded process: no other thread can hold a lock or create a thread
    // between the check and the fork.
    unsafe { fork_unchecked() }
}

/// `_exit(2)`.
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit has no preconditions and does not return.
    unsafe { libc::_exit(code) }
}
