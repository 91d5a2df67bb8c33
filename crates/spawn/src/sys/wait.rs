//! Waiting for and signalling a child: `waitid(2)`, `pidfd_open(2)`, `pidfd_send_signal(2)`,
//! `kill(2)`, and `poll(2)` on a pidfd to wait with a time limit.

use super::{cvt, cvt_retry};
use crate::status::WaitStatus;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// `waitid(P_PID, pid, WEXITED [| WNOHANG])`. `Ok(None)` when `nohang` and still running.
///
/// Waiting by pid is race-free for our own unreaped child: its pid cannot be reused before we
/// reap it.
pub(crate) fn wait(pid: libc::pid_t, nohang: bool) -> io::Result<Option<WaitStatus>> {
    waitid(libc::P_PID, pid as libc::id_t, nohang)
}

/// `waitid(P_PIDFD, fd, WEXITED [| WNOHANG])` (Linux 5.4).
pub(crate) fn wait_pidfd(fd: BorrowedFd<'_>, nohang: bool) -> io::Result<Option<WaitStatus>> {
    waitid(libc::P_PIDFD, fd.as_raw_fd() as libc::id_t, nohang)
}

/// `Ok(())` if the pidfd names a child of ours that is not yet reaped (ended or not):
/// `waitid(P_PIDFD, fd, WEXITED|WNOHANG|WNOWAIT)`, which leaves it as it is. `ECHILD` if it
/// names someone else's process (Linux 5.4; on 5.3, `EINVAL` is taken as yes).
pub(crate) fn unreaped_child(fd: BorrowedFd<'_>) -> io::Result<()> {
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    match waitid_flags(libc::P_PIDFD, fd.as_raw_fd() as libc::id_t, flags) {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        other => other.map(drop),
    }
}

fn waitid(idtype: libc::idtype_t, id: libc::id_t, nohang: bool) -> io::Result<Option<WaitStatus>> {
    waitid_flags(
        idtype,
        id,
        libc::WEXITED | if nohang { libc::WNOHANG } else { 0 },
    )
}

fn waitid_flags(
    idtype: libc::idtype_t,
    id: libc::id_t,
    flags: libc::c_int,
) -> io::Result<Option<WaitStatus>> {
    // SAFETY: siginfo_t is plain data; waitid fills it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    cvt_retry(|| {
        // SAFETY: `info` is a valid siginfo_t for the kernel to fill.
        unsafe { libc::waitid(idtype, id, &mut info, flags) }
    })?;
    // SAFETY: after a successful waitid these union fields are the CLD_* ones.
    let (child, status) = unsafe { (info.si_pid(), info.si_status()) };
    if child == 0 {
        return Ok(None);
    }
    Ok(Some(WaitStatus::from_siginfo(info.si_code, status)))
}

/// `waitpid(pid, &status, 0)` returning the raw status word, for callers that want it.
pub(crate) fn waitpid_raw(pid: libc::pid_t) -> io::Result<i32> {
    let mut status = 0;
    // SAFETY: `status` is a valid int to fill.
    cvt_retry(|| unsafe { libc::waitpid(pid, &mut status, 0) })?;
    Ok(status)
}

/// `pidfd_open(pid, 0)` (Linux 5.3): a descriptor that names this process and no other.
pub(crate) fn pidfd_open(pid: libc::pid_t) -> io::Result<OwnedFd> {
    // SAFETY: a plain system call with integer arguments.
    let fd = cvt(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) })?;
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `pidfd_send_signal(fd, sig, NULL, 0)` (Linux 5.1).
pub(crate) fn pidfd_send_signal(pidfd: BorrowedFd<'_>, sig: i32) -> io::Result<()> {
    // SAFETY: a valid descriptor, a null siginfo (the kernel fills in a kill()-like one).
    cvt(unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            sig,
            0usize,
            0,
        )
    })?;
    Ok(())
}

/// `kill(pid, sig)`.
pub(crate) fn kill(pid: libc::pid_t, sig: i32) -> io::Result<()> {
    // SAFETY: a plain system call with integer arguments.
    cvt(unsafe { libc::kill(pid, sig) })?;
    Ok(())
}

/// Waits until `deadline` (for good with `None`) for the pidfd to become readable: its
/// process has ended. `Ok(false)` at the deadline. Interrupted polls resume with the time
/// that is left.
pub(crate) fn pidfd_ended_by(
    fd: BorrowedFd<'_>,
    deadline: Option<std::time::Instant>,
) -> io::Result<bool> {
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        let millis = left.map_or(-1, |left| {
            libc::c_int::try_from(left.as_micros().div_ceil(1000)).unwrap_or(libc::c_int::MAX)
        });
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        match cvt(unsafe { libc::poll(&mut pfd, 1, millis) }) {
            Ok(0) if left.is_some_and(|left| left.is_zero()) => return Ok(false),
            Ok(0) => continue,
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}
