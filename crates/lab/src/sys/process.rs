//! Process-wide calls: `fork(2)` in a process that has several threads (to count the child's
//! threads, and nothing else) and `atexit(3)` handlers.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicI32, Ordering};

/// Forks, and the child reports how many threads it has, then `_exit`s. Safe to call with
/// other threads running: the child calls only `stat(2)`, `write(2)` and `_exit(2)`, all
/// async-signal-safe, and touches no lock another thread could hold.
pub(crate) fn fork_and_count_threads() -> io::Result<(i32, Option<u64>)> {
    let (reader, writer) = std::io::pipe()?;
    // SAFETY: the child runs only async-signal-safe system calls (see above) and exits.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        let count = thread_count_raw().unwrap_or(u64::MAX);
        let _ = rustix::io::write(&writer, &count.to_ne_bytes());
        // SAFETY: _exit(2) is async-signal-safe and skips the parent's atexit handlers.
        unsafe { libc::_exit(0) }
    }
    drop(writer);
    let mut bytes = [0u8; 8];
    let n = rustix::io::read(&reader, &mut bytes)?;
    let count = u64::from_ne_bytes(bytes);
    Ok((pid, (n == 8 && count != u64::MAX).then_some(count)))
}

/// The number of threads of the calling process: the link count of `/proc/self/task` minus
/// two (one system call, no allocation).
pub(crate) fn thread_count_raw() -> Option<u64> {
    let stat = rustix::fs::stat(c"/proc/self/task").ok()?;
    Some((stat.st_nlink as u64).saturating_sub(2))
}

/// Where the exit handler writes its mark.
static EXIT_MARK_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn write_exit_mark() {
    let fd = EXIT_MARK_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: write(2) of a static byte; a closed descriptor only fails with EBADF.
        unsafe { libc::write(fd, b"x".as_ptr().cast(), 1) };
    }
}

/// Registers an `atexit(3)` handler that writes one byte to `fd` when the process calls
/// `exit(3)` (not `_exit(2)`, and never after an exec, which empties the handler list).
pub(crate) fn register_exit_mark(fd: &impl AsRawFd) -> io::Result<()> {
    EXIT_MARK_FD.store(fd.as_raw_fd(), Ordering::Relaxed);
    // SAFETY: registering an `extern "C"` function that lives for the whole program.
    if unsafe { libc::atexit(write_exit_mark) } != 0 {
        return Err(io::Error::other("atexit refused the handler"));
    }
    Ok(())
}
