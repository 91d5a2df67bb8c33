//! Signal masks around process creation.
//!
//! A child that shares the parent's memory must not run one of the parent's signal handlers
//! before it execs: the handler would write the parent's data from another process. So the
//! parent blocks every signal across the clone; the child resets handlers and installs the
//! mask the new program should start with.

use libc::sigset_t;
use std::io;

/// Every signal blocked in the calling thread until dropped; the old mask is restored then.
pub(crate) struct BlockedSignals {
    old: sigset_t,
}

impl BlockedSignals {
    pub(crate) fn block_all() -> io::Result<BlockedSignals> {
        let all = full_set();
        let mut old = empty_set();
        // SAFETY: both sets are valid; pthread_sigmask returns an error number, not -1.
        let ret = unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old) };
        if ret != 0 {
            return Err(io::Error::from_raw_os_error(ret));
        }
        Ok(BlockedSignals { old })
    }

    /// The mask the thread had before.
    pub(crate) fn old_mask(&self) -> sigset_t {
        self.old
    }
}

impl Drop for BlockedSignals {
    fn drop(&mut self) {
        // SAFETY: restoring a mask obtained from pthread_sigmask.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut()) };
    }
}

/// The empty signal set.
pub(crate) fn empty_set() -> sigset_t {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it fully.
    unsafe {
        let mut set: sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        set
    }
}

/// The set of every signal.
pub(crate) fn full_set() -> sigset_t {
    // SAFETY: as in `empty_set`.
    unsafe {
        let mut set: sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        set
    }
}

/// The set holding only `sig`.
pub(crate) fn set_of(sig: i32) -> sigset_t {
    let mut set = empty_set();
    // SAFETY: `set` is initialised; an invalid number only makes sigaddset fail.
    unsafe { libc::sigaddset(&mut set, sig) };
    set
}
