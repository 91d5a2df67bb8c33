//! Signals by number: the mask, `signalfd(2)`, sending (by pid, by group, to everyone, through
//! a pidfd), and the parent-death signal. Numbers, not an enum, so that the real-time
//! signals pass through like any other.

use super::check;
use std::io;
use std::mem::{MaybeUninit, size_of};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// A set of signals (`sigset_t`).
pub(crate) struct SigSet(libc::sigset_t);

/// The kernel's own `sigset_t`: one bit per signal, 64 signals (`_NSIG / 8` bytes), the size
/// `rt_sigprocmask(2)` and `signalfd4(2)` take.
const KERNEL_SIGSET: usize = 8;

impl SigSet {
    /// Every signal, the two real-time signals glibc keeps for itself (32 and 33, which
    /// `sigfillset(3)` leaves out and glibc's `sigprocmask` quietly drops) included: their
    /// default action would end init. The kernel ignores `SIGKILL` and `SIGSTOP` in any mask.
    pub(crate) fn full() -> SigSet {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: every byte of the set is written; all bits set is a valid sigset_t.
        unsafe { std::ptr::write_bytes(set.as_mut_ptr(), 0xff, 1) };
        // SAFETY: initialised just above.
        SigSet(unsafe { set.assume_init() })
    }
}

/// `rt_sigprocmask(SIG_BLOCK, set)`, the system call itself (glibc's wrapper would leave 32
/// and 33 unblocked): adds `set` to the calling thread's mask.
pub(crate) fn block(set: &SigSet) -> io::Result<()> {
    let null = std::ptr::null_mut::<libc::sigset_t>();
    // SAFETY: `set` is a valid sigset_t of at least KERNEL_SIGSET bytes; the old-mask pointer
    // may be null.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            &set.0,
            null,
            KERNEL_SIGSET,
        )
    };
    check(ret).map(drop)
}

/// Puts `sig`'s disposition back to the default (`SIG_DFL`, no flags). For `SIGCHLD`: an
/// ignored one (inherited across `execve`) makes the kernel reap children by itself and send
/// no `SIGCHLD`, so init would never learn that CMD ended.
pub(crate) fn default_disposition(sig: i32) -> io::Result<()> {
    // SAFETY: sigaction is plain data; zeroed is SIG_DFL with no flags and an empty mask.
    let action: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a valid sigaction; the old-action pointer may be null.
    let ret = unsafe { libc::sigaction(sig, &action, std::ptr::null_mut()) };
    check(ret.into()).map(drop)
}

/// `signalfd4(-1, set, SFD_CLOEXEC)`: a descriptor that reads the blocked signals of `set`.
pub(crate) fn signalfd(set: &SigSet) -> io::Result<OwnedFd> {
    // SAFETY: `set` is a valid sigset_t of at least KERNEL_SIGSET bytes; -1 asks for a new
    // descriptor.
    let fd = check(unsafe {
        libc::syscall(
            libc::SYS_signalfd4,
            -1,
            &set.0,
            KERNEL_SIGSET,
            libc::SFD_CLOEXEC,
        )
    })?;
    // SAFETY: signalfd returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// One `read(2)` on a signalfd (blocking until at least one signal is pending): appends each
/// signal taken, at most 16 per call, to `out`, as (number, sending pid: 0 for the kernel).
pub(crate) fn read_signals(fd: BorrowedFd<'_>, out: &mut Vec<(i32, u32)>) -> io::Result<()> {
    const BATCH: usize = 16;
    let mut infos = MaybeUninit::<[libc::signalfd_siginfo; BATCH]>::uninit();
    let size = size_of::<libc::signalfd_siginfo>();
    let len = loop {
        // SAFETY: the buffer holds BATCH structures; the kernel writes whole ones only.
        let ret = unsafe { libc::read(fd.as_raw_fd(), infos.as_mut_ptr().cast(), size * BATCH) };
        match check(ret as libc::c_long) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => break other? as usize,
        }
    };
    let first = infos.as_ptr().cast::<libc::signalfd_siginfo>();
    for i in 0..len / size {
        // SAFETY: the kernel filled the first `len / size` structures.
        let info = unsafe { &*first.add(i) };
        out.push((info.ssi_signo as i32, info.ssi_pid));
    }
    Ok(())
}

/// `kill(2)`: `pid` > 0 one process, `-pgid` a process group, `-1` every process the caller
/// may signal but itself (in a PID namespace: every process of the namespace but its init).
pub(crate) fn kill(pid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: kill(2) takes plain integers.
    check(unsafe { libc::kill(pid, sig) }.into()).map(drop)
}

/// `pidfd_open(2)` (Linux 5.3), close-on-exec.
pub(crate) fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open(2) takes a pid and flags (0: a blocking descriptor).
    let fd = check(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) })?;
    // SAFETY: a new descriptor that nothing else owns (pidfds are always close-on-exec).
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `pidfd_send_signal(2)`: `sig` (0 checks that the process is still there, a zombie counts)
/// to the process `fd` names and no other; `ESRCH` once it has been reaped.
pub(crate) fn pidfd_send_signal(fd: BorrowedFd<'_>, sig: i32) -> io::Result<()> {
    let null = std::ptr::null::<libc::siginfo_t>();
    // SAFETY: a borrowed (open) descriptor, a signal number, a null siginfo (as kill(2)
    // sends it) and flags 0.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_send_signal, fd.as_raw_fd(), sig, null, 0) };
    check(ret).map(drop)
}

/// `prctl(PR_SET_PDEATHSIG, sig)`: `sig` comes to this process when its parent thread ends.
pub(crate) fn set_parent_death_signal(sig: i32) -> io::Result<()> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number; the other arguments are unused.
    let ret = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) };
    check(ret.into()).map(drop)
}
