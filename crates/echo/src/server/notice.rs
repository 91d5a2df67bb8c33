//! An `eventfd(2)` used as a notice between the threads of one server: `raise` makes it
//! readable, so a `poll` anywhere sees it. The thread models use one as the stop notice
//! (raised once, readable for good: every conversation starts its drain clock) and one as
//! a wake-up for the main thread (a worker finished or became idle; `clear` reads it).

use rustix::event::EventfdFlags;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// A readable-or-not descriptor that threads raise and poll.
#[derive(Debug)]
pub(crate) struct Notice {
    fd: OwnedFd,
}

impl Notice {
    /// A new notice, not raised.
    pub(crate) fn new() -> io::Result<Notice> {
        let fd = rustix::event::eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        Ok(Notice { fd })
    }

    /// Makes the descriptor readable (until `clear`).
    pub(crate) fn raise(&self) {
        // Only fails if the counter would overflow, which leaves it readable anyway.
        let _ = rustix::io::write(&self.fd, &1u64.to_ne_bytes());
    }

    /// Makes it unreadable again.
    pub(crate) fn clear(&self) {
        let mut count = [0u8; 8];
        let _ = rustix::io::read(&self.fd, &mut count);
    }
}

impl AsFd for Notice {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
