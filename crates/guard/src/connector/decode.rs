//! The decoder: bytes of one received datagram in, [`Event`]s out. Pure, no system calls.
//!
//! Every length is checked before a field is read: the netlink header against what is left
//! of the datagram, the `cn_msg` data length against the netlink payload, and the event
//! union against what its `what` needs. A bad netlink length ends the datagram (the next
//! header cannot be found); any other fault spoils only its own message, and the iterator
//! goes on to the next one.

use super::event::{Event, EventKind, Pid};
use super::wire::{self, what};

/// Why (part of) a datagram could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than a header needs.
    #[error("truncated {part}: {have} bytes, {need} needed")]
    Truncated {
        /// Which header: `"netlink header"`, `"cn_msg"`, `"proc_event header"`.
        part: &'static str,
        /// Bytes it needs.
        need: usize,
        /// Bytes there were.
        have: usize,
    },
    /// `nlmsg_len` is shorter than its own header or longer than the rest of the datagram;
    /// the rest of the datagram is skipped.
    #[error("netlink message length {len} with {available} bytes left in the datagram")]
    NetlinkLength {
        /// `nlmsg_len`.
        len: u32,
        /// Bytes left in the datagram from this header on.
        available: usize,
    },
    /// An `NLMSG_ERROR` message with a non-zero error.
    #[error("netlink error message: errno {errno}")]
    NetlinkError {
        /// The positive errno.
        errno: i32,
    },
    /// An `NLMSG_OVERRUN` message.
    #[error("netlink overrun message: data was lost")]
    Overrun,
    /// A netlink message type the process connector never sends.
    #[error("unexpected netlink message type {nlmsg_type}")]
    UnexpectedType {
        /// `nlmsg_type`.
        nlmsg_type: u16,
    },
    /// A connector message for another connector callback than `{CN_IDX_PROC, CN_VAL_PROC}`.
    #[error("connector message for idx {idx} val {val}, not the process connector (1, 1)")]
    NotProcConnector {
        /// `cn_msg.id.idx`.
        idx: u32,
        /// `cn_msg.id.val`.
        val: u32,
    },
    /// `cn_msg.len` is longer than the netlink payload holds.
    #[error("connector data length {len} with {available} bytes in the netlink payload")]
    ConnectorLength {
        /// `cn_msg.len`.
        len: u16,
        /// Bytes after the `cn_msg` header.
        available: usize,
    },
    /// The event union is shorter than its `what` needs.
    #[error("event {what:#x} needs {need} bytes of event data, has {have}")]
    EventTooShort {
        /// `proc_event.what`.
        what: u32,
        /// Bytes its fields need.
        need: usize,
        /// Bytes there were.
        have: usize,
    },
}

/// Decodes one datagram from the process connector: every netlink message in it, in order.
/// `NLMSG_NOOP` and error-free `NLMSG_ERROR` (acks) are skipped; an empty `NLMSG_DONE` ends
/// the datagram.
pub fn decode(datagram: &[u8]) -> Decode<'_> {
    Decode { rest: datagram }
}

/// The iterator [`decode`] returns.
#[derive(Debug, Clone)]
pub struct Decode<'a> {
    rest: &'a [u8],
}

impl Iterator for Decode<'_> {
    type Item = Result<Event, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (nlmsg_type, payload) = match self.next_message()? {
                Ok(message) => message,
                Err(e) => return Some(Err(e)),
            };
            match nlmsg_type {
                wire::NLMSG_NOOP => continue,
                wire::NLMSG_ERROR => match netlink_error(payload) {
                    Ok(0) => continue,
                    Ok(errno) => return Some(Err(DecodeError::NetlinkError { errno })),
                    Err(e) => return Some(Err(e)),
                },
                wire::NLMSG_OVERRUN => return Some(Err(DecodeError::Overrun)),
                wire::NLMSG_DONE if payload.is_empty() => {
                    self.rest = &[];
                    return None;
                }
                wire::NLMSG_DONE => return Some(connector_message(payload)),
                nlmsg_type => return Some(Err(DecodeError::UnexpectedType { nlmsg_type })),
            }
        }
    }
}

impl<'a> Decode<'a> {
    /// Splits off the next netlink message: its type and payload. `None` at the end.
    fn next_message(&mut self) -> Option<Result<(u16, &'a [u8]), DecodeError>> {
        let rest = self.rest;
        if rest.is_empty() {
            return None;
        }
        if rest.len() < wire::NLMSG_HDRLEN {
            self.rest = &[];
            return Some(Err(DecodeError::Truncated {
                part: "netlink header",
                need: wire::NLMSG_HDRLEN,
                have: rest.len(),
            }));
        }
        let len = ne_u32(rest, 0);
        let nlmsg_type = ne_u16(rest, 4);
        let size = len as usize;
        if size < wire::NLMSG_HDRLEN || size > rest.len() {
            self.rest = &[];
            return Some(Err(DecodeError::NetlinkLength {
                len,
                available: rest.len(),
            }));
        }
        let next = wire::nlmsg_align(size).min(rest.len());
        self.rest = &rest[next..];
        Some(Ok((nlmsg_type, &rest[wire::NLMSG_HDRLEN..size])))
    }
}

/// The positive errno of an `NLMSG_ERROR` payload (`struct nlmsgerr`), 0 for an ack.
fn netlink_error(payload: &[u8]) -> Result<i32, DecodeError> {
    if payload.len() < 4 {
        return Err(DecodeError::Truncated {
            part: "nlmsgerr",
            need: 4,
            have: payload.len(),
        });
    }
    Ok((ne_u32(payload, 0) as i32).wrapping_neg())
}

/// A `cn_msg` holding a `proc_event`.
fn connector_message(payload: &[u8]) -> Result<Event, DecodeError> {
    if payload.len() < wire::CN_MSG_LEN {
        return Err(DecodeError::Truncated {
            part: "cn_msg",
            need: wire::CN_MSG_LEN,
            have: payload.len(),
        });
    }
    let (idx, val) = (ne_u32(payload, 0), ne_u32(payload, 4));
    if (idx, val) != (wire::CN_IDX_PROC, wire::CN_VAL_PROC) {
        return Err(DecodeError::NotProcConnector { idx, val });
    }
    let seq = ne_u32(payload, 8);
    let ack = ne_u32(payload, 12);
    let len = ne_u16(payload, 16);
    let data = &payload[wire::CN_MSG_LEN..];
    if len as usize > data.len() {
        return Err(DecodeError::ConnectorLength {
            len,
            available: data.len(),
        });
    }
    proc_event(&data[..len as usize], seq, ack)
}

/// A `struct proc_event`.
fn proc_event(event: &[u8], seq: u32, ack: u32) -> Result<Event, DecodeError> {
    if event.len() < wire::PROC_EVENT_HEADER_LEN {
        return Err(DecodeError::Truncated {
            part: "proc_event header",
            need: wire::PROC_EVENT_HEADER_LEN,
            have: event.len(),
        });
    }
    let what = ne_u32(event, 0);
    let cpu = ne_u32(event, 4);
    let timestamp_ns = ne_u64(event, 8);
    let data = &event[wire::PROC_EVENT_HEADER_LEN..];
    let need = union_len(what);
    if data.len() < need {
        return Err(DecodeError::EventTooShort {
            what,
            need,
            have: data.len(),
        });
    }
    Ok(Event {
        seq,
        cpu,
        timestamp_ns,
        kind: event_kind(what, data, ack),
    })
}

/// Bytes of `event_data` the fields of `what` take (0 for an unknown `what`).
fn union_len(what: u32) -> usize {
    match what {
        what::NONE => 4,
        what::EXEC | what::SID => 8,
        what::FORK | what::UID | what::GID | what::PTRACE | what::COREDUMP => 16,
        what::COMM | what::EXIT => 24,
        _ => 0,
    }
}

/// The fields of `what`; `data` holds at least [`union_len`]`(what)` bytes.
fn event_kind(what: u32, data: &[u8], ack: u32) -> EventKind {
    let pid = |at| ne_u32(data, at) as Pid;
    let word = |at| ne_u32(data, at);
    match what {
        what::NONE => EventKind::Ack { err: word(0), ack },
        what::FORK => EventKind::Fork {
            parent_pid: pid(0),
            parent_tgid: pid(4),
            child_pid: pid(8),
            child_tgid: pid(12),
        },
        what::EXEC => EventKind::Exec {
            pid: pid(0),
            tgid: pid(4),
        },
        what::UID => EventKind::Uid {
            pid: pid(0),
            tgid: pid(4),
            ruid: word(8),
            euid: word(12),
        },
        what::GID => EventKind::Gid {
            pid: pid(0),
            tgid: pid(4),
            rgid: word(8),
            egid: word(12),
        },
        what::SID => EventKind::Sid {
            pid: pid(0),
            tgid: pid(4),
        },
        what::PTRACE => EventKind::Ptrace {
            pid: pid(0),
            tgid: pid(4),
            tracer_pid: pid(8),
            tracer_tgid: pid(12),
        },
        what::COMM => {
            let mut comm = [0u8; 16];
            comm.copy_from_slice(&data[8..24]);
            EventKind::Comm {
                pid: pid(0),
                tgid: pid(4),
                comm,
            }
        }
        what::COREDUMP => EventKind::Coredump {
            pid: pid(0),
            tgid: pid(4),
            parent_pid: pid(8),
            parent_tgid: pid(12),
        },
        what::EXIT => EventKind::Exit {
            pid: pid(0),
            tgid: pid(4),
            exit_code: word(8),
            exit_signal: word(12),
            parent_pid: pid(16),
            parent_tgid: pid(20),
        },
        what => EventKind::Other { what },
    }
}

// The readers below are called only after the length checks above: an index out of range
// would be a bug in this file (the fuzz target and the truncation tests look for one).

fn ne_u16(bytes: &[u8], at: usize) -> u16 {
    let mut word = [0; 2];
    word.copy_from_slice(&bytes[at..at + 2]);
    u16::from_ne_bytes(word)
}

fn ne_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_ne_bytes(word)
}

fn ne_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_ne_bytes(word)
}
