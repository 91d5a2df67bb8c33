//! The lock a pool of children may take around `accept`, as UNP's `my_lock_wait` /
//! `my_lock_release` do: none (the kernel wakes one blocked `accept` per connection, so
//! Linux needs none), `flock(2)` on a temporary file, or a process-shared mutex.
//!
//! `flock` locks belong to an open file description, which `fork` shares: children that
//! inherited one descriptor would all hold the same lock. So each child gets a description
//! of its own, opened by the parent before the fork (`/proc/self/fd/N` opens the file
//! anew), where a failure is the parent's to report. The file itself is unlinked at once:
//! nothing is left behind, however the server ends.

use crate::sys::shared_mutex::SharedMutex;
use rustix::fs::{FlockOperation, Mode, OFlags};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

/// Which lock, as the model names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AcceptLock {
    /// `prefork`: children block in `accept` together.
    None,
    /// `prefork-flock`.
    Flock,
    /// `prefork-mutex`.
    Mutex,
}

/// The lock itself.
pub(crate) enum Lock {
    /// No lock.
    None,
    /// An open, unlinked temporary file (the parent's description, or a child's own).
    Flock(OwnedFd),
    /// A robust, process-shared mutex in shared memory.
    Mutex(SharedMutex),
}

impl Lock {
    /// Makes the lock `kind` names.
    pub(crate) fn new(kind: AcceptLock) -> io::Result<Lock> {
        Ok(match kind {
            AcceptLock::None => Lock::None,
            AcceptLock::Flock => Lock::Flock(temporary_file()?),
            AcceptLock::Mutex => Lock::Mutex(SharedMutex::new()?),
        })
    }

    /// What a child about to be forked needs of its own: a new open file description of
    /// the lock file for `flock`, nothing for the others.
    pub(crate) fn for_child(&self) -> io::Result<Option<OwnedFd>> {
        match self {
            Lock::Flock(file) => {
                let path = format!("/proc/self/fd/{}", file.as_raw_fd());
                Ok(Some(rustix::fs::open(
                    path,
                    OFlags::RDWR | OFlags::CLOEXEC,
                    Mode::empty(),
                )?))
            }
            _ => Ok(None),
        }
    }

    /// In the child: the lock it uses, from the parent's and its own description.
    pub(crate) fn into_child(self, own: Option<OwnedFd>) -> Lock {
        match (self, own) {
            (Lock::Flock(_parents), Some(own)) => Lock::Flock(own),
            (lock, _) => lock,
        }
    }

    /// Runs `f` holding the lock.
    pub(crate) fn around<R>(&self, f: impl FnOnce() -> R) -> io::Result<R> {
        match self {
            Lock::None => Ok(f()),
            Lock::Flock(file) => {
                flock(file, FlockOperation::LockExclusive)?;
                let result = f();
                flock(file, FlockOperation::Unlock)?;
                Ok(result)
            }
            Lock::Mutex(mutex) => {
                let _held = mutex.lock()?;
                Ok(f())
            }
        }
    }
}

/// `flock(2)`, retried on `EINTR`.
fn flock(file: &OwnedFd, operation: FlockOperation) -> io::Result<()> {
    loop {
        match rustix::fs::flock(file, operation) {
            Err(rustix::io::Errno::INTR) => continue,
            result => return result.map_err(io::Error::from),
        }
    }
}

/// A new file in the temporary directory, opened and unlinked.
fn temporary_file() -> io::Result<OwnedFd> {
    let dir = std::env::temp_dir();
    let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
    let pid = rustix::process::getpid().as_raw_pid();
    for attempt in 0..100u32 {
        let path = dir.join(format!("forklab-echo-lock.{pid}.{attempt}"));
        match rustix::fs::open(&path, flags, Mode::RUSR | Mode::WUSR) {
            Ok(fd) => {
                rustix::fs::unlink(&path)?;
                return Ok(fd);
            }
            Err(rustix::io::Errno::EXIST) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free name for a lock file",
    ))
}
