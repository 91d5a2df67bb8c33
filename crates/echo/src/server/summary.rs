//! What a server did, returned when it has drained: the values `forklab echo serve` prints
//! on stderr at exit.

use super::Model;
use serde::Serialize;

/// What a server did between listening and returning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServeSummary {
    /// The design that ran.
    pub model: Model,
    /// Conversations begun (connections accepted and served).
    pub clients: u64,
    /// Conversations that ended as they should: the client half-closed and everything it
    /// sent was echoed.
    pub completed: u64,
    /// Conversations dropped: idle too long, reset by the client, or an I/O error.
    pub dropped: u64,
    /// Conversations cut off at the drain deadline (threads), or workers killed there
    /// (processes).
    pub cut_at_drain: u64,
    /// Bytes echoed, in all.
    pub bytes: u64,
    /// The most conversations going on at once.
    pub peak_concurrent: u64,
    /// Processes forked or threads started.
    pub workers_created: u64,
    /// Failures survived by backing off: fork or thread creation (`EAGAIN`), accept
    /// (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`).
    pub retried: u64,
}
