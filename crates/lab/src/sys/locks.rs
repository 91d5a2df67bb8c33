//! File locks on descriptors named by number: `fcntl(2)` record locks (owned by a process)
//! and `flock(2)` locks (owned by an open file description). Raw system calls throughout.

use super::errno::cvt;
use std::io;

fn record(kind: i16, start: u64) -> libc::flock {
    libc::flock {
        l_type: kind,
        l_whence: libc::SEEK_SET as i16,
        l_start: start as libc::off_t,
        l_len: 1,
        l_pid: 0,
    }
}

/// Takes a write lock on byte `start` of the file open as `fd` (`F_SETLK`, not waiting).
pub(crate) fn lock_byte(fd: i32, start: u64) -> io::Result<()> {
    let lock = record(libc::F_WRLCK as i16, start);
    // SAFETY: F_SETLK with a valid struct flock; a bad descriptor fails with EBADF.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_fcntl,
            fd,
            libc::F_SETLK,
            &lock as *const libc::flock,
        )
    })?;
    Ok(())
}

/// Who holds a lock that would conflict with a write lock on byte `start` (`F_GETLK`):
/// `Some(None)` nobody but possibly the caller, `Some(Some(pid))` that process.
pub(crate) fn conflicting_owner(fd: i32, start: u64) -> Option<Option<i32>> {
    let mut lock = record(libc::F_WRLCK as i16, start);
    // SAFETY: F_GETLK reads and rewrites a valid struct flock.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_fcntl,
            fd,
            libc::F_GETLK,
            &mut lock as *mut libc::flock,
        )
    };
    match ret {
        0 if lock.l_type == libc::F_UNLCK as i16 => Some(None),
        0 => Some(Some(lock.l_pid)),
        _ => None,
    }
}

/// `flock(fd, LOCK_EX|LOCK_NB)`: succeeds at once when this open file description already
/// holds the lock (or nobody does), fails with `EWOULDBLOCK` when another one holds it.
pub(crate) fn flock_try(fd: i32) -> io::Result<()> {
    // SAFETY: flock(2) on any number is harmless; a bad one fails with EBADF.
    cvt(unsafe { libc::syscall(libc::SYS_flock, fd, libc::LOCK_EX | libc::LOCK_NB) })?;
    Ok(())
}

/// `flock(fd, LOCK_UN)`: releases the lock of this open file description (for every
/// process sharing the description).
pub(crate) fn flock_release(fd: i32) -> io::Result<()> {
    // SAFETY: as above.
    cvt(unsafe { libc::syscall(libc::SYS_flock, fd, libc::LOCK_UN) })?;
    Ok(())
}
