//! `SIGCHLD`, `SIGTERM` and `SIGINT` as a descriptor to poll: the signals are blocked and
//! read from a signalfd, so the servers' loops see them as events, with no handler and no
//! flag to race against. Blocking happens before any thread is started (threads inherit the
//! mask), so the process-directed signals reach no thread and wait in the signalfd.

use crate::sys::signals::{self as sys, SigSet};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// What the process models' parents block: a child ended, or stop.
pub(crate) const PARENT: [i32; 3] = [libc::SIGCHLD, libc::SIGTERM, libc::SIGINT];
/// What the single-process models block: stop.
pub(crate) const STOP: [i32; 2] = [libc::SIGTERM, libc::SIGINT];

/// `struct signalfd_siginfo`: 128 bytes, the signal number first.
const SIGINFO: usize = std::mem::size_of::<libc::signalfd_siginfo>();

/// Signals blocked and read from a signalfd; the mask is put back on drop.
pub(crate) struct Signals {
    fd: OwnedFd,
    previous: SigSet,
}

/// What arrived since the last look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Received {
    /// `SIGCHLD`: reap.
    pub child: bool,
    /// `SIGTERM` or `SIGINT`: stop accepting and drain.
    pub stop: bool,
}

impl Signals {
    /// Blocks `signals` in the calling thread and opens a signalfd for them. `SIGCHLD`'s
    /// disposition is set to the default first: inherited as `SIG_IGN`, children would be
    /// reaped by the kernel without a signal, and the server could not count them.
    pub(crate) fn block(signals: &[i32]) -> io::Result<Signals> {
        if signals.contains(&libc::SIGCHLD) {
            sys::set_default(libc::SIGCHLD)?;
        }
        let set = SigSet::of(signals)?;
        let fd = sys::signalfd(&set)?;
        let previous = sys::block(&set)?;
        Ok(Signals { fd, previous })
    }

    /// Reads every pending signal.
    pub(crate) fn take(&self) -> io::Result<Received> {
        let mut received = Received::default();
        let mut buf = [0u8; SIGINFO * 16];
        loop {
            let n = match rustix::io::read(&self.fd, &mut buf) {
                Ok(n) => n,
                Err(rustix::io::Errno::INTR) => continue,
                Err(rustix::io::Errno::AGAIN) => return Ok(received),
                Err(e) => return Err(e.into()),
            };
            for info in buf[..n].chunks_exact(SIGINFO) {
                let signo = u32::from_ne_bytes([info[0], info[1], info[2], info[3]]) as i32;
                match signo {
                    libc::SIGCHLD => received.child = true,
                    _ => received.stop = true,
                }
            }
            if n < buf.len() {
                return Ok(received);
            }
        }
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        // Consume what is pending first: a SIGTERM left pending would be delivered with its
        // default action (death) the moment the mask is put back.
        let _ = self.take();
        let _ = sys::set_mask(&self.previous);
    }
}
