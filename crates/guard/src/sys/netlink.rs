//! `recvmmsg(2)` on a netlink socket: many datagrams in one system call, each with the port
//! id of its sender. Under a fork bomb the process connector sends one datagram per event,
//! tens of thousands a second; reading them one `recvfrom(2)` at a time costs a system call
//! each. rustix wraps `recvfrom` (used for single reads) but not `recvmmsg`.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd};

/// How many datagrams one call can take.
pub(crate) const SLOTS: usize = 64;

/// The room for each datagram. A process-connector message is 76 bytes.
pub(crate) const SLOT_LEN: usize = 512;

/// What the kernel said about one received datagram.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Datagram {
    /// Bytes received into the slot (at most [`SLOT_LEN`]).
    pub(crate) len: usize,
    /// The sender's netlink port id (`nl_pid`; 0 is the kernel), or `None` when the address
    /// the kernel returned is not a whole `sockaddr_nl` of family `AF_NETLINK`.
    pub(crate) sender: Option<u32>,
    /// The datagram was longer than the slot (`MSG_TRUNC`): its tail is lost.
    pub(crate) truncated: bool,
}

/// `recvmmsg(fd, msgs, SLOTS, MSG_DONTWAIT, NULL)`: receives up to [`SLOTS`] datagrams into
/// consecutive [`SLOT_LEN`]-byte slots of `buf` without waiting, and describes each in
/// `out`. Returns how many arrived; `EAGAIN` when none is waiting, `ENOBUFS` when the
/// receive queue overflowed since the last read (events were lost).
///
/// # References
/// - [recvmmsg(2)](https://man7.org/linux/man-pages/man2/recvmmsg.2.html)
pub(crate) fn receive_many(
    fd: BorrowedFd<'_>,
    buf: &mut [u8; SLOTS * SLOT_LEN],
    out: &mut [Datagram; SLOTS],
) -> io::Result<usize> {
    // SAFETY: sockaddr_nl is plain data; all-zero is a valid value.
    let mut addrs: [libc::sockaddr_nl; SLOTS] = unsafe { mem::zeroed() };
    let mut iovs: [libc::iovec; SLOTS] = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; SLOTS];
    // SAFETY: mmsghdr is plain data (pointers and integers); all-zero is a valid value.
    let mut msgs: [libc::mmsghdr; SLOTS] = unsafe { mem::zeroed() };
    for (i, slot) in buf.chunks_exact_mut(SLOT_LEN).enumerate() {
        iovs[i].iov_base = slot.as_mut_ptr().cast();
        iovs[i].iov_len = SLOT_LEN;
    }
    for i in 0..SLOTS {
        let hdr = &mut msgs[i].msg_hdr;
        hdr.msg_name = (&raw mut addrs[i]).cast();
        hdr.msg_namelen = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        hdr.msg_iov = &raw mut iovs[i];
        hdr.msg_iovlen = 1;
    }
    let n = loop {
        // SAFETY: `msgs` holds SLOTS headers, each pointing to its own sockaddr_nl (with its
        // size in msg_namelen) and to one iovec describing a distinct SLOT_LEN-byte slot of
        // `buf`; all of them live until the call returns and nothing else aliases them. No
        // control buffer; a null timeout.
        let rc = unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                msgs.as_mut_ptr(),
                SLOTS as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if rc >= 0 {
            break rc as usize;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    };
    for i in 0..n.min(SLOTS) {
        let hdr = &msgs[i].msg_hdr;
        let whole = hdr.msg_namelen as usize == mem::size_of::<libc::sockaddr_nl>()
            && addrs[i].nl_family == libc::AF_NETLINK as libc::sa_family_t;
        out[i] = Datagram {
            len: (msgs[i].msg_len as usize).min(SLOT_LEN),
            sender: whole.then_some(addrs[i].nl_pid),
            truncated: hdr.msg_flags & libc::MSG_TRUNC != 0,
        };
    }
    Ok(n.min(SLOTS))
}
