//! The socket-level steps of [`Connector`](super::Connector): the receive buffer, waiting
//! with a deadline, and what a missing answer means.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};

use super::ConnectorError;

/// Asks for a receive buffer of `bytes`: `SO_RCVBUFFORCE` (needs `CAP_NET_ADMIN`, ignores
/// `net.core.rmem_max`), else `SO_RCVBUF` (capped by `rmem_max`). Returns the size the
/// kernel granted, as read back.
pub(super) fn set_receive_buffer(fd: &OwnedFd, bytes: usize) -> Result<usize, ConnectorError> {
    use rustix::net::sockopt;
    if sockopt::set_socket_recv_buffer_size_force(fd, bytes).is_err() {
        sockopt::set_socket_recv_buffer_size(fd, bytes).map_err(|e| ConnectorError::Io {
            step: "set the receive buffer (SO_RCVBUF)",
            source: e.into(),
        })?;
    }
    sockopt::socket_recv_buffer_size(fd).map_err(|e| ConnectorError::Io {
        step: "read the receive buffer size (SO_RCVBUF)",
        source: e.into(),
    })
}

/// Waits until `fd` is readable or `deadline` passes (`None`: no deadline). `false` when the
/// deadline passed or a signal interrupted the wait.
pub(super) fn wait_readable(
    fd: BorrowedFd<'_>,
    deadline: Option<Instant>,
) -> Result<bool, ConnectorError> {
    let timeout = deadline.map(|deadline| {
        let left = deadline.saturating_duration_since(Instant::now());
        Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: i64::from(left.subsec_nanos()),
        }
    });
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    match rustix::event::poll(&mut fds, timeout.as_ref()) {
        Ok(ready) => Ok(ready > 0),
        Err(rustix::io::Errno::INTR) => Ok(false),
        Err(e) => Err(ConnectorError::Io {
            step: "wait for the process connector (poll)",
            source: e.into(),
        }),
    }
}

/// A mark for our requests (their `ack` field) that another listener's is unlikely to share:
/// the kernel sends its answer to every member of the group.
pub(super) fn first_mark() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::process::id().rotate_left(16) ^ nanos
}

/// The error for a subscription the kernel never answered. `cn_proc_mcast_ctl` returns
/// silently to a process outside the initial user and pid namespaces, and (before Linux 6.6,
/// when nobody else listens) to one without `CAP_NET_ADMIN`. Since 6.6 anyone may listen.
pub(super) fn no_answer(timeout: Duration) -> ConnectorError {
    let outside: Vec<&str> = [("user", INIT_USER_NS), ("pid", INIT_PID_NS)]
        .into_iter()
        .filter(|&(kind, init)| namespace(kind).is_some_and(|link| link != init))
        .map(|(kind, _)| kind)
        .collect();
    if !outside.is_empty() {
        return ConnectorError::Unavailable {
            reason: format!(
                "this process is not in the initial {} namespace (a container?), and the \
                 kernel reports process events only there; run the guard on the host",
                outside.join(" and ")
            ),
        };
    }
    if !rustix::process::geteuid().is_root() {
        return ConnectorError::NotPermitted {
            step: "subscribe to process events",
            source: io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("no answer from the kernel within {timeout:?}, not running as root"),
            ),
        };
    }
    ConnectorError::Unavailable {
        reason: format!(
            "the kernel did not answer the subscription within {timeout:?} (a kernel without \
             CONFIG_PROC_EVENTS?)"
        ),
    }
}

/// `readlink /proc/self/ns/{user,pid}` of the initial namespaces: their inode numbers are
/// fixed (`PROC_USER_INIT_INO`, `PROC_PID_INIT_INO` in `include/linux/proc_ns.h`).
const INIT_USER_NS: &str = "user:[4026531837]";
const INIT_PID_NS: &str = "pid:[4026531836]";

fn namespace(kind: &str) -> Option<String> {
    let link = std::fs::read_link(format!("/proc/self/ns/{kind}")).ok()?;
    Some(link.to_string_lossy().into_owned())
}
