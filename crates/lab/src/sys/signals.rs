//! Signals: dispositions, the blocked mask, the pending set, the alternate signal stack.
//!
//! Readers use the raw `rt_sig*` and `sigaltstack` system calls with the kernel's own
//! structures, so a `CLONE_VM` child may call them. Setters use glibc and run only in
//! processes of their own.

use super::errno::{cvt, errno};
use serde::{Deserialize, Serialize};
use std::io;

/// What a signal does when it is delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// `SIG_DFL`.
    #[default]
    Default,
    /// `SIG_IGN`.
    Ignore,
    /// A handler function.
    Handler,
}

impl std::fmt::Display for Disposition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Disposition::Default => "SIG_DFL",
            Disposition::Ignore => "SIG_IGN",
            Disposition::Handler => "a handler",
        })
    }
}

/// The kernel's `struct sigaction` (x86-64 and the generic layout: handler first).
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: libc::c_ulong,
    restorer: usize,
    mask: u64,
}

/// The kernel's signal set is 64 bits on Linux.
const SIGSET_SIZE: usize = 8;

fn bit(sig: i32) -> u64 {
    1u64 << ((sig - 1) & 63)
}

/// The disposition of `sig` (raw `rt_sigaction`), `None` if the kernel refuses the query.
pub(crate) fn disposition(sig: i32) -> Option<Disposition> {
    let mut old = KernelSigaction {
        handler: 0,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    let null = std::ptr::null::<KernelSigaction>();
    // SAFETY: a query (no new action) into a live struct of the kernel's layout and size.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            sig,
            null,
            &mut old as *mut KernelSigaction,
            SIGSET_SIZE,
        )
    };
    (ret == 0).then_some(match old.handler {
        h if h == libc::SIG_DFL => Disposition::Default,
        h if h == libc::SIG_IGN => Disposition::Ignore,
        _ => Disposition::Handler,
    })
}

/// Whether `sig` is in the calling thread's blocked mask (raw `rt_sigprocmask`).
pub(crate) fn is_blocked(sig: i32) -> Option<bool> {
    let mut old: u64 = 0;
    let null = std::ptr::null::<u64>();
    // SAFETY: SIG_BLOCK with a null new set only reads the mask into `old` (8 bytes).
    let ret = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            null,
            &mut old as *mut u64,
            SIGSET_SIZE,
        )
    };
    (ret == 0).then_some(old & bit(sig) != 0)
}

/// Whether `sig` is pending for the calling thread or its process (raw `rt_sigpending`).
pub(crate) fn is_pending(sig: i32) -> Option<bool> {
    let mut set: u64 = 0;
    // SAFETY: writes 8 bytes into `set`.
    let ret = unsafe { libc::syscall(libc::SYS_rt_sigpending, &mut set as *mut u64, SIGSET_SIZE) };
    (ret == 0).then_some(set & bit(sig) != 0)
}

extern "C" fn do_nothing(_: libc::c_int) {}

/// Installs a handler that does nothing (it touches no memory, so it is harmless in a
/// `CLONE_VM` child too).
pub(crate) fn install_noop_handler(sig: i32) -> io::Result<()> {
    set_action(sig, do_nothing as *const () as libc::sighandler_t)
}

/// Sets `sig` to `SIG_IGN`.
pub(crate) fn ignore(sig: i32) -> io::Result<()> {
    set_action(sig, libc::SIG_IGN)
}

fn set_action(sig: i32, handler: libc::sighandler_t) -> io::Result<()> {
    // SAFETY: an all-zero sigaction is valid (empty mask, no flags); the handler is SIG_IGN or
    // an `extern "C"` function that lives for the whole program.
    let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
    act.sa_sigaction = handler;
    // SAFETY: installing a fully initialised action; the old one is not wanted.
    cvt(unsafe { libc::sigaction(sig, &act, std::ptr::null_mut()) } as libc::c_long)?;
    Ok(())
}

/// Adds `sig` to the calling thread's blocked mask.
pub(crate) fn block(sig: i32) -> io::Result<()> {
    // SAFETY: sigset_t is plain data, initialised by sigemptyset before use.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid sigset_t; `sig` is a valid signal number.
    let ret = unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut())
    };
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(ret))
    }
}

/// Sends `sig` to the calling process (process-directed, so it stays pending while every
/// thread blocks it).
pub(crate) fn raise_in_process(sig: i32) -> io::Result<()> {
    // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
    cvt(unsafe { libc::kill(libc::getpid(), sig) } as libc::c_long)?;
    Ok(())
}

/// An alternate signal stack as `sigaltstack(2)` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AltStack {
    /// Its lowest address.
    pub sp: u64,
    /// Its size in bytes.
    pub size: u64,
    /// `SS_DISABLE`: no alternate stack is installed.
    pub disabled: bool,
}

impl std::fmt::Display for AltStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.disabled {
            true => f.write_str("none"),
            false => write!(f, "{} bytes at {:#x}", self.size, self.sp),
        }
    }
}

/// The calling thread's alternate signal stack (raw `sigaltstack`).
pub(crate) fn altstack() -> Option<AltStack> {
    let mut old = libc::stack_t {
        ss_sp: std::ptr::null_mut(),
        ss_flags: 0,
        ss_size: 0,
    };
    let null = std::ptr::null::<libc::stack_t>();
    // SAFETY: a query (null new stack) into a live stack_t.
    let ret = unsafe { libc::syscall(libc::SYS_sigaltstack, null, &mut old as *mut libc::stack_t) };
    (ret == 0).then_some(AltStack {
        sp: old.ss_sp as u64,
        size: old.ss_size as u64,
        disabled: old.ss_flags & libc::SS_DISABLE != 0,
    })
}

/// Installs a new alternate signal stack of `size` bytes, leaked so that it stays valid for
/// the life of the process, and returns it.
pub(crate) fn install_altstack(size: usize) -> io::Result<AltStack> {
    let memory: &'static mut [u8] = Box::leak(vec![0u8; size].into_boxed_slice());
    let new = libc::stack_t {
        ss_sp: memory.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: size,
    };
    // SAFETY: the stack memory is leaked (lives forever) and `size` bytes long.
    cvt(unsafe { libc::sigaltstack(&new, std::ptr::null_mut()) } as libc::c_long)?;
    altstack().ok_or_else(|| io::Error::from_raw_os_error(errno()))
}
