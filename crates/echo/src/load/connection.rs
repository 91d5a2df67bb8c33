//! One connection of the load: connect, R round trips of S bytes (each verified byte for
//! byte as it comes back, see [`round_trip`](super::round_trip)), half-close, expect
//! end-of-file, close. Every wait is bounded by the timeout: the connect, any stretch of a
//! round trip in which neither a read nor a write makes progress, the end-of-file.
//!
//! Against an IPv4 loopback server, connections come from 16 local addresses in turn
//! (127.0.0.1 to 127.0.0.16, bound before connecting). A client that closes first keeps each
//! connection's port in TIME_WAIT, and from one address a few thousand connections a second
//! leave the kernel searching the 28,000 ephemeral ports for a free one (or finding none):
//! measured here, the search cost a third of the connections per second. Elsewhere the kernel
//! picks the source as usual.
//!
//! What this module does not do: schedule connections or keep statistics.

use super::failure::{Failure, FailureKind, Step};
use super::payload::Payload;
use super::round_trip::round_trip;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

/// Reads ask for at most this much (fewer when a round trip is smaller).
const READ_BUF: usize = 256 * 1024;

/// Local addresses connections to an IPv4 loopback server come from, in turn.
pub(crate) const LOOPBACK_SOURCES: u8 = 16;

/// What every connection does.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub addr: SocketAddr,
    /// How many loopback addresses connections come from (0: the kernel chooses).
    pub sources: u8,
    /// Bytes per round trip.
    pub size: u64,
    /// Round trips per connection.
    pub requests: u64,
    /// Bound on each connect and on each wait for a read or write.
    pub timeout: Duration,
    /// Wait for echoes by polling the socket rather than sleeping.
    pub busy_poll: bool,
}

/// How long a connection took, from its start (scheduled or actual).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    /// Until the first echoed byte.
    pub first_byte: Duration,
    /// Until the end-of-file after the half-close.
    pub whole: Duration,
}

/// What a connection reuses from the one before on the same worker.
pub(crate) struct Buffers {
    pub payload: Payload,
    pub read: Vec<u8>,
}

impl Buffers {
    pub(crate) fn new(plan: &Plan, payload: Payload) -> Buffers {
        let read = usize::try_from(plan.size).map_or(READ_BUF, |s| s.min(READ_BUF));
        Buffers {
            payload,
            read: vec![0; read],
        }
    }
}

impl Plan {
    /// Where connections to `addr` come from: [`LOOPBACK_SOURCES`] addresses for an IPv4
    /// loopback server, else the kernel's choice (0).
    pub(crate) fn sources_for(addr: SocketAddr) -> u8 {
        if addr.ip().is_loopback() && addr.is_ipv4() {
            LOOPBACK_SOURCES
        } else {
            0
        }
    }

    /// The local address connection `index` binds to, if any.
    fn source(&self, index: u64) -> Option<SocketAddr> {
        let n = u64::from(self.sources);
        let host = u8::try_from(1 + index.checked_rem(n)?).ok()?;
        Some(SocketAddr::from(([127, 0, 0, host], 0)))
    }
}

/// Runs connection `index`, which started (or was scheduled to start) at `start`.
pub(crate) async fn run(
    plan: &Plan,
    buf: &mut Buffers,
    index: u64,
    start: Instant,
) -> Result<Timing, Failure> {
    let mut stream = connect(plan, index).await?;
    let mut first_byte = None;
    for round in 0..plan.requests {
        round_trip(&stream, plan, buf, round, &mut first_byte).await?;
    }
    half_close(&mut stream, plan, &mut buf.read).await?;
    let end = Instant::now();
    let first_byte = first_byte.unwrap_or(end);
    Ok(Timing {
        first_byte: first_byte.saturating_duration_since(start),
        whole: end.saturating_duration_since(start),
    })
}

async fn connect(plan: &Plan, index: u64) -> Result<TcpStream, Failure> {
    let socket = match plan.addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    };
    let socket = socket.map_err(|e| Failure::io(Step::Connect, &e))?;
    if let Some(source) = plan.source(index) {
        socket
            .bind(source)
            .map_err(|e| Failure::io(Step::Bind(source), &e))?;
    }
    let stream = tokio::time::timeout(plan.timeout, socket.connect(plan.addr))
        .await
        .map_err(|_| Failure::timeout(Step::Connect, plan.timeout))?
        .map_err(|e| Failure::io(Step::Connect, &e))?;
    // Each round trip is one request waiting for its answer: never hold a segment back.
    stream
        .set_nodelay(true)
        .map_err(|e| Failure::io(Step::Connect, &e))?;
    Ok(stream)
}

/// Shuts down the writing side, then expects end-of-file and nothing else.
async fn half_close(stream: &mut TcpStream, plan: &Plan, read: &mut [u8]) -> Result<(), Failure> {
    stream
        .shutdown()
        .await
        .map_err(|e| Failure::io(Step::Shutdown, &e))?;
    loop {
        match stream.try_read(read) {
            Ok(0) => return Ok(()),
            Ok(n) => return Err(extra(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(Failure::io(Step::Eof, &e)),
        }
        if tokio::time::timeout(plan.timeout, stream.readable())
            .await
            .is_err()
        {
            return Err(Failure::timeout(Step::Eof, plan.timeout));
        }
    }
}

fn extra(n: usize) -> Failure {
    let message = format!("{n} more bytes came back after the whole echo");
    Failure::new(FailureKind::Mismatch, message)
}

#[cfg(test)]
mod tests {
    use super::{LOOPBACK_SOURCES, Plan};
    use std::net::SocketAddr;
    use std::time::Duration;

    fn plan(addr: &str) -> Plan {
        let addr: SocketAddr = addr.parse().unwrap();
        Plan {
            addr,
            sources: Plan::sources_for(addr),
            size: 1,
            requests: 1,
            timeout: Duration::from_secs(1),
            busy_poll: false,
        }
    }

    #[test]
    fn ipv4_loopback_connections_come_from_16_addresses_in_turn() {
        let p = plan("127.0.0.1:7007");
        assert_eq!(p.sources, LOOPBACK_SOURCES);
        let source = |i| p.source(i).unwrap().to_string();
        assert_eq!(source(0), "127.0.0.1:0");
        assert_eq!(source(15), "127.0.0.16:0");
        assert_eq!(source(16), "127.0.0.1:0");
        assert_eq!(plan("127.8.9.10:7").sources, LOOPBACK_SOURCES);
    }

    #[test]
    fn elsewhere_the_kernel_chooses() {
        for addr in ["[::1]:7007", "192.0.2.1:7007", "[2001:db8::1]:80"] {
            let p = plan(addr);
            assert_eq!(p.sources, 0, "{addr}");
            assert_eq!(p.source(3), None, "{addr}");
        }
    }
}
