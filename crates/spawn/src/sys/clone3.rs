//! The raw `clone3(2)` system call, two ways:
//!
//! - [`clone3_vfork`]: `CLONE_VM|CLONE_VFORK|CLONE_CLEAR_SIGHAND` on a child stack, for the
//!   `Clone3` and `Auto` strategies. Written by hand because no libc exports `clone3`: after
//!   the system call the child is on a new stack, so it cannot return into compiled Rust code
//!   whose locals live on the old one. A few instructions of inline assembly call the child
//!   function straight away instead. `CLONE_CLEAR_SIGHAND` (Linux 5.5) resets caught signals
//!   to their defaults at birth, so no handler of ours can ever run in the child, the parent
//!   need not block signals around the call, and the child saves one `sigaction` per signal.
//!   Only x86-64 has the trampoline; elsewhere it reports `Unsupported`.
//! - [`clone3_fork`]: a fork (no `CLONE_VM`, no new stack: the child returns from the system
//!   call on its own copy of ours), for `ForkExec` when it must return a pidfd made with the
//!   child or place the child in a cgroup at birth. This is how std forks when asked for a
//!   pidfd.
//!
//! Both can ask for `CLONE_PIDFD` (a pidfd from the child's birth) and `CLONE_INTO_CGROUP`
//! (Linux 5.7: the child starts in the given cgroup v2 directory).

use super::child::ChildPlan;
use super::stack::Stack;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

const CLONE_PIDFD: u64 = 0x1000;
const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
/// `CLONE_ARGS_SIZE_VER0`: the struct up to `tls` (Linux 5.3).
const SIZE_VER0: usize = 64;

/// `struct clone_args` as of Linux 5.7 (`CLONE_ARGS_SIZE_VER2`).
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
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// What to ask of `clone3` besides creating the child.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Clone3Extras {
    /// `CLONE_PIDFD`.
    pub pidfd: bool,
    /// `CLONE_INTO_CGROUP` with this cgroup v2 directory.
    pub cgroup: Option<RawFd>,
}

impl Clone3Extras {
    /// The arguments, and the size to pass: the 5.3 size unless a 5.7 field is used, so
    /// that older kernels accept the call.
    fn args(self, base: u64, pidfd: &mut libc::c_int) -> (CloneArgs, usize) {
        let mut args = CloneArgs {
            flags: base,
            exit_signal: libc::SIGCHLD as u64,
            ..CloneArgs::default()
        };
        if self.pidfd {
            args.flags |= CLONE_PIDFD;
            args.pidfd = pidfd as *mut libc::c_int as u64;
        }
        let mut size = SIZE_VER0;
        if let Some(dir) = self.cgroup {
            args.flags |= CLONE_INTO_CGROUP;
            args.cgroup = dir as u64;
            size = size_of::<CloneArgs>();
        }
        (args, size)
    }
}

/// Takes ownership of the pidfd the kernel stored, if one was asked for.
fn owned_pidfd(extras: Clone3Extras, pidfd: libc::c_int) -> Option<OwnedFd> {
    // SAFETY: with CLONE_PIDFD the kernel stored a new descriptor that nothing else owns.
    (extras.pidfd && pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) })
}

/// Forks with `clone3` and runs `plan` in the child. Returns the child's pid and its pidfd
/// (when asked for). `ENOSYS` means the kernel (or a seccomp filter) lacks `clone3`.
pub(crate) fn clone3_fork(
    plan: &ChildPlan<'_>,
    extras: Clone3Extras,
) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
    let mut pidfd: libc::c_int = -1;
    let (args, size) = extras.args(0, &mut pidfd);
    // SAFETY: without CLONE_VM or a stack this is a fork: the child continues from here on
    // its own copy of this process's memory and stack, and only runs `child_entry`, which is
    // async-signal-safe and never returns. `args` and `pidfd` outlive the call.
    let ret = unsafe { libc::syscall(libc::SYS_clone3, &args as *const CloneArgs, size) };
    if ret == 0 {
        super::fork::child_entry(plan);
    }
    let pid = super::cvt(ret)?;
    Ok((pid as libc::pid_t, owned_pidfd(extras, pidfd)))
}

/// Creates a child sharing memory until exec, with caught signals reset by the kernel.
/// `ENOSYS`/`EINVAL` mean the kernel (or a seccomp filter) lacks a feature.
pub(crate) fn clone3_vfork(
    plan: &ChildPlan<'_>,
    stack: &Stack,
    extras: Clone3Extras,
) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
    imp::clone3_vfork(plan, stack, extras)
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::*;
    use crate::sys::child;

    extern "C" fn entry(arg: *const ChildPlan<'_>) -> ! {
        // SAFETY: `arg` is the plan passed to clone3 below, alive while the parent is suspended.
        child::run(unsafe { &*arg })
    }

    pub(super) fn clone3_vfork(
        plan: &ChildPlan<'_>,
        stack: &Stack,
        extras: Clone3Extras,
    ) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
        let mut pidfd: libc::c_int = -1;
        let base = libc::CLONE_VM as u64 | libc::CLONE_VFORK as u64 | CLONE_CLEAR_SIGHAND;
        let (mut args, size) = extras.args(base, &mut pidfd);
        let (low, stack_size) = stack.usable();
        args.stack = low as u64;
        args.stack_size = stack_size as u64;
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
                in("rsi") size,
                in("r12") plan as *const ChildPlan<'_>,
                in("r13") entry as extern "C" fn(*const ChildPlan<'_>) -> !,
                lateout("rcx") _,
                lateout("r11") _,
            );
        }
        if ret < 0 {
            return Err(io::Error::from_raw_os_error((-ret) as i32));
        }
        Ok((ret as libc::pid_t, owned_pidfd(extras, pidfd)))
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    use super::*;

    pub(super) fn clone3_vfork(
        _plan: &ChildPlan<'_>,
        _stack: &Stack,
        _extras: Clone3Extras,
    ) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
        let _ = (CLONE_CLEAR_SIGHAND, owned_pidfd);
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_and_size_follow_what_is_asked() {
        let mut pidfd = -1;
        let (plain, size) = Clone3Extras::default().args(0, &mut pidfd);
        assert_eq!(
            (plain.flags, size),
            (0, SIZE_VER0),
            "a 5.3 kernel accepts it"
        );
        assert_eq!(plain.exit_signal, libc::SIGCHLD as u64);
        let asked = Clone3Extras {
            pidfd: true,
            cgroup: Some(7),
        };
        let (args, size) = asked.args(libc::CLONE_VM as u64, &mut pidfd);
        let flags = libc::CLONE_VM as u64 | CLONE_PIDFD | CLONE_INTO_CGROUP;
        assert_eq!((args.flags, args.cgroup, size), (flags, 7, 88));
        assert_eq!(args.pidfd, &mut pidfd as *mut libc::c_int as u64);
    }
}
