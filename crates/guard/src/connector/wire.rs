//! The kernel's layouts, as constants and byte offsets: `struct nlmsghdr`
//! (`include/uapi/linux/netlink.h`), `struct cn_msg` (`include/uapi/linux/connector.h`) and
//! `struct proc_event` / `struct proc_input` (`include/uapi/linux/cn_proc.h`). Every field is
//! in the machine's native byte order. Also the one message we send: a multicast
//! subscription request.

/// `sizeof(struct nlmsghdr)`: `nlmsg_len: u32, nlmsg_type: u16, nlmsg_flags: u16,
/// nlmsg_seq: u32, nlmsg_pid: u32`.
pub(crate) const NLMSG_HDRLEN: usize = 16;
/// `NLMSG_NOOP`: nothing, skip it.
pub(crate) const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR`: a `struct nlmsgerr` (a negative errno, 0 for an ack, then the request).
pub(crate) const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the type the connector gives every message it sends (`cn_netlink_send_mult`
/// puts each `cn_msg` in an `NLMSG_DONE` message); empty, it ends a multi-part reply.
pub(crate) const NLMSG_DONE: u16 = 3;
/// `NLMSG_OVERRUN`: data lost.
pub(crate) const NLMSG_OVERRUN: u16 = 4;

/// `NLMSG_ALIGN(len)`: messages in one datagram start on 4-byte boundaries.
pub(crate) const fn nlmsg_align(len: usize) -> usize {
    (len + 3) & !3
}

/// `sizeof(struct cn_msg)`: `id.idx: u32, id.val: u32, seq: u32, ack: u32, len: u16,
/// flags: u16`, then `len` bytes of data.
pub(crate) const CN_MSG_LEN: usize = 20;
/// `CN_IDX_PROC`: the process connector's callback index, and its multicast group.
pub(crate) const CN_IDX_PROC: u32 = 1;
/// `CN_VAL_PROC`.
pub(crate) const CN_VAL_PROC: u32 = 1;

/// The fixed head of `struct proc_event`: `what: u32, cpu: u32, timestamp_ns: u64` (8-byte
/// aligned within the struct), then the `event_data` union.
pub(crate) const PROC_EVENT_HEADER_LEN: usize = 16;
/// `sizeof(struct proc_event)` on current kernels: the union is 24 bytes (`comm`, `exit`).
#[cfg(test)]
pub(crate) const PROC_EVENT_LEN: usize = 40;

/// `enum proc_cn_event` values of `what` (and bits of the 6.6+ subscription filter).
pub(crate) mod what {
    pub(crate) const NONE: u32 = 0x0000_0000;
    pub(crate) const FORK: u32 = 0x0000_0001;
    pub(crate) const EXEC: u32 = 0x0000_0002;
    pub(crate) const UID: u32 = 0x0000_0004;
    pub(crate) const GID: u32 = 0x0000_0040;
    pub(crate) const SID: u32 = 0x0000_0080;
    pub(crate) const PTRACE: u32 = 0x0000_0100;
    pub(crate) const COMM: u32 = 0x0000_0200;
    /// A filter bit only: exits with a non-zero status.
    pub(crate) const NONZERO_EXIT: u32 = 0x2000_0000;
    pub(crate) const COREDUMP: u32 = 0x4000_0000;
    pub(crate) const EXIT: u32 = 0x8000_0000;
}

/// `enum proc_cn_mcast_op`.
pub(crate) const PROC_CN_MCAST_LISTEN: u32 = 1;
/// `enum proc_cn_mcast_op`.
pub(crate) const PROC_CN_MCAST_IGNORE: u32 = 2;

/// The request `cn_proc_mcast_ctl` understands: an `nlmsghdr` (type `NLMSG_DONE`), a
/// `cn_msg` for `{CN_IDX_PROC, CN_VAL_PROC}`, and either the bare 4-byte `mcast_op` (every
/// kernel) or, with `events`, a `struct proc_input { mcast_op, event_type }` (Linux 6.6 and
/// later; older kernels ignore a request of that length without an answer).
///
/// The kernel's answer (an [`Ack`](super::EventKind::Ack)) carries `ack + 1`; its sequence
/// number is the kernel's own per-CPU count, not `seq`.
pub(crate) fn subscription(op: u32, events: Option<u32>, seq: u32, ack: u32) -> Vec<u8> {
    let data_len = if events.is_some() { 8 } else { 4 };
    let total = NLMSG_HDRLEN + CN_MSG_LEN + data_len;
    let mut msg = Vec::with_capacity(total);
    msg.extend_from_slice(&(total as u32).to_ne_bytes());
    msg.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
    msg.extend_from_slice(&0u16.to_ne_bytes()); // flags
    msg.extend_from_slice(&seq.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes()); // port: the kernel fills it in
    msg.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    msg.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    msg.extend_from_slice(&seq.to_ne_bytes());
    msg.extend_from_slice(&ack.to_ne_bytes());
    msg.extend_from_slice(&(data_len as u16).to_ne_bytes());
    msg.extend_from_slice(&0u16.to_ne_bytes()); // flags
    msg.extend_from_slice(&op.to_ne_bytes());
    if let Some(events) = events {
        msg.extend_from_slice(&events.to_ne_bytes());
    }
    msg
}
