//! The modern strategy: the raw `clone3(2)` system call with
//! `CLONE_VM|CLONE_VFORK|CLONE_CLEAR_SIGHAND` (and `CLONE_PIDFD` when asked) on a child stack.
//!
//! Written by hand because no libc exports `clone3`: after the system call the child is on a
//! new stack, so it cannot return into compiled Rust code whose locals live on the old one. A
//! few instructions of inline assembly call the child function straight away instead. What the
//! kernel does for us here is worth the trouble: `CLONE_CLEAR_SIGHAND` (Linux 5.5) resets
//! caught signals to their defaults at birth, so no handler of ours can ever run in the child,
//! the parent need not block signals around the call, and the child saves one `sigaction` per
//! signal; and a pidfd, when asked for, exists from the child's birth.
//!
//! Only x86-64 has the trampoline; elsewhere [`clone3_vfork`] reports `Unsupported`.

use super::child::ChildPlan;
use super::stack::Stack;
use std::io;
use std::os::fd::OwnedFd;

const CLONE_PIDFD: u64 = 0x1000;
const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;

/// `struct clone_args` as of Linux 5.3 (`CLONE_ARGS_SIZE_VER0`).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
}

/// Creates a child sharing memory until exec, with caught signals reset by the kernel and, if
/// `want_pidfd`, a pidfd from birth. `ENOSYS`/`EINVAL` mean the kernel (or a seccomp filter)
/// lacks a feature.
pub(crate) fn clone3_vfork(
    plan: &ChildPlan<'_>,
    stack: &Stack,
    want_pidfd: bool,
) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
    imp::clone3_vfork(plan, stack, want_pidfd)
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::*;
    use crate::sys::child;
    use std::os::fd::FromRawFd;

    extern "C" fn entry(arg: *const ChildPlan<'_>) -> ! {
        // SAFETY: `arg` is the plan passed to clone3 below, alive while the parent is suspended.
        child::run(unsafe { &*arg })
    }

    pub(super) fn clone3_vfork(
        plan: &ChildPlan<'_>,
        stack: &Stack,
        want_pidfd: bool,
    ) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
        let mut pidfd: libc::c_int = -1;
        let (low, size) = stack.usable();
        let pidfd_flag = if want_pidfd { CLONE_PIDFD } else { 0 };
        let args = CloneArgs {
            flags: libc::CLONE_VM as u64
                | libc::CLONE_VFORK as u64
                | CLONE_CLEAR_SIGHAND
                | pidfd_flag,
            pidfd: &mut pidfd as *mut libc::c_int as u64,
            exit_signal: libc::SIGCHLD as u64,
            stack: low as u64,
            stack_size: size as u64,
            ..CloneArgs::default()
        };
        let ret: i64;
        // SAFETY: clone3 with CLONE_VM|CLONE_VFORK suspends this thread until the child execs
        // or exits. The child starts on `stack` (16-byte aligned top, as the kernel computes
        // stack + stack_size), where it immediately calls `entry(plan)`, which never returns;
        // it touches no register or stack slot of ours. r12/r13 survive `syscall` in both
        // processes; rcx and r11 are clobbered by it. `args` and `pidfd` outlive the call.
        unsafe {
            std::arch::asm!(
                "syscall",
                "test rax, rax",
                "jnz 2f",
                "xor ebp, ebp",
                "mov rdi, r12",
                "call r13",
                "ud2",
                "2:",
                inlateout("rax") libc::SYS_clone3 => ret,
                in("rdi") &args as *const CloneArgs,
                in("rsi") size_of::<CloneArgs>(),
                in("r12") plan as *const ChildPlan<'_>,
                in("r13") entry as extern "C" fn(*const ChildPlan<'_>) -> !,
                lateout("rcx") _,
                lateout("r11") _,
            );
        }
        if ret < 0 {
            return Err(io::Error::from_raw_os_error((-ret) as i32));
        }
        // SAFETY: with CLONE_PIDFD the kernel stored a new descriptor that nothing else owns.
        let pidfd = want_pidfd.then(|| unsafe { OwnedFd::from_raw_fd(pidfd) });
        Ok((ret as libc::pid_t, pidfd))
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    use super::*;

    pub(super) fn clone3_vfork(
        _plan: &ChildPlan<'_>,
        _stack: &Stack,
        _want_pidfd: bool,
    ) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
        let _ = (CLONE_PIDFD, CLONE_CLEAR_SIGHAND, CloneArgs::default());
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}
