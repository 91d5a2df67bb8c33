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

#[cfg(test)]
mod tests {
    //! The signal state a child starts with, per strategy. These change the test thread's mask
    //! and process-wide dispositions, so they live in one test and restore what they change.
    use super::*;
    use crate::{Command, Stdio, Strategy};

    fn child_mask(field: &str, strategy: Strategy, edit: impl FnOnce(&mut Command)) -> u64 {
        let mut cmd = Command::new("/bin/cat");
        cmd.arg("/proc/self/status")
            .stdout(Stdio::piped())
            .strategy(strategy);
        edit(&mut cmd);
        let out = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        let line = out.lines().find(|l| l.starts_with(field)).unwrap();
        u64::from_str_radix(line[field.len() + 1..].trim(), 16).unwrap()
    }

    fn bit(sig: i32) -> u64 {
        1 << (sig - 1)
    }

    #[test]
    fn mask_and_ignored_signals_are_inherited_unless_reset() {
        let blocked = set_of(libc::SIGUSR1);
        let mut old = empty_set();
        // SAFETY: valid sets; only this test thread's mask changes, restored below.
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &blocked, &mut old) };
        // SAFETY: SIG_IGN for SIGUSR2 is harmless for every other test; restored below.
        let previous = unsafe { libc::signal(libc::SIGUSR2, libc::SIG_IGN) };
        for strategy in Strategy::ALL {
            let usr1 = bit(libc::SIGUSR1);
            assert_eq!(
                child_mask("SigBlk", strategy, |_| {}) & usr1,
                usr1,
                "{strategy}"
            );
            assert_eq!(
                child_mask("SigBlk", strategy, |c| {
                    c.reset_signal_mask(true);
                }),
                0,
                "{strategy}"
            );
            let usr2 = bit(libc::SIGUSR2);
            assert_eq!(
                child_mask("SigIgn", strategy, |_| {}) & usr2,
                usr2,
                "{strategy}"
            );
            let reset = child_mask("SigIgn", strategy, |c| {
                c.reset_signal_dispositions(true);
            });
            // glibc's posix_spawn leaves the two signals it reserves (32, 33) alone, so an
            // inherited "ignored" on those survives; our own children reset them too.
            let glibc_reserved = if strategy == Strategy::PosixSpawn {
                bit(32) | bit(33)
            } else {
                0
            };
            assert_eq!(reset & !glibc_reserved, 0, "{strategy}");
        }
        // SAFETY: restoring what was saved above.
        unsafe {
            libc::signal(libc::SIGUSR2, previous);
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        }
    }
}
