//! The only place in `forklab-init` with `unsafe` code: thin wrappers over the system calls
//! that no dependency wraps for every signal number (the real-time ones included), one file
//! per syscall family. Every block has a `// SAFETY:` comment.
//!
//! - `signal`: the signal mask, `signalfd(2)`, `kill(2)`, `pidfd_open(2)`,
//!   `pidfd_send_signal(2)`, the parent-death signal.
//! - `wait`: `waitpid(-1, WNOHANG)`, the raw status word.
//! - `terminal`: the `pre_exec` hook that puts CMD's group in the terminal's foreground.

pub(crate) mod signal;
pub(crate) mod terminal;
pub(crate) mod wait;

use std::io;

/// `-1` from a system call becomes the `errno` as an `io::Error`.
fn check(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}
