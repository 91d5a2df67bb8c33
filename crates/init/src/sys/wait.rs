//! `waitpid(-1, WNOHANG)`: whatever child has ended, own or re-parented orphan.

use super::check;
use std::io;

/// What one `waitpid(-1, &status, WNOHANG)` found.
pub(crate) enum Reaped {
    /// This child ended and is reaped: its pid and raw status word.
    Child(i32, i32),
    /// There are children, none of them ended.
    Running,
    /// There is no child at all (`ECHILD`).
    NoChildren,
}

/// Reaps one ended child, if there is one, without blocking.
pub(crate) fn wait_any() -> io::Result<Reaped> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid int for the kernel to fill.
        let ret = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        return match check(ret.into()) {
            Ok(0) => Ok(Reaped::Running),
            Ok(pid) => Ok(Reaped::Child(pid as i32, status)),
            Err(e) if e.raw_os_error() == Some(libc::ECHILD) => Ok(Reaped::NoChildren),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
        };
    }
}
