//! The listening socket, made by hand rather than with `TcpListener::bind` so that every
//! property the server relies on is stated here: close-on-exec from birth, `SO_REUSEADDR`
//! (a restart does not wait for old connections in `TIME_WAIT`), a backlog deep enough for
//! the clients that wait while the server is at `--max-clients`, and blocking or not.

use super::Error;
use rustix::net::{AddressFamily, SocketFlags, SocketType, sockopt};
use std::net::{SocketAddr, TcpListener};

/// Connections the kernel queues before `accept` (it caps this at `net.core.somaxconn`).
const BACKLOG: i32 = 1024;

/// Whether `accept` on the listener waits for a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accepting {
    /// The server polls the listener and accepts only when it is readable
    /// (`O_NONBLOCK`: `accept` never waits).
    Polled,
    /// Workers block in `accept` (the prefork and prethread pools).
    Blocking,
}

/// A TCP socket listening on `addr`, IPv4 or IPv6 as the address says.
pub(crate) fn listen(addr: SocketAddr, accepting: Accepting) -> Result<TcpListener, Error> {
    let error = |e: rustix::io::Errno| Error::Listen {
        addr,
        error: e.into(),
    };
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    };
    let mut flags = SocketFlags::CLOEXEC;
    if accepting == Accepting::Polled {
        flags |= SocketFlags::NONBLOCK;
    }
    let fd = rustix::net::socket_with(family, SocketType::STREAM, flags, None).map_err(error)?;
    sockopt::set_socket_reuseaddr(&fd, true).map_err(error)?;
    rustix::net::bind(&fd, &addr).map_err(error)?;
    rustix::net::listen(&fd, BACKLOG).map_err(error)?;
    Ok(TcpListener::from(fd))
}

/// What a server whose own thread takes `SIGTERM`/`SIGINT` starts with (iterative and the
/// thread models): the listener, the address it got (the port the kernel chose for port 0),
/// and the stop signals, blocked and readable.
pub(crate) fn listen_and_block_stop(
    addr: SocketAddr,
    accepting: Accepting,
) -> Result<(TcpListener, SocketAddr, super::signals::Signals), Error> {
    let listener = listen(addr, accepting)?;
    let addr = listener
        .local_addr()
        .map_err(Error::system("read the bound address"))?;
    let signals = super::signals::Signals::block(&super::signals::STOP)
        .map_err(Error::system("block signals"))?;
    Ok((listener, addr, signals))
}
