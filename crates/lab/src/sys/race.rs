//! How a race trial creates its child, and the one thing each side does first afterwards.
//!
//! Three ways, all returning in the parent with the child's pid:
//! - [`fork`]: the `fork(2)` system call itself (`clone(SIGCHLD)` where the architecture has
//!   no `fork` syscall), continuing in the child on its copy of the parent's stack.
//! - [`clone`] without `CLONE_VM`: the child gets a copy of the memory, like fork, but starts
//!   in a function on a stack of its own (`forklab_spawn::raw::clone_run`).
//! - [`clone`] with `CLONE_VM|CLONE_VFORK`: the child shares the memory and runs on that
//!   stack while the calling thread sleeps until it exits: vfork, without the trap of a child
//!   writing the parent's stack frames.
//!
//! The child's code lives here because it runs in a copy of a process that may have other
//! threads (the test harness has), so it may only do async-signal-safe things: it takes a
//! ticket (an atomic add and `clock_gettime`) or writes one pre-formatted line (`write(2)`,
//! noting a failure's `errno` in shared memory: an atomic store), then `_exit`s. It allocates nothing, takes no lock and cannot panic.
//!
//! Deliberately not used: glibc's `fork()` wrapper. It runs `pthread_atfork` handlers, takes
//! and then resets its stdio and malloc locks, and has the kernel store the child's tid in the
//! thread block: writes to write-protected pages right after the fork, so copy-on-write faults
//! on both sides on every trial, which is not what the experiment measures.

use forklab_spawn::raw::CloneMemory;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicU64, Ordering};

/// One of the two processes of a trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// The process that called fork.
    Parent,
    /// The new process.
    Child,
}

/// A ticket and the time it was taken, written by one side.
pub(crate) struct Stub<'a> {
    /// The ticket number.
    pub(crate) ticket: &'a AtomicU64,
    /// `CLOCK_MONOTONIC` in nanoseconds just after taking the ticket.
    pub(crate) at_ns: &'a AtomicU64,
}

/// What each side does first after the fork.
pub(crate) enum FirstAct<'a> {
    /// Take the next ticket from `next` (an atomic add in shared memory), then note the time.
    Ticket {
        /// The dispenser.
        next: &'a AtomicU64,
        /// Where the parent writes its ticket.
        parent: Stub<'a>,
        /// Where the child writes its ticket.
        child: Stub<'a>,
    },
    /// Write one line to `fd` with a single `write(2)` (the article's unbuffered `printf`).
    Line {
        /// Where both write.
        fd: BorrowedFd<'a>,
        /// The parent's line, `"j parent\n"`.
        parent: &'a [u8],
        /// The child's line, `"j child\n"`.
        child: &'a [u8],
        /// Where a side whose write fails stores the `errno` (or [`SHORT_WRITE`]): a word in
        /// memory shared with the child, which has no other way to say so.
        failed: &'a AtomicU64,
    },
}

/// What [`FirstAct::Line`] stores in `failed` when `write(2)` wrote only part of a line.
pub(crate) const SHORT_WRITE: u64 = u64::MAX;

impl FirstAct<'_> {
    /// Does this side's part. Async-signal-safe: atomics, `clock_gettime`, `write`.
    /// Nothing is returned: a side that fails to write says so in the shared word.
    #[inline(always)]
    fn run(&self, side: Side) {
        match self {
            FirstAct::Ticket {
                next,
                parent,
                child,
            } => {
                let stub = if side == Side::Parent { parent } else { child };
                stub.ticket
                    .store(next.fetch_add(1, Ordering::SeqCst), Ordering::Relaxed);
                stub.at_ns.store(monotonic_ns(), Ordering::Relaxed);
            }
            FirstAct::Line {
                fd,
                parent,
                child,
                failed,
            } => {
                let line = if side == Side::Parent { parent } else { child };
                // SAFETY: writing from a valid buffer of `line.len()` bytes to a descriptor
                // the caller keeps open.
                let ret = unsafe { raw::write(fd.as_raw_fd(), line) };
                if ret != line.len() as isize {
                    let code = if ret < 0 {
                        ret.unsigned_abs() as u64
                    } else {
                        SHORT_WRITE
                    };
                    failed.store(code, Ordering::Relaxed);
                }
            }
        }
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds. Async-signal-safe (`clock_gettime`, from the vDSO).
pub(crate) fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to fill; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64).wrapping_mul(1_000_000_000) + ts.tv_nsec as u64
}

/// The `fork(2)` system call; both sides run `act` first. Returns the child's pid.
pub(crate) fn fork(act: &FirstAct<'_>) -> io::Result<libc::pid_t> {
    // SAFETY: the child runs only `act` (async-signal-safe) and `_exit`, so forking a process
    // with other threads is sound; it never returns into the caller's frames.
    let ret = unsafe { raw::fork() };
    if ret == 0 {
        act.run(Side::Child);
        exit_child();
    }
    if ret > 0 {
        act.run(Side::Parent);
        return Ok(ret as libc::pid_t);
    }
    Err(io::Error::from_raw_os_error(-ret as i32))
}

/// The three system calls of a forked child's path, as bare `syscall` instructions inlined
/// into it on x86_64. A child starts with none of the parent's code pages mapped (fork copies
/// no page-table entries for file-backed text), so every distinct page it executes costs a
/// page fault: going through libc's `syscall`, `write` and `_exit` added two per trial
/// (measured: 7 faults per trial down to 5, about 7% of a trial). Elsewhere through libc.
/// As the kernel does, they return `-errno` on failure.
mod raw {
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(super) unsafe fn fork() -> isize {
        let ret: isize;
        // SAFETY: fork(2) takes no arguments and clobbers only rcx and r11 (the syscall ABI);
        // the caller upholds what a fork requires of the child.
        unsafe {
            std::arch::asm!(
                "syscall",
                inlateout("rax") libc::SYS_fork as isize => ret,
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack),
            );
        }
        ret
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(super) unsafe fn write(fd: libc::c_int, buf: &[u8]) -> isize {
        let ret: isize;
        // SAFETY: write(2) reads `buf.len()` bytes from `buf`, a valid slice; the caller
        // vouches for `fd`.
        unsafe {
            std::arch::asm!(
                "syscall",
                inlateout("rax") libc::SYS_write as isize => ret,
                in("rdi") fd as isize,
                in("rsi") buf.as_ptr(),
                in("rdx") buf.len(),
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack, readonly),
            );
        }
        ret
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(super) fn exit_group(code: libc::c_int) -> ! {
        // SAFETY: exit_group(2) ends the process and does not return; no destructor of ours
        // needs to run in a forked child.
        unsafe {
            std::arch::asm!(
                "syscall",
                in("rax") libc::SYS_exit_group as isize,
                in("rdi") code as isize,
                options(noreturn, nostack),
            );
        }
    }

    /// libc's `-1` and `errno` as the kernel's own `-errno`, which the callers expect.
    #[cfg(not(target_arch = "x86_64"))]
    fn negated_errno(ret: isize) -> isize {
        if ret == -1 {
            // SAFETY: __errno_location returns the calling thread's errno slot, always valid
            // (in a forked child too: a plain load).
            -(unsafe { *libc::__errno_location() } as isize)
        } else {
            ret
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub(super) unsafe fn fork() -> isize {
        // SAFETY: fork(2) is clone(SIGCHLD) with no new stack on every architecture
        // (kernel/fork.c), and the flags-only call reads no other argument; the caller
        // upholds what a fork requires of the child.
        let ret = unsafe {
            libc::syscall(libc::SYS_clone, libc::SIGCHLD as libc::c_long, 0, 0, 0, 0) as isize
        };
        negated_errno(ret)
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub(super) unsafe fn write(fd: libc::c_int, buf: &[u8]) -> isize {
        // SAFETY: reading `buf.len()` bytes from a valid slice; the caller vouches for `fd`.
        negated_errno(unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub(super) fn exit_group(code: libc::c_int) -> ! {
        // SAFETY: _exit has no preconditions and does not return.
        unsafe { libc::_exit(code) }
    }
}

/// `clone(2)` of a child that runs `act` on a stack of its own and exits; then the parent
/// runs `act`. With `share_vm`, `CLONE_VM|CLONE_VFORK`: the caller sleeps until the child has
/// exited.
pub(crate) fn clone(act: &FirstAct<'_>, share_vm: bool) -> io::Result<i32> {
    let memory = if share_vm {
        CloneMemory::SharedUntilExit
    } else {
        CloneMemory::Copy
    };
    let arg = (act as *const FirstAct<'_>)
        .cast_mut()
        .cast::<libc::c_void>();
    // While the child shares our memory, no signal handler may run in it: block them all.
    let blocked = share_vm.then(block_signals);
    // SAFETY: `child_entry` only takes its ticket or writes its line (async-signal-safe) and
    // exits; `act` outlives the call (the child either shares it while we wait, or has a copy);
    // with shared memory every signal is blocked, so no handler of ours runs in the child.
    let created = unsafe { forklab_spawn::raw::clone_run(memory, child_entry, arg) };
    if let Some(old) = blocked {
        restore_signals(&old);
    }
    let pid = created?;
    act.run(Side::Parent);
    Ok(pid.as_raw())
}

extern "C" fn child_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `&FirstAct` passed to clone above, alive and unchanged while the
    // child runs (shared and waited for, or copied).
    let act = unsafe { &*arg.cast::<FirstAct<'_>>() };
    act.run(Side::Child);
    exit_child()
}

/// `_exit(0)`: no destructors, no atexit handlers, no flushing of the parent's buffers.
#[inline(always)]
fn exit_child() -> ! {
    raw::exit_group(0)
}

fn block_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data, filled by sigfillset; the old mask is written by the
    // kernel into `old`.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        old
    }
}

fn restore_signals(old: &libc::sigset_t) {
    // SAFETY: `old` is the mask pthread_sigmask returned.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut()) };
}
