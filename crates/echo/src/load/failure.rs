//! Why a connection failed, sorted into the kinds the report counts: the server refused it,
//! reset it, ended the echo early, echoed something else, stopped answering, or anything else.
//!
//! A failure is a result of the run, not an error of the generator: the run goes on and the
//! report counts each kind, with the first message of each as an example.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::io;

/// The kinds of failure the report counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// `connect` was refused (`ECONNREFUSED`): nothing listening (a full backlog is not
    /// refused by default: Linux drops the SYN and the client retries, which shows as
    /// latency, or as a timeout; only with `net.ipv4.tcp_abort_on_overflow` is it reset).
    Refused,
    /// The connection was reset (`ECONNRESET`, `ECONNABORTED`, `EPIPE` on a write, `ENOTCONN`
    /// once it is gone).
    Reset,
    /// The server closed its side before the whole echo came back.
    ShortEcho,
    /// The echo differs from what was sent (a changed byte, or more bytes than were sent).
    Mismatch,
    /// A connect, read or write made no progress within the timeout.
    Timeout,
    /// Anything else (no route, no ephemeral port or descriptor left, …).
    Other,
}

impl FailureKind {
    /// Every kind, in the report's order.
    pub const ALL: [FailureKind; 6] = [
        FailureKind::Refused,
        FailureKind::Reset,
        FailureKind::ShortEcho,
        FailureKind::Mismatch,
        FailureKind::Timeout,
        FailureKind::Other,
    ];

    /// The name in the report: `refused`, `reset`, `short_echo`, `mismatch`, `timeout`,
    /// `other`.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Refused => "refused",
            FailureKind::Reset => "reset",
            FailureKind::ShortEcho => "short_echo",
            FailureKind::Mismatch => "mismatch",
            FailureKind::Timeout => "timeout",
            FailureKind::Other => "other",
        }
    }

    /// The kind of an I/O error.
    pub(crate) fn of(e: &io::Error) -> FailureKind {
        match e.kind() {
            io::ErrorKind::ConnectionRefused => FailureKind::Refused,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::NotConnected => FailureKind::Reset,
            io::ErrorKind::TimedOut => FailureKind::Timeout,
            _ => FailureKind::Other,
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The step of a connection that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Binding the local address before connecting.
    Bind(std::net::SocketAddr),
    Connect,
    Write,
    Read,
    Shutdown,
    /// Waiting for the end-of-file after the half-close.
    Eof,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Bind(source) => write!(f, "bind {source}"),
            Step::Connect => f.write_str("connect"),
            Step::Write => f.write_str("write"),
            Step::Read => f.write_str("read"),
            Step::Shutdown => f.write_str("shutdown"),
            Step::Eof => f.write_str("waiting for end-of-file"),
        }
    }
}

/// One failed connection: its kind and what happened, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl Failure {
    /// An I/O error at `step`.
    pub(crate) fn io(step: Step, e: &io::Error) -> Failure {
        Failure {
            kind: FailureKind::of(e),
            message: format!("{step}: {e}"),
        }
    }

    /// No progress at `step` within the timeout.
    pub(crate) fn timeout(step: Step, after: std::time::Duration) -> Failure {
        Failure {
            kind: FailureKind::Timeout,
            message: format!("{step}: no progress in {after:?}"),
        }
    }

    /// A failure of `kind` described by `message`.
    pub(crate) fn new(kind: FailureKind, message: String) -> Failure {
        Failure { kind, message }
    }
}

#[cfg(test)]
mod tests {
    use super::{Failure, FailureKind, Step};
    use std::io;

    #[test]
    fn io_errors_sort_into_kinds() {
        let kind = |errno| FailureKind::of(&io::Error::from_raw_os_error(errno));
        assert_eq!(kind(libc::ECONNREFUSED), FailureKind::Refused);
        assert_eq!(kind(libc::ECONNRESET), FailureKind::Reset);
        assert_eq!(kind(libc::ECONNABORTED), FailureKind::Reset);
        assert_eq!(kind(libc::EPIPE), FailureKind::Reset);
        assert_eq!(kind(libc::ENOTCONN), FailureKind::Reset);
        assert_eq!(kind(libc::ETIMEDOUT), FailureKind::Timeout);
        assert_eq!(kind(libc::EADDRNOTAVAIL), FailureKind::Other);
        assert_eq!(kind(libc::EMFILE), FailureKind::Other);
    }

    #[test]
    fn messages_name_the_step() {
        let e = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        let failure = Failure::io(Step::Connect, &e);
        assert!(failure.message.starts_with("connect: Connection refused"));
        let t = Failure::timeout(Step::Eof, std::time::Duration::from_millis(200));
        assert_eq!(t.message, "waiting for end-of-file: no progress in 200ms");
    }

    #[test]
    fn names_are_the_report_fields() {
        let names: Vec<_> = FailureKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(
            names,
            [
                "refused",
                "reset",
                "short_echo",
                "mismatch",
                "timeout",
                "other"
            ]
        );
    }
}
