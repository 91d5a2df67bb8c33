//! The kernel's netlink process connector: every fork, exec, uid change and exit on the
//! machine, as it happens. The fork-bomb guard is built on it.
//!
//! [`Connector::open`] subscribes (`PROC_CN_MCAST_LISTEN` to `CN_IDX_PROC` over a
//! `NETLINK_CONNECTOR` socket) and waits for the kernel's answer, so a machine where the
//! connector cannot work (no `CONFIG_PROC_EVENTS`, a container's namespaces, no privilege)
//! fails there, with an error that says which. [`Connector::recv_timeout`] returns decoded
//! [`Event`]s, or [`Received::Lost`] when the kernel dropped events because the receive
//! queue was full (`ENOBUFS`, which a fork bomb causes): the caller rescans `/proc` and goes
//! on. Only datagrams from the kernel (sender port 0) are decoded; others are counted and
//! dropped.
//!
//! Why the decoder is ours: rust-netlink's `netlink-packet-*` crates have no connector
//! messages; `cnproc` (last release 2020) reads bindgen structs and predates the 6.6 event
//! filter; `proc-connector` is young and single-maintainer. What the guard needs beyond
//! the byte layout — the kernel-only sender check, `ENOBUFS` as a value, the event filter
//! with a fallback, many datagrams per system call under a bomb — is most of the code, and
//! the layout itself is 76 fixed bytes. The decoder ([`decode`]) is pure, checks every
//! length, and is fuzzed (`crates/guard/fuzz`).
//!
//! Not here: deciding what is a bomb, reading `/proc`, killing anything.

mod decode;
mod error;
mod event;
mod options;
mod socket;
mod wire;

#[cfg(test)]
mod tests;

pub use decode::{Decode, DecodeError, decode};
pub use error::ConnectorError;
pub use event::{Event, EventKind, Pid};
pub use options::{EventSet, Options};

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use serde::Serialize;

use crate::sys::netlink::{Datagram, SLOT_LEN, SLOTS, receive_many};

/// What one receive brought.
#[derive(Debug, PartialEq, Eq)]
pub enum Received<'a> {
    /// Events, in the order the kernel queued them (never empty).
    Events(&'a [Event]),
    /// The receive queue overflowed (`ENOBUFS`): an unknown number of events was lost since
    /// the previous receive. Rescan `/proc`, then keep receiving.
    Lost,
    /// Nothing arrived in time.
    TimedOut,
}

/// Counters since [`Connector::open`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Datagrams received from the kernel.
    pub datagrams: u64,
    /// Events decoded (acks included).
    pub events: u64,
    /// Receive-queue overflows (`ENOBUFS`) reported as [`Received::Lost`].
    pub overflows: u64,
    /// Datagrams dropped because their sender was not the kernel (port 0).
    pub foreign: u64,
    /// Messages that failed to decode, and datagrams cut short by their slot.
    pub malformed: u64,
}

/// A subscription to the process connector. Dropping it unsubscribes
/// (`PROC_CN_MCAST_IGNORE`; the kernel keeps generating events for a socket closed without
/// it).
pub struct Connector {
    fd: OwnedFd,
    slots: Box<[u8; SLOTS * SLOT_LEN]>,
    events: Vec<Event>,
    stats: Stats,
    receive_buffer: usize,
    filter_sent: bool,
    mark: u32,
    /// `PROC_CN_MCAST_LISTEN` requests sent (without the filter's).
    listens: u32,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("fd", &self.fd)
            .field("stats", &self.stats)
            .field("receive_buffer", &self.receive_buffer)
            .field("filter_sent", &self.filter_sent)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// Opens a `NETLINK_CONNECTOR` socket bound to the `CN_IDX_PROC` group, sets its receive
    /// buffer, subscribes, and waits for the kernel's answer; then sends the event filter
    /// when `options.events` is not [`EventSet::ALL`]. Since Linux 6.6 any user may do this;
    /// before, only root (`CAP_NET_ADMIN`). Only processes in the initial user and pid
    /// namespaces get an answer: inside a container this fails with
    /// [`ConnectorError::Unavailable`] after `options.answer_timeout`.
    pub fn open(options: &Options) -> Result<Connector, ConnectorError> {
        let fd = rustix::net::socket_with(
            AddressFamily::NETLINK,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC,
            Some(netlink::CONNECTOR),
        )
        .map_err(|e| ConnectorError::from_io("open a NETLINK_CONNECTOR socket", e.into()))?;
        let receive_buffer = socket::set_receive_buffer(&fd, options.receive_buffer)?;
        rustix::net::bind(
            &fd,
            &SocketAddrNetlink::new(0, 1 << (wire::CN_IDX_PROC - 1)),
        )
        .map_err(|e| ConnectorError::from_io("join the CN_IDX_PROC group", e.into()))?;
        let mut connector = Connector {
            fd,
            slots: Box::new([0; SLOTS * SLOT_LEN]),
            events: Vec::with_capacity(SLOTS),
            stats: Stats::default(),
            receive_buffer,
            filter_sent: false,
            mark: socket::first_mark(),
            listens: 0,
        };
        connector.listen(options.answer_timeout)?;
        if options.events != EventSet::ALL {
            connector.send(wire::PROC_CN_MCAST_LISTEN, Some(options.events.bits()))?;
            connector.filter_sent = true;
        }
        connector.stats = Stats::default();
        Ok(connector)
    }

    /// Waits up to `timeout` for events. Returns [`Received::TimedOut`] when none came (or a
    /// signal interrupted the wait).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Received<'_>, ConnectorError> {
        self.recv_until(Some(Instant::now() + timeout))
    }

    /// Waits as long as it takes for events or a loss.
    pub fn recv(&mut self) -> Result<Received<'_>, ConnectorError> {
        self.recv_until(None)
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The receive buffer the kernel granted (`SO_RCVBUF` as read back: twice the request).
    pub fn receive_buffer(&self) -> usize {
        self.receive_buffer
    }

    /// Whether the 6.6 event filter was sent (the kernel may have ignored it; see
    /// [`Options::events`]).
    pub fn filter_sent(&self) -> bool {
        self.filter_sent
    }

    fn recv_until(&mut self, deadline: Option<Instant>) -> Result<Received<'_>, ConnectorError> {
        loop {
            if !socket::wait_readable(self.fd.as_fd(), deadline)? {
                return Ok(Received::TimedOut);
            }
            let mut datagrams = [Datagram::default(); SLOTS];
            let count = match receive_many(self.fd.as_fd(), &mut self.slots, &mut datagrams) {
                Ok(count) => count,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    self.stats.overflows += 1;
                    return Ok(Received::Lost);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => {
                    return Err(ConnectorError::Io {
                        step: "receive from the process connector",
                        source: e,
                    });
                }
            };
            self.decode_slots(&datagrams[..count]);
            if !self.events.is_empty() {
                return Ok(Received::Events(&self.events));
            }
        }
    }

    /// Decodes the received slots into `self.events`, counting what is dropped.
    fn decode_slots(&mut self, datagrams: &[Datagram]) {
        self.events.clear();
        for (datagram, slot) in datagrams.iter().zip(self.slots.chunks_exact(SLOT_LEN)) {
            if datagram.sender != Some(0) {
                self.stats.foreign += 1;
                continue;
            }
            self.stats.datagrams += 1;
            if datagram.truncated {
                self.stats.malformed += 1;
            }
            for decoded in decode(&slot[..datagram.len]) {
                match decoded {
                    Ok(event) => self.events.push(event),
                    Err(error) => {
                        self.stats.malformed += 1;
                        tracing::debug!(%error, "malformed process-connector message");
                    }
                }
            }
        }
        self.stats.events += self.events.len() as u64;
    }

    /// Sends `PROC_CN_MCAST_LISTEN` and waits for the kernel's ack to it. When the queue
    /// overflows meanwhile (a small buffer on a busy machine) the ack may be lost: the request
    /// is sent again, a few times at most.
    fn listen(&mut self, timeout: Duration) -> Result<(), ConnectorError> {
        const ATTEMPTS: u32 = 4;
        let mut mark = self.send(wire::PROC_CN_MCAST_LISTEN, None)?;
        self.listens = 1;
        let mut deadline = Instant::now() + timeout;
        loop {
            let retry = self.listens < ATTEMPTS;
            let received = match self.recv_until(Some(deadline))? {
                Received::Events(events) => events,
                Received::Lost if retry => {
                    mark = self.send(wire::PROC_CN_MCAST_LISTEN, None)?;
                    self.listens += 1;
                    deadline = Instant::now() + timeout;
                    continue;
                }
                Received::Lost => continue,
                Received::TimedOut => return Err(socket::no_answer(timeout)),
            };
            let answer = received.iter().find_map(|event| match event.kind {
                EventKind::Ack { err, ack } if ack == mark.wrapping_add(1) => Some(err),
                _ => None,
            });
            match answer {
                Some(0) => return Ok(()),
                Some(err) => return Err(refusal(err)),
                None => continue,
            }
        }
    }

    /// Sends a subscription request; returns the mark in its `ack` field (the kernel's
    /// answer carries the mark plus one).
    fn send(&mut self, op: u32, events: Option<u32>) -> Result<u32, ConnectorError> {
        let mark = self.mark;
        self.mark = self.mark.wrapping_add(2);
        let request = wire::subscription(op, events, mark, mark);
        rustix::net::sendto(
            &self.fd,
            &request,
            rustix::net::SendFlags::empty(),
            &SocketAddrNetlink::new(0, 0),
        )
        .map_err(|e| {
            ConnectorError::from_io("send a request to the process connector", e.into())
        })?;
        Ok(mark)
    }
}

impl AsFd for Connector {
    /// The socket, to wait on with `poll(2)` beside other descriptors; read it with
    /// [`Connector::recv_timeout`] (with a zero timeout once it is readable).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        // Before Linux 6.6 the kernel counts every LISTEN and uncounts every IGNORE, whatever
        // the socket; since, only the first of each counts. One IGNORE per LISTEN is right
        // for both.
        for _ in 0..self.listens {
            let _ = self.send(wire::PROC_CN_MCAST_IGNORE, None);
        }
    }
}

/// The error for a subscription the kernel answered with `err`.
fn refusal(err: u32) -> ConnectorError {
    let error = io::Error::from_raw_os_error(err as i32);
    match err as i32 {
        libc::EPERM => ConnectorError::NotPermitted {
            step: "subscribe to process events",
            source: error,
        },
        _ => ConnectorError::Refused(error),
    }
}
