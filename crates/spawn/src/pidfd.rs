//! An owned process file descriptor: a handle that names one process for good.
//!
//! Unlike a pid, a pidfd cannot come to mean another process once its own has been reaped:
//! signals sent through it then fail with `ESRCH` instead of reaching a stranger. This is
//! the type std's unstable `std::os::linux::process::PidFd` describes, with the same
//! `kill`, `wait` and `try_wait`, plus [`PidFd::send_signal`] for any signal.

use crate::{Signal, WaitStatus, sys};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};

/// A pidfd (Linux 5.3), from [`crate::Child::pidfd`] or [`crate::Child::into_pidfd`].
#[derive(Debug)]
pub struct PidFd(OwnedFd);

impl PidFd {
    /// Sends `SIGKILL` (as std's `PidFd::kill`).
    pub fn kill(&self) -> io::Result<()> {
        self.send_signal(Signal::KILL)
    }

    /// `pidfd_send_signal(2)`: sends `signal` to this process and no other; `ESRCH` once it
    /// has been reaped.
    pub fn send_signal(&self, signal: Signal) -> io::Result<()> {
        sys::wait::pidfd_send_signal(self.0.as_fd(), signal.as_raw())
    }

    /// `waitid(P_PIDFD, fd, WEXITED)` (Linux 5.4): waits for the process to end and reaps
    /// it. Only its parent may do so (`ECHILD` otherwise, or once it has been reaped).
    pub fn wait(&self) -> io::Result<WaitStatus> {
        let status = sys::wait::wait_pidfd(self.0.as_fd(), false)?;
        Ok(status.expect("a blocking wait returns a status"))
    }

    /// The status if the process has ended (reaping it), without blocking.
    pub fn try_wait(&self) -> io::Result<Option<WaitStatus>> {
        sys::wait::wait_pidfd(self.0.as_fd(), true)
    }
}

impl From<OwnedFd> for PidFd {
    /// Takes a descriptor obtained elsewhere (`pidfd_open(2)`, `CLONE_PIDFD`); the methods
    /// fail with `EBADF` or `EINVAL` if it is no pidfd.
    fn from(fd: OwnedFd) -> PidFd {
        PidFd(fd)
    }
}

impl From<PidFd> for OwnedFd {
    fn from(pidfd: PidFd) -> OwnedFd {
        pidfd.0
    }
}

impl AsFd for PidFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for PidFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl IntoRawFd for PidFd {
    fn into_raw_fd(self) -> RawFd {
        self.0.into_raw_fd()
    }
}
