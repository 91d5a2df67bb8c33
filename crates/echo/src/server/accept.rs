//! `accept(2)` and what its errors mean for a server that must keep serving. Linux passes
//! some errors of the pending connection up through `accept` (accept(2), "Error handling"):
//! those, `ECONNABORTED` and `EINTR` only mean "try again"; running out of descriptors or
//! memory means "back off a moment and try again"; `EINVAL` means the listener was shut
//! down (how the pools are told to stop). Anything else is a bug or a broken socket.

use rustix::io::Errno;
use rustix::net::SocketFlags;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::tally::Tally;

/// How long a server waits after a failure that a moment may cure (`EAGAIN` from fork or
/// thread creation, `EMFILE` from accept) before trying again.
pub(crate) const BACKOFF: Duration = Duration::from_millis(100);

/// What one `accept` gave.
#[derive(Debug)]
pub(crate) enum Accepted {
    /// A client, its socket non-blocking and close-on-exec.
    Client(TcpStream),
    /// Nothing this time (no connection waiting, or one that died before it was taken).
    Again,
    /// Out of descriptors or memory: back off, then try again.
    Exhausted(io::Error),
    /// The listener was shut down: stop accepting.
    Stopped,
}

/// Accepts one connection from `listener`.
pub(crate) fn accept(listener: &TcpListener) -> io::Result<Accepted> {
    let flags = SocketFlags::CLOEXEC | SocketFlags::NONBLOCK;
    match rustix::net::accept_with(listener, flags) {
        Ok(fd) => Ok(Accepted::Client(TcpStream::from(fd))),
        Err(e) => classify(e),
    }
}

/// Accepts one client for a server that keeps serving: the client, or `None` — nothing
/// waiting, a connection that died first, a stopped listener, or a shortage of descriptors
/// or memory, which is logged, counted, and answered by setting `backoff` to [`BACKOFF`]
/// from now.
pub(crate) fn accept_or_back_off(
    listener: &TcpListener,
    tally: &Tally,
    backoff: &mut Option<Instant>,
) -> io::Result<Option<TcpStream>> {
    match accept(listener)? {
        Accepted::Client(conn) => Ok(Some(conn)),
        Accepted::Exhausted(e) => {
            tracing::warn!("accept failed (backing off): {e}");
            tally.retried();
            *backoff = Some(Instant::now() + BACKOFF);
            Ok(None)
        }
        Accepted::Again | Accepted::Stopped => Ok(None),
    }
}

/// What an `accept` error from elsewhere (tokio) means, as [`accept`] would sort it.
pub(crate) fn classify_io(e: io::Error) -> io::Result<Accepted> {
    match Errno::from_io_error(&e) {
        Some(errno) => classify(errno),
        None => Err(e),
    }
}

fn classify(e: Errno) -> io::Result<Accepted> {
    match e {
        Errno::INTR | Errno::AGAIN | Errno::CONNABORTED => Ok(Accepted::Again),
        // Errors of the new connection, passed up by Linux; and EPERM from a firewall rule.
        Errno::PROTO
        | Errno::NOPROTOOPT
        | Errno::HOSTDOWN
        | Errno::NONET
        | Errno::HOSTUNREACH
        | Errno::NETDOWN
        | Errno::NETUNREACH
        | Errno::OPNOTSUPP
        | Errno::PERM
        | Errno::TIMEDOUT => Ok(Accepted::Again),
        Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM => {
            Ok(Accepted::Exhausted(e.into()))
        }
        Errno::INVAL => Ok(Accepted::Stopped),
        e => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_sort_into_retry_back_off_stop_and_fatal() {
        assert!(matches!(classify(Errno::INTR), Ok(Accepted::Again)));
        assert!(matches!(classify(Errno::CONNABORTED), Ok(Accepted::Again)));
        assert!(matches!(classify(Errno::MFILE), Ok(Accepted::Exhausted(_))));
        assert!(matches!(classify(Errno::NFILE), Ok(Accepted::Exhausted(_))));
        assert!(matches!(classify(Errno::INVAL), Ok(Accepted::Stopped)));
        assert!(classify(Errno::BADF).is_err());
    }

    #[test]
    fn a_shut_down_listener_stops_a_blocked_accept() {
        use super::super::listener::{Accepting, listen};
        let listener = std::sync::Arc::new(
            listen("127.0.0.1:0".parse().unwrap(), Accepting::Blocking).unwrap(),
        );
        let theirs = listener.clone();
        let blocked = std::thread::spawn(move || accept(&theirs).unwrap());
        std::thread::sleep(Duration::from_millis(50));
        rustix::net::shutdown(&*listener, rustix::net::Shutdown::Read).unwrap();
        assert!(matches!(blocked.join().unwrap(), Accepted::Stopped));
    }
}
