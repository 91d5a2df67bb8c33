//! Signalling every process of one user without a pid list: `kill(-1, sig)` sent with that
//! user's credentials, so the kernel itself walks its task list (under `tasklist_lock`, which
//! `fork` must take to add a child) and signals exactly the processes the sender may signal:
//! those whose real or saved uid is the user's.
//!
//! The sender is a short-lived child, never a thread of the guard: a thread holding the
//! user's credentials could itself be signalled by that user (permission is checked against
//! the target thread's credentials), and a SIGSTOP to any thread stops the whole guard.
//! The child is made with `clone3` and a pidfd, like `fork` (a copy of memory, the same
//! stack), with exit signal 0 so that no `waitpid(-1)` elsewhere in the process reaps it; the
//! caller waits on its pidfd with a deadline and kills it (through the pidfd) if the user
//! stopped it. In the child, only raw system calls: `setresuid` to the user, `capset` to
//! nothing (so that no capability survives even under `SECBIT_NO_SETUID_FIXUP`), `kill(-1)`,
//! exit. `kill(-1)` spares the sender itself and pid 1; the guard, running as root, is not a
//! process the user's credentials may signal.

use std::io;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// `struct clone_args` up to `set_tid_size` (`CLONE_ARGS_SIZE_VER1`, Linux 5.5).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
}

/// `_LINUX_CAPABILITY_VERSION_3` and its two-word data.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// How a signalling child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    /// `kill(-1)` ran (or found no process: `ESRCH`).
    Done,
    /// The child failed before or at `kill` with this errno.
    Failed(i32),
    /// It did not finish within the deadline (the user stopped it?) and was killed.
    TimedOut,
}

/// Sends `signal` to every process `uid` may signal, from a child with `uid`'s credentials
/// and no capability. Waits for the child at most `within`.
pub(crate) fn signal_every_process_of(uid: u32, signal: i32, within: Duration) -> io::Result<Sent> {
    let header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let nothing = [CapData::default(); 2];
    let mut pidfd: libc::c_int = -1;
    let args = CloneArgs {
        flags: libc::CLONE_PIDFD as u64,
        pidfd: &mut pidfd as *mut libc::c_int as u64,
        ..CloneArgs::default()
    };
    // SAFETY: clone3 with no stack and no CLONE_VM is fork: the child gets a copy of this
    // process's memory and returns 0 on a copy of this stack. The child runs only the block
    // below, which makes raw system calls on values already on its stack and exits without
    // returning, unwinding, allocating or taking a lock.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if pid == 0 {
        // SAFETY: raw system calls in the child with valid pointers to its own stack.
        unsafe {
            if libc::syscall(libc::SYS_setresuid, uid, uid, uid) != 0 {
                libc::syscall(libc::SYS_exit, 100);
            }
            if libc::syscall(
                libc::SYS_capset,
                &header as *const CapHeader,
                nothing.as_ptr(),
            ) != 0
            {
                libc::syscall(libc::SYS_exit, 101);
            }
            let ret = libc::syscall(libc::SYS_kill, -1 as libc::pid_t, signal);
            let errno = if ret < 0 {
                *libc::__errno_location()
            } else {
                0
            };
            let code = if ret == 0 || errno == libc::ESRCH {
                0
            } else {
                102
            };
            libc::syscall(libc::SYS_exit, code);
        }
        unreachable!("exit returned");
    }
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: CLONE_PIDFD stored a new descriptor that nothing else owns.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    let finished = wait_readable(&pidfd, within);
    if !finished {
        let _ = rustix::process::pidfd_send_signal(&pidfd, rustix::process::Signal::KILL);
    }
    let code = reap(&pidfd)?;
    Ok(match (finished, code) {
        (false, _) => Sent::TimedOut,
        (true, 0) => Sent::Done,
        (true, 100) => Sent::Failed(libc::EPERM),
        (true, code) => Sent::Failed(code),
    })
}

/// Whether the pidfd polls readable (its process exited) within `within`.
fn wait_readable(pidfd: &OwnedFd, within: Duration) -> bool {
    use rustix::event::{PollFd, PollFlags};
    let deadline = std::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let timeout = rustix::time::Timespec::try_from(left).unwrap_or_default();
        let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(n) if n > 0 => return true,
            Ok(_) => return false,
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return false,
        }
    }
}

/// Reaps the child behind `pidfd` (exit signal 0: `__WALL`), returning its exit code.
fn reap(pidfd: &OwnedFd) -> io::Result<i32> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: siginfo_t is plain data that waitid fills.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: a valid pidfd and a valid siginfo_t.
        let ret = unsafe {
            libc::waitid(
                libc::P_PIDFD,
                pidfd.as_fd().as_raw_fd() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::__WALL,
            )
        };
        if ret == 0 {
            // SAFETY: waitid filled a CLD_* record.
            return Ok(unsafe { info.si_status() });
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}
