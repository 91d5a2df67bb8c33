//! One client's conversation, the same for every model but `async` (which has a tokio twin
//! in `event_loop`): echo every byte back until the client half-closes (`read` returns 0),
//! then shut down our side and let the caller close.
//!
//! The socket is non-blocking; the conversation waits in `poll(2)`, never in `read` or
//! `write`, so that it can give up on a client idle for `idle` (nothing to read, or nothing
//! taken from a full send buffer: a client that never reads) and, once the `stop`
//! descriptor becomes readable, finish within the drain timeout. `EINTR` is retried;
//! `EPIPE` is an error here, never a signal (std sends with `MSG_NOSIGNAL`).

use super::poll;
use rustix::event::{PollFd, PollFlags};
use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

/// Bytes read (and written back) at a time.
const CHUNK: usize = 64 * 1024;

/// How often a conversation that never has to wait looks at the stop descriptor and the
/// drain deadline (a client streaming without pause never makes it `poll`).
const STOP_CHECK_EVERY: Duration = Duration::from_millis(20);

/// A descriptor that becomes readable when the server starts draining, and how long a
/// conversation may go on after that.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stop<'a> {
    /// The signalfd (iterative) or eventfd (thread pools) that says so.
    pub fd: BorrowedFd<'a>,
    /// The drain timeout.
    pub drain: Duration,
}

/// Why a conversation ended before the client half-closed.
#[derive(Debug)]
pub(crate) enum Ended {
    /// Neither sent nor took a byte for the idle timeout.
    Idle,
    /// Still going at the drain deadline.
    Drained,
    /// Reset by the client, or another socket error.
    Failed(io::Error),
}

impl fmt::Display for Ended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ended::Idle => f.write_str("idle too long"),
            Ended::Drained => f.write_str("cut off at the drain deadline"),
            Ended::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// Echoes `conn` (non-blocking) until the client half-closes. Returns the bytes echoed,
/// and why it ended early if it did.
pub(crate) fn converse(
    conn: &TcpStream,
    idle: Duration,
    stop: Option<Stop<'_>>,
) -> (u64, Option<Ended>) {
    let mut clock = Clock {
        idle,
        stop,
        deadline: None,
        checked: Instant::now(),
    };
    let mut buf = vec![0u8; CHUNK];
    let mut echoed = 0u64;
    loop {
        let n = match (&*conn).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => match clock.wait(conn, PollFlags::IN) {
                Ok(()) => continue,
                Err(ended) => return (echoed, Some(ended)),
            },
            Err(e) => return (echoed, Some(Ended::Failed(e))),
        };
        if let Err(ended) = write_all(conn, &buf[..n], &mut clock) {
            return (echoed, Some(ended));
        }
        echoed += n as u64;
        if let Err(ended) = clock.check() {
            return (echoed, Some(ended));
        }
    }
    // The client may be gone already (ENOTCONN): nothing is lost, it sent its last byte.
    let _ = conn.shutdown(Shutdown::Write);
    (echoed, None)
}

fn write_all(conn: &TcpStream, mut data: &[u8], clock: &mut Clock<'_>) -> Result<(), Ended> {
    while !data.is_empty() {
        match (&*conn).write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => clock.wait(conn, PollFlags::OUT)?,
            Err(e) => return Err(Ended::Failed(e)),
        }
    }
    Ok(())
}

/// The conversation's time limits: idle, and the drain deadline once `stop` fired.
struct Clock<'a> {
    idle: Duration,
    stop: Option<Stop<'a>>,
    deadline: Option<Instant>,
    /// When [`Clock::check`] last looked.
    checked: Instant,
}

impl Clock<'_> {
    /// For a conversation that has not had to wait: every [`STOP_CHECK_EVERY`], whether the
    /// stop came (then the drain deadline starts, at most that late) or the deadline passed.
    fn check(&mut self) -> Result<(), Ended> {
        if self.checked.elapsed() < STOP_CHECK_EVERY {
            return Ok(());
        }
        self.checked = Instant::now();
        if let Some(stop) = self.stop {
            let mut fds = [PollFd::from_borrowed_fd(stop.fd, PollFlags::IN)];
            if poll::poll(&mut fds, Some(Duration::ZERO)).map_err(Ended::Failed)? > 0 {
                self.draining();
            }
        }
        if poll::passed(self.deadline) {
            return Err(Ended::Drained);
        }
        Ok(())
    }

    /// The stop came: from now on only the drain deadline counts, not the descriptor.
    fn draining(&mut self) {
        let drain = self.stop.take().map_or(Duration::ZERO, |s| s.drain);
        tracing::debug!(?drain, "stop received: finishing this client");
        self.deadline = Some(Instant::now() + drain);
    }

    /// Waits until `conn` is ready for `events` (or has an error, which the next read or
    /// write reports), within the idle timeout and the drain deadline.
    fn wait(&mut self, conn: &TcpStream, events: PollFlags) -> Result<(), Ended> {
        loop {
            let drain_left = poll::until(self.deadline);
            if drain_left == Some(Duration::ZERO) {
                return Err(Ended::Drained);
            }
            let timeout = drain_left.map_or(self.idle, |d| d.min(self.idle));
            let stop = self.stop.map(|s| s.fd);
            let mut fds = [
                PollFd::new(conn, events),
                PollFd::from_borrowed_fd(stop.unwrap_or(conn.as_fd()), PollFlags::IN),
            ];
            let watched = if stop.is_some() { 2 } else { 1 };
            let ready = poll::poll(&mut fds[..watched], Some(timeout)).map_err(Ended::Failed)?;
            if ready == 0 {
                return Err(if poll::passed(self.deadline) {
                    Ended::Drained
                } else {
                    Ended::Idle
                });
            }
            if watched == 2 && !fds[1].revents().is_empty() {
                self.draining();
            }
            if !fds[0].revents().is_empty() {
                return Ok(());
            }
        }
    }
}
