//! The real and effective user and group IDs of the calling process.

/// `getuid()`, `geteuid()`, `getgid()`, `getegid()`.
pub(crate) fn current() -> (u32, u32, u32, u32) {
    // SAFETY: these calls take no arguments and cannot fail.
    unsafe {
        (
            libc::getuid(),
            libc::geteuid(),
            libc::getgid(),
            libc::getegid(),
        )
    }
}
