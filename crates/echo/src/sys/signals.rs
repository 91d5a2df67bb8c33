//! Signal masks, `signalfd(2)`, and `SIG_IGN`/`SIG_DFL`: what a server needs to take `SIGCHLD`,
//! `SIGTERM` and `SIGINT` as readable events in its poll loop instead of in a handler, and
//! what a forked worker needs to start from a clean mask.
//!
//! Reading a signalfd needs no `unsafe` (it is a `read(2)` of plain bytes): that is in
//! `server::signals`.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{FromRawFd, OwnedFd};

/// A set of signals (`sigset_t`).
pub(crate) struct SigSet(libc::sigset_t);

impl SigSet {
    /// The empty set (`sigemptyset(3)`).
    pub(crate) fn empty() -> SigSet {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the whole set it is given; it cannot fail for a
        // valid pointer.
        unsafe { libc::sigemptyset(set.as_mut_ptr()) };
        // SAFETY: initialised just above.
        SigSet(unsafe { set.assume_init() })
    }

    /// The set of `signals` (`sigaddset(3)` each); a number out of range is `EINVAL`.
    pub(crate) fn of(signals: &[i32]) -> io::Result<SigSet> {
        let mut set = SigSet::empty();
        for &signal in signals {
            // SAFETY: `set.0` is an initialised sigset_t owned by this function.
            if unsafe { libc::sigaddset(&mut set.0, signal) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(set)
    }
}

/// `pthread_sigmask(SIG_BLOCK, set)`: adds `set` to the calling thread's mask (threads it
/// starts later inherit it). Returns the mask as it was.
pub(crate) fn block(set: &SigSet) -> io::Result<SigSet> {
    mask(libc::SIG_BLOCK, set)
}

/// `pthread_sigmask(SIG_SETMASK, set)`: replaces the calling thread's mask.
pub(crate) fn set_mask(set: &SigSet) -> io::Result<()> {
    mask(libc::SIG_SETMASK, set).map(drop)
}

fn mask(how: i32, set: &SigSet) -> io::Result<SigSet> {
    let mut old = SigSet::empty();
    // SAFETY: both pointers are to initialised sigset_t values that outlive the call.
    let rc = unsafe { libc::pthread_sigmask(how, &set.0, &mut old.0) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok(old)
}

/// `signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC)`: a descriptor that becomes readable when
/// one of `set` is pending (the signals must be blocked, or they are delivered as usual).
pub(crate) fn signalfd(set: &SigSet) -> io::Result<OwnedFd> {
    // SAFETY: `set.0` is an initialised sigset_t; -1 asks for a new descriptor.
    let fd = unsafe { libc::signalfd(-1, &set.0, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: signalfd returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `sigaction(signal, SIG_IGN)`.
pub(crate) fn ignore(signal: i32) -> io::Result<()> {
    disposition(signal, libc::SIG_IGN)
}

/// `sigaction(signal, SIG_DFL)`.
pub(crate) fn set_default(signal: i32) -> io::Result<()> {
    disposition(signal, libc::SIG_DFL)
}

fn disposition(signal: i32, handler: libc::sighandler_t) -> io::Result<()> {
    // SAFETY: a zeroed sigaction is a valid value (empty mask, no flags); SIG_IGN and
    // SIG_DFL install no handler, so no code of ours ever runs in signal context.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler;
    // SAFETY: `action` is initialised; the old action is not asked for (null).
    if unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
