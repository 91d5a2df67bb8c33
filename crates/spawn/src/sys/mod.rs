//! The only place in `forklab-spawn` with `unsafe` code: thin wrappers over the Linux system
//! calls the library needs, one file per syscall family.
//!
//! What each file provides:
//! - `child`: [`child::ChildPlan`], everything a child needs between fork and exec, prepared
//!   by the parent, and [`child::run`], the async-signal-safe code that applies it and execs.
//! - `fork`: `fork(2)` itself (checked and unchecked) and the fork+exec strategy.
//! - `clone`: glibc's `clone(2)` with `CLONE_VM|CLONE_VFORK` on a private stack.
//! - `clone3`: the raw `clone3(2)` system call, vfork-style with a child stack (an assembly
//!   trampoline, because no libc exports it) or fork-style, with `CLONE_PIDFD`,
//!   `CLONE_CLEAR_SIGHAND` and `CLONE_INTO_CGROUP`.
//! - `posix_spawn`: glibc's `posix_spawn(3)` with file actions and attributes, and
//!   `pidfd_spawnp` where glibc has it.
//! - `cgroup`: opening the cgroup a child starts in, and telling v1 from v2.
//! - `pipes`: reading a child's stdout and stderr together with `poll(2)`.
//! - `stack`: the guarded, per-thread cached stack the VM-sharing children run on.
//! - `signal`: blocking every signal around a VM-sharing clone, signal names.
//! - `fd`: `pipe2`, `open`, `fcntl` duplications, reading the child's failure report.
//! - `wait`: `waitid(2)`, `pidfd_open(2)`, `pidfd_send_signal(2)`, `kill(2)`.
//! - `exec`: replacing the current process (the exec family).
//! - `environ`: the live environment, when a single-threaded process may pass it as is.
//! - `ids`: user and group identity checks.
//!
//! Every `unsafe` block carries a `// SAFETY:` comment saying why it holds. Code that runs in
//! a child before exec calls only async-signal-safe functions: no allocation, no locks, no
//! panics (it is compiled so that nothing it calls can unwind).

// The child's raw system calls assume 32-bit uid/gid arguments (`setuid` and `setgroups` are
// the 16-bit calls on i386 and 32-bit Arm) and the kernel's 64-signal `struct sigaction` with
// `sa_restorer` (MIPS, for one, lays it out differently and has 128 signals). Rather than run
// with a wrong layout, other targets do not build.
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!(
    "forklab-spawn supports Linux on x86-64 and AArch64 only (see the crate docs: raw set*id \
     calls with 32-bit ids, and the 64-signal sigaction layout with sa_restorer)"
);

pub(crate) mod cgroup;
pub(crate) mod child;
pub(crate) mod clone;
pub(crate) mod clone3;
pub(crate) mod environ;
pub(crate) mod exec;
pub(crate) mod fd;
pub(crate) mod fork;
pub(crate) mod ids;
pub(crate) mod pipes;
pub(crate) mod posix_spawn;
mod pre_exec;
pub(crate) mod signal;
pub(crate) mod stack;
pub(crate) mod wait;

use std::io;

/// Turns the C convention "-1 and errno" into an `io::Result` (the `syscall!` helper of mio).
pub(crate) fn cvt<T: IsMinusOne>(ret: T) -> io::Result<T> {
    if ret.is_minus_one() {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Retries a call that failed with `EINTR`.
pub(crate) fn cvt_retry<T: IsMinusOne>(mut call: impl FnMut() -> T) -> io::Result<T> {
    loop {
        match cvt(call()) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Return types of C calls that signal failure with `-1`.
pub(crate) trait IsMinusOne {
    fn is_minus_one(&self) -> bool;
}

macro_rules! impl_is_minus_one {
    ($($t:ident)*) => ($(impl IsMinusOne for $t {
        fn is_minus_one(&self) -> bool { *self == -1 }
    })*)
}
impl_is_minus_one! { i32 i64 isize }
