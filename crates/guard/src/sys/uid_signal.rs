//! Signalling every process of one user without a pid list: `kill(-1, sig)` sent with that
//! user's credentials, so the kernel itself walks its task list (under `tasklist_lock`, which
//! `fork` must take to add a child) and signals exactly the processes the sender may signal.
//!
//! The credentials are changed for the calling *thread* only, with the raw `setresuid`
//! system call (glibc's wrapper would change every thread of the process), and the saved
//! uid stays 0 so that the thread can become root again: its permitted capabilities are
//! kept while its effective ones (`CAP_KILL` among them) are dropped, so `kill(-1)` reaches
//! only processes whose real or saved uid is the user's. The caller's own process is never
//! signalled by `kill(-1)`, nor is pid 1.

use std::io;

/// Sends `signal` to every process the uid `uid` may signal. Must run on a thread that does
/// nothing else (the responder's), as root (real, effective and saved uid 0).
pub(crate) fn signal_every_process_of(uid: u32, signal: i32) -> io::Result<()> {
    // SAFETY: setresuid on the calling thread; plain integers.
    let ret = unsafe { libc::syscall(libc::SYS_setresuid, uid, uid, 0u32) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: kill(2) takes plain integers.
    let sent = unsafe { libc::kill(-1, signal) };
    let sent = if sent < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    };
    // SAFETY: as above; the saved uid 0 permits going back.
    let back = unsafe { libc::syscall(libc::SYS_setresuid, 0u32, 0u32, 0u32) };
    if back < 0 {
        // A thread left with another user's identity must not go on.
        let e = io::Error::last_os_error();
        panic!("the responder thread could not become root again: {e}");
    }
    match sent {
        // ESRCH: the user had no process left.
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
        other => other,
    }
}
