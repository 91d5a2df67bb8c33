//! `poll(2)` with a `Duration` (or none: wait for ever), retried on `EINTR`, and the small
//! arithmetic of deadlines every loop needs (back-off, drain, idle).

use rustix::event::PollFd;
use rustix::time::Timespec;
use std::io;
use std::time::{Duration, Instant};

/// Waits until one of `fds` is ready or `timeout` passes; returns how many are ready (0 on
/// timeout). An interrupted wait is retried with what is left of the timeout.
pub(crate) fn poll(fds: &mut [PollFd<'_>], timeout: Option<Duration>) -> io::Result<usize> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let spec = left.map(timespec);
        match rustix::event::poll(fds, spec.as_ref()) {
            Err(rustix::io::Errno::INTR) => continue,
            result => return result.map_err(io::Error::from),
        }
    }
}

fn timespec(d: Duration) -> Timespec {
    Timespec::try_from(d).unwrap_or(Timespec {
        tv_sec: i64::MAX,
        tv_nsec: 0,
    })
}

/// The earliest of some deadlines, if any.
pub(crate) fn earliest(deadlines: impl IntoIterator<Item = Option<Instant>>) -> Option<Instant> {
    deadlines.into_iter().flatten().min()
}

/// How long until `deadline` (zero once it has passed); `None` for no deadline.
pub(crate) fn until(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()))
}

/// Whether `deadline` is set and has passed.
pub(crate) fn passed(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// Whether there is no back-off, or it is over.
pub(crate) fn free(backoff: Option<Instant>) -> bool {
    backoff.is_none_or(|d| Instant::now() >= d)
}

/// `deadline` if it is still ahead, `None` once it has passed: a back-off that is over
/// must not make every later wait return at once.
pub(crate) fn ahead(deadline: Option<Instant>) -> Option<Instant> {
    deadline.filter(|d| *d > Instant::now())
}
