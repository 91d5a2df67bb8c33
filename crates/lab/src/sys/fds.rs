//! Descriptors named by number, as the inheritance probe receives them: is it open, is it
//! close-on-exec, where is its offset, and adopting one as an owned descriptor.

use super::errno::cvt;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// Whether descriptor `fd` is open (raw `fcntl(F_GETFD)`; `EBADF` means closed).
pub(crate) fn is_open(fd: i32) -> Option<bool> {
    // SAFETY: F_GETFD on any number is harmless.
    let ret = unsafe { libc::syscall(libc::SYS_fcntl, fd, libc::F_GETFD) };
    match ret {
        -1 if super::errno::errno() == libc::EBADF => Some(false),
        -1 => None,
        _ => Some(true),
    }
}

/// The file offset of descriptor `fd` (raw `lseek(fd, 0, SEEK_CUR)`).
pub(crate) fn offset(fd: i32) -> Option<u64> {
    // SAFETY: lseek on any number is harmless.
    let ret = unsafe { libc::syscall(libc::SYS_lseek, fd, 0, libc::SEEK_CUR) };
    (ret >= 0).then_some(ret as u64)
}

/// Moves the file offset of descriptor `fd` to `to` (raw `lseek(fd, to, SEEK_SET)`).
pub(crate) fn seek(fd: i32, to: u64) -> io::Result<()> {
    // SAFETY: lseek on any number is harmless.
    cvt(unsafe { libc::syscall(libc::SYS_lseek, fd, to as libc::off_t, libc::SEEK_SET) })?;
    Ok(())
}

/// Clears `FD_CLOEXEC` on descriptor `fd`, so that it survives `execve(2)`.
pub(crate) fn keep_across_exec(fd: i32) -> io::Result<()> {
    // SAFETY: F_SETFD on any number is harmless.
    cvt(unsafe { libc::syscall(libc::SYS_fcntl, fd, libc::F_SETFD, 0) })?;
    Ok(())
}

/// Takes ownership of descriptor `fd`, which the parent passed to this process for it to
/// write its report into. An error if `fd` is not open.
///
/// # Safety
///
/// Nothing else in this process may own `fd` (the probe protocol: the parent opened it for
/// this process and named it on its command line), and this is called once for it.
pub(crate) unsafe fn adopt(fd: i32) -> io::Result<OwnedFd> {
    if fd < 0 || is_open(fd) != Some(true) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("descriptor {fd} is not open"),
        ));
    }
    // SAFETY: the descriptor is open, and by the caller's contract nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The report descriptor handed over by the parent, as a file to write the report to.
///
/// # Safety
///
/// As for [`adopt`]: `fd` was opened for this process by its parent, nothing else here owns
/// it, and it is taken once.
pub unsafe fn report_channel(fd: i32) -> io::Result<std::fs::File> {
    // SAFETY: the caller's contract is `adopt`'s.
    unsafe { adopt(fd) }.map(std::fs::File::from)
}
