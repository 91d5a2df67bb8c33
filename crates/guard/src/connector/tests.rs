//! The decoder on crafted bytes: every kind, every truncation, every netlink message type.

use proptest::prelude::*;

use super::wire::{self, what};
use super::{DecodeError, Event, EventKind, EventSet, decode};

/// A `proc_event` of `what` with `data` in its union, `len` bytes long (40 normally).
fn proc_event(what: u32, data: &[u8]) -> Vec<u8> {
    let mut event = Vec::new();
    event.extend_from_slice(&what.to_ne_bytes());
    event.extend_from_slice(&1u32.to_ne_bytes()); // cpu
    event.extend_from_slice(&123_456_789u64.to_ne_bytes());
    event.extend_from_slice(data);
    event.resize(wire::PROC_EVENT_LEN, 0);
    event
}

/// A netlink message of `nlmsg_type` around `payload`, padded to 4 bytes.
fn netlink(nlmsg_type: u16, payload: &[u8]) -> Vec<u8> {
    let len = wire::NLMSG_HDRLEN + payload.len();
    let mut msg = Vec::new();
    msg.extend_from_slice(&(len as u32).to_ne_bytes());
    msg.extend_from_slice(&nlmsg_type.to_ne_bytes());
    msg.extend_from_slice(&0u16.to_ne_bytes());
    msg.extend_from_slice(&7u32.to_ne_bytes()); // seq
    msg.extend_from_slice(&0u32.to_ne_bytes()); // port
    msg.extend_from_slice(payload);
    msg.resize(wire::nlmsg_align(len), 0);
    msg
}

/// A `cn_msg` for `(idx, val)` whose `len` field says `len`, around `data`.
fn cn_msg(idx: u32, val: u32, len: u16, data: &[u8]) -> Vec<u8> {
    let mut msg = Vec::new();
    for word in [idx, val, 42, 5] {
        msg.extend_from_slice(&word.to_ne_bytes());
    }
    msg.extend_from_slice(&len.to_ne_bytes());
    msg.extend_from_slice(&0u16.to_ne_bytes());
    msg.extend_from_slice(data);
    msg
}

/// What the kernel sends: one `NLMSG_DONE` message holding a process-connector event.
fn kernel_message(what: u32, data: &[u8]) -> Vec<u8> {
    let event = proc_event(what, data);
    netlink(wire::NLMSG_DONE, &cn_msg(1, 1, event.len() as u16, &event))
}

fn words(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

fn only_event(datagram: &[u8]) -> Event {
    let decoded: Vec<_> = decode(datagram).collect();
    assert_eq!(decoded.len(), 1, "{decoded:?}");
    decoded[0].expect("decodes")
}

/// One message of every kind, with what it must decode to.
fn every_kind() -> Vec<(Vec<u8>, EventKind)> {
    let mut comm = [0u8; 16];
    comm[..4].copy_from_slice(b"bomb");
    let mut comm_data = words(&[10, 11]);
    comm_data.extend_from_slice(&comm);
    vec![
        (
            kernel_message(what::NONE, &words(&[1])),
            EventKind::Ack { err: 1, ack: 5 },
        ),
        (
            kernel_message(what::FORK, &words(&[10, 10, 11, 11])),
            EventKind::Fork {
                parent_pid: 10,
                parent_tgid: 10,
                child_pid: 11,
                child_tgid: 11,
            },
        ),
        (
            kernel_message(what::EXEC, &words(&[11, 11])),
            EventKind::Exec { pid: 11, tgid: 11 },
        ),
        (
            kernel_message(what::UID, &words(&[11, 11, 1000, 0])),
            EventKind::Uid {
                pid: 11,
                tgid: 11,
                ruid: 1000,
                euid: 0,
            },
        ),
        (
            kernel_message(what::GID, &words(&[11, 11, 100, 101])),
            EventKind::Gid {
                pid: 11,
                tgid: 11,
                rgid: 100,
                egid: 101,
            },
        ),
        (
            kernel_message(what::SID, &words(&[11, 11])),
            EventKind::Sid { pid: 11, tgid: 11 },
        ),
        (
            kernel_message(what::PTRACE, &words(&[11, 11, 20, 20])),
            EventKind::Ptrace {
                pid: 11,
                tgid: 11,
                tracer_pid: 20,
                tracer_tgid: 20,
            },
        ),
        (
            kernel_message(what::COMM, &comm_data),
            EventKind::Comm {
                pid: 10,
                tgid: 11,
                comm,
            },
        ),
        (
            kernel_message(what::COREDUMP, &words(&[11, 11, 10, 10])),
            EventKind::Coredump {
                pid: 11,
                tgid: 11,
                parent_pid: 10,
                parent_tgid: 10,
            },
        ),
        (
            kernel_message(what::EXIT, &words(&[12, 11, 9, 17, 10, 10])),
            EventKind::Exit {
                pid: 12,
                tgid: 11,
                exit_code: 9,
                exit_signal: 17,
                parent_pid: 10,
                parent_tgid: 10,
            },
        ),
        (
            kernel_message(0x0800, &[]),
            EventKind::Other { what: 0x0800 },
        ),
    ]
}

#[test]
fn every_kind_decodes() {
    for (message, kind) in every_kind() {
        assert_eq!(message.len(), 76, "what the kernel sends");
        let event = only_event(&message);
        assert_eq!(event.kind, kind);
        assert_eq!(
            (event.seq, event.cpu, event.timestamp_ns),
            (42, 1, 123_456_789)
        );
    }
}

#[test]
fn threads_are_told_from_processes() {
    let thread = only_event(&kernel_message(what::FORK, &words(&[10, 10, 12, 10])));
    assert!(thread.kind.is_thread());
    assert_eq!(thread.kind.task(), Some((12, 10)));
    let process = only_event(&kernel_message(what::FORK, &words(&[12, 10, 13, 13])));
    assert!(!process.kind.is_thread());
    let thread_exit = only_event(&kernel_message(what::EXIT, &words(&[12, 10, 0, u32::MAX])));
    assert!(thread_exit.kind.is_thread());
    let ack = only_event(&kernel_message(what::NONE, &words(&[0])));
    assert!(!ack.kind.is_thread());
    assert_eq!(ack.kind.task(), None);
}

#[test]
fn comm_stops_at_the_first_nul() {
    let (message, _) = every_kind().remove(7);
    assert_eq!(only_event(&message).kind.comm(), Some(&b"bomb"[..]));
}

#[test]
fn a_datagram_cut_anywhere_never_yields_an_event() {
    for (message, _) in every_kind() {
        for cut in 0..message.len() {
            let decoded: Vec<_> = decode(&message[..cut]).collect();
            assert!(decoded.len() <= 1, "cut at {cut}: {decoded:?}");
            assert!(
                decoded.iter().all(Result::is_err),
                "cut at {cut}: {decoded:?}"
            );
            assert_eq!(decoded.is_empty(), cut == 0);
        }
    }
}

#[test]
fn consistent_but_short_lengths_are_errors_until_the_fields_fit() {
    for (message, kind) in every_kind() {
        let event = &message[wire::NLMSG_HDRLEN + wire::CN_MSG_LEN..];
        let what = u32::from_ne_bytes(event[..4].try_into().unwrap());
        let need = 16
            + match kind {
                EventKind::Ack { .. } => 4,
                EventKind::Exec { .. } | EventKind::Sid { .. } => 8,
                EventKind::Comm { .. } | EventKind::Exit { .. } => 24,
                EventKind::Other { .. } => 0,
                _ => 16,
            };
        for len in 0..=event.len() {
            let datagram = netlink(wire::NLMSG_DONE, &cn_msg(1, 1, len as u16, &event[..len]));
            let decoded: Vec<_> = decode(&datagram).collect();
            assert_eq!(decoded.len(), 1);
            match &decoded[0] {
                Ok(found) => {
                    assert!(len >= need, "{what:#x} with {len} bytes");
                    assert_eq!(found.kind, kind);
                }
                Err(DecodeError::Truncated { part, .. }) => {
                    assert!(len < 16, "{len}");
                    assert_eq!(*part, "proc_event header");
                }
                Err(DecodeError::EventTooShort { have, .. }) => {
                    assert!(len < need);
                    assert_eq!(*have, len - 16);
                }
                Err(other) => panic!("{what:#x} with {len} bytes: {other}"),
            }
        }
    }
}

#[test]
fn connector_length_beyond_the_payload_is_an_error() {
    let event = proc_event(what::EXEC, &words(&[1, 1]));
    let datagram = netlink(wire::NLMSG_DONE, &cn_msg(1, 1, 41, &event));
    let decoded: Vec<_> = decode(&datagram).collect();
    assert_eq!(
        decoded,
        [Err(DecodeError::ConnectorLength {
            len: 41,
            available: 40
        })]
    );
    let short = netlink(wire::NLMSG_DONE, &[0; 19]);
    assert!(matches!(
        decode(&short).next(),
        Some(Err(DecodeError::Truncated { part: "cn_msg", .. }))
    ));
}

#[test]
fn another_connectors_message_is_an_error_and_the_next_one_still_decodes() {
    let event = proc_event(what::EXEC, &words(&[1, 1]));
    let mut datagram = netlink(wire::NLMSG_DONE, &cn_msg(2, 1, 40, &event));
    datagram.extend(netlink(wire::NLMSG_DONE, &cn_msg(1, 2, 40, &event)));
    datagram.extend(kernel_message(what::EXEC, &words(&[3, 3])));
    let decoded: Vec<_> = decode(&datagram).collect();
    assert_eq!(
        decoded[0],
        Err(DecodeError::NotProcConnector { idx: 2, val: 1 })
    );
    assert_eq!(
        decoded[1],
        Err(DecodeError::NotProcConnector { idx: 1, val: 2 })
    );
    assert_eq!(
        decoded[2].unwrap().kind,
        EventKind::Exec { pid: 3, tgid: 3 }
    );
    assert_eq!(decoded.len(), 3);
}

#[test]
fn netlink_control_messages() {
    let exec = kernel_message(what::EXEC, &words(&[3, 3]));
    let errno = |e: i32| netlink(wire::NLMSG_ERROR, &e.to_ne_bytes());
    let mut datagram = netlink(wire::NLMSG_NOOP, &[]);
    datagram.extend(errno(0)); // an ack: skipped
    datagram.extend(errno(-libc::EPERM));
    datagram.extend(netlink(wire::NLMSG_ERROR, &[0; 3]));
    datagram.extend(netlink(wire::NLMSG_OVERRUN, &[]));
    datagram.extend(netlink(99, &[0; 8]));
    datagram.extend(&exec);
    datagram.extend(netlink(wire::NLMSG_DONE, &[])); // the end: what follows is ignored
    datagram.extend(&exec);
    let decoded: Vec<_> = decode(&datagram).collect();
    assert_eq!(
        decoded,
        [
            Err(DecodeError::NetlinkError { errno: libc::EPERM }),
            Err(DecodeError::Truncated {
                part: "nlmsgerr",
                need: 4,
                have: 3
            }),
            Err(DecodeError::Overrun),
            Err(DecodeError::UnexpectedType { nlmsg_type: 99 }),
            Ok(only_event(&exec)),
        ]
    );
}

#[test]
fn several_messages_in_one_datagram_with_padding() {
    let mut datagram = Vec::new();
    for (message, _) in every_kind() {
        datagram.extend(message);
    }
    // A message whose length is not a multiple of 4: the next one starts after the padding.
    let mut odd = netlink(wire::NLMSG_NOOP, &[1, 2, 3]);
    assert_eq!(odd.len(), 20);
    odd[0..4].copy_from_slice(&19u32.to_ne_bytes());
    datagram.extend(odd);
    datagram.extend(kernel_message(what::SID, &words(&[5, 5])));
    let kinds: Vec<_> = decode(&datagram).map(|d| d.unwrap().kind).collect();
    let mut expected: Vec<_> = every_kind().into_iter().map(|(_, kind)| kind).collect();
    expected.push(EventKind::Sid { pid: 5, tgid: 5 });
    assert_eq!(kinds, expected);
}

#[test]
fn a_bad_netlink_length_ends_the_datagram() {
    let exec = kernel_message(what::EXEC, &words(&[3, 3]));
    for bad in [0u32, 15, 77 + 76] {
        let mut datagram = exec.clone();
        datagram[0..4].copy_from_slice(&bad.to_ne_bytes());
        datagram.extend(&exec);
        let decoded: Vec<_> = decode(&datagram).collect();
        assert_eq!(
            decoded,
            [Err(DecodeError::NetlinkLength {
                len: bad,
                available: 152
            })],
            "nlmsg_len {bad}"
        );
    }
    let mut tail = exec.clone();
    tail.extend_from_slice(&[1, 2, 3]);
    let decoded: Vec<_> = decode(&tail).collect();
    assert_eq!(
        decoded[1],
        Err(DecodeError::Truncated {
            part: "netlink header",
            need: 16,
            have: 3
        })
    );
}

#[test]
fn the_subscription_request_is_what_cn_proc_mcast_ctl_reads() {
    let plain = wire::subscription(wire::PROC_CN_MCAST_LISTEN, None, 9, 9);
    assert_eq!(plain.len(), 40);
    let filtered = wire::subscription(
        wire::PROC_CN_MCAST_LISTEN,
        Some(EventSet::GUARD.bits()),
        9,
        9,
    );
    assert_eq!(filtered.len(), 44);
    assert_eq!(u32::from_ne_bytes(filtered[0..4].try_into().unwrap()), 44);
    assert_eq!(
        u16::from_ne_bytes(filtered[4..6].try_into().unwrap()),
        wire::NLMSG_DONE
    );
    assert_eq!(u16::from_ne_bytes(filtered[32..34].try_into().unwrap()), 8); // cn_msg.len
    assert_eq!(u32::from_ne_bytes(filtered[36..40].try_into().unwrap()), 1); // LISTEN
    assert_eq!(
        u32::from_ne_bytes(filtered[40..44].try_into().unwrap()),
        0x8000_0007
    );
}

#[test]
fn event_sets() {
    assert!(EventSet::ALL.contains(EventSet::GUARD));
    assert!(EventSet::GUARD.contains(EventSet::FORK | EventSet::EXIT));
    assert!(!EventSet::GUARD.contains(EventSet::COMM));
    assert_eq!(EventSet::ALL.bits(), 0xE000_03C7);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let items = decode(&bytes).count();
        prop_assert!(items <= bytes.len() / wire::NLMSG_HDRLEN + 1);
    }

    #[test]
    fn corrupted_kernel_datagrams_never_panic(
        which in 0usize..11,
        count in 1usize..4,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<usize>(),
    ) {
        let (message, _) = every_kind().remove(which);
        let mut datagram: Vec<u8> = message.repeat(count);
        for (at, byte) in flips {
            let len = datagram.len();
            datagram[at % len] = byte;
        }
        datagram.truncate(cut % (datagram.len() + 1));
        let items = decode(&datagram).count();
        prop_assert!(items <= datagram.len() / wire::NLMSG_HDRLEN + 1);
    }
}
