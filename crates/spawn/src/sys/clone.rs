//! The vfork-style strategy: glibc's `clone(2)` wrapper with `CLONE_VM|CLONE_VFORK`, the
//! child running on its own [`Stack`]. The parent thread sleeps until the child execs or exits,
//! and no page tables are copied, so the cost does not grow with the parent's size.
//!
//! This is what `vfork()` promises, without its trap: the child never returns into, or writes,
//! a stack frame of the parent. When asked, a pidfd comes from the same call (`CLONE_PIDFD`,
//! Linux 5.2).

use super::child::{self, ChildPlan};
use super::stack::Stack;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// Cleared after the kernel refused `CLONE_PIDFD` once.
static PIDFD_FLAG_WORKS: AtomicBool = AtomicBool::new(true);

extern "C" fn entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `&ChildPlan` passed to clone below; the parent keeps it alive and
    // unchanged while suspended.
    let plan = unsafe { &*arg.cast::<ChildPlan<'_>>() };
    child::run(plan)
}

/// Creates a child that shares memory with this process until it execs.
/// Returns its pid and, if `want_pidfd` and the kernel can, its pidfd.
pub(crate) fn clone_vfork(
    plan: &ChildPlan<'_>,
    stack: &Stack,
    want_pidfd: bool,
) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
    let base = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
    if want_pidfd && PIDFD_FLAG_WORKS.load(Ordering::Relaxed) {
        let mut pidfd: libc::c_int = -1;
        match call(plan, stack, base | libc::CLONE_PIDFD, &mut pidfd) {
            // SAFETY: with CLONE_PIDFD the kernel stored a new descriptor we now own.
            Ok(pid) => return Ok((pid, Some(unsafe { OwnedFd::from_raw_fd(pidfd) }))),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                PIDFD_FLAG_WORKS.store(false, Ordering::Relaxed);
            }
            Err(e) => return Err(e),
        }
    }
    let mut unused: libc::c_int = -1;
    call(plan, stack, base, &mut unused).map(|pid| (pid, None))
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
