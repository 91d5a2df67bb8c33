//! The body of the C-style fork bomb.

/// `for (;;) fork();` — every process, parent and children alike, forks for ever, failed
/// forks included.
pub(crate) fn fork_forever() -> ! {
    loop {
        // SAFETY: the process is single-threaded (checked by the caller) and neither parent
        // nor child touches anything after fork but this loop: no lock, no allocation.
        unsafe { libc::fork() };
    }
}
