//! File-descriptor plumbing for spawning: duplicating above a number, close-on-exec flags,
//! and reading the child's failure report.

use super::child::Failure;
use super::{cvt, cvt_retry};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// Sets `FD_CLOEXEC`.
pub(crate) fn set_cloexec(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: fcntl on a valid descriptor.
    cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) })?;
    Ok(())
}

/// Whether `FD_CLOEXEC` is set on the descriptor numbered `fd` (`None` if it is not open).
pub fn is_cloexec(fd: RawFd) -> Option<bool> {
    // SAFETY: F_GETFD on any number is harmless; EBADF means not open.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    (flags != -1).then_some(flags & libc::FD_CLOEXEC != 0)
}

/// Reads the child's [`Failure`] from the pipe: `None` at end-of-file (the child exec'd).
pub(crate) fn read_failure(fd: BorrowedFd<'_>) -> io::Result<Option<Failure>> {
    let mut failure = Failure::default();
    let ptr = (&mut failure as *mut Failure).cast::<libc::c_void>();
    let len = size_of::<Failure>();
    // SAFETY: reading at most `len` bytes into a live `Failure` (plain integers).
    let n = cvt_retry(|| unsafe { libc::read(fd.as_raw_fd(), ptr, len) })?;
    match n as usize {
        0 => Ok(None),
        n if n == len => Ok(Some(failure)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "short failure report from child",
        )),
    }
}

/// `fcntl(fd, F_DUPFD_CLOEXEC, min)`: a close-on-exec copy numbered `min` or higher
/// (`EBADF` if `fd` is not open).
pub(crate) fn dup_raw_above(fd: RawFd, min: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: fcntl on any number is harmless; a closed one fails with EBADF.
    let new = cvt(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) })?;
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// The soft `RLIMIT_NOFILE`: descriptor numbers must be below it. `None` if unknown or
/// unlimited.
pub(crate) fn open_files_limit() -> Option<i64> {
    // SAFETY: rlimit is plain data that getrlimit fills.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: a valid resource and a valid pointer.
    let ret = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (ret == 0 && limit.rlim_cur != libc::RLIM_INFINITY)
        .then(|| limit.rlim_cur.min(i64::MAX as u64) as i64)
}

/// Whether this process may execute `path`, as `execve(2)` would judge it before loading:
/// `faccessat(path, X_OK, AT_EACCESS)` (the effective IDs; a `noexec` mount says no) and a
/// regular file (anything else is `EACCES`, as for execve). What only the exec itself can
/// tell (a security module's verdict, a file that is no program, `ETXTBSY`) is not known.
pub(crate) fn may_execute(path: &std::ffi::CStr) -> io::Result<()> {
    // SAFETY: a nul-terminated path; faccessat only reads it.
    cvt(unsafe { libc::faccessat(libc::AT_FDCWD, path.as_ptr(), libc::X_OK, libc::AT_EACCESS) })?;
    // SAFETY: stat is plain data that stat(2) fills.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a nul-terminated path and a valid buffer.
    cvt(unsafe { libc::stat(path.as_ptr(), &mut st) })?;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(io::Error::from_raw_os_error(libc::EACCES));
    }
    Ok(())
}
