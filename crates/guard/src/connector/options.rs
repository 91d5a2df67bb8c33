//! How to open the connector: the receive buffer, and which events to ask the kernel for.

use std::time::Duration;

use serde::Serialize;

use super::wire;

/// A set of event kinds to subscribe to (the `event_type` bits of Linux 6.6's
/// `struct proc_input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct EventSet(u32);

impl EventSet {
    /// Forks, process and thread creation.
    pub const FORK: EventSet = EventSet(wire::what::FORK);
    /// Successful execs.
    pub const EXEC: EventSet = EventSet(wire::what::EXEC);
    /// User id changes.
    pub const UID: EventSet = EventSet(wire::what::UID);
    /// Group id changes.
    pub const GID: EventSet = EventSet(wire::what::GID);
    /// New sessions.
    pub const SID: EventSet = EventSet(wire::what::SID);
    /// ptrace attach and detach.
    pub const PTRACE: EventSet = EventSet(wire::what::PTRACE);
    /// Task name changes.
    pub const COMM: EventSet = EventSet(wire::what::COMM);
    /// Core dumps.
    pub const COREDUMP: EventSet = EventSet(wire::what::COREDUMP);
    /// Every exit.
    pub const EXIT: EventSet = EventSet(wire::what::EXIT);
    /// Every kind: no filter is sent, which works on every kernel.
    pub const ALL: EventSet = EventSet(
        wire::what::FORK
            | wire::what::EXEC
            | wire::what::UID
            | wire::what::GID
            | wire::what::SID
            | wire::what::PTRACE
            | wire::what::COMM
            | wire::what::NONZERO_EXIT
            | wire::what::COREDUMP
            | wire::what::EXIT,
    );
    /// What the guard needs: forks, execs, uid changes and exits.
    pub const GUARD: EventSet =
        EventSet(wire::what::FORK | wire::what::EXEC | wire::what::UID | wire::what::EXIT);

    /// The raw `enum proc_cn_event` bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every kind in `other` is in `self`.
    pub const fn contains(self, other: EventSet) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for EventSet {
    type Output = EventSet;
    fn bitor(self, other: EventSet) -> EventSet {
        EventSet(self.0 | other.0)
    }
}

/// How to open the connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The socket receive buffer to ask for, in bytes (`SO_RCVBUFFORCE`, or `SO_RCVBUF` up to
    /// `net.core.rmem_max` without `CAP_NET_ADMIN`; the kernel doubles it for bookkeeping).
    /// The queue holds about one event per 830 bytes of the doubled size: measured on
    /// Linux 6.18, the default (8 MiB, granted 16 MiB) held 20,164 events before `ENOBUFS`,
    /// about 1.5 s of a fork+exit bomb on two cores.
    pub receive_buffer: usize,
    /// The events to ask for. Anything but [`EventSet::ALL`] sends Linux 6.6's filter, which
    /// older kernels ignore: the caller must still expect (and may skip) other kinds.
    pub events: EventSet,
    /// How long to wait for the kernel's answer to the subscription.
    pub answer_timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            receive_buffer: 8 << 20,
            events: EventSet::GUARD,
            answer_timeout: Duration::from_secs(2),
        }
    }
}
