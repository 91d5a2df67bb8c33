//! A real `fork(2)`, for the experiments that need one: the child continues from the same
//! point with a copy of the parent.

use crate::Pid;
use std::io;

/// Which side of a fork this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fork {
    /// The new process.
    Child,
    /// The original process; the child's pid.
    Parent(Pid),
}

/// `fork(2)`, refused with an error when the
/// process has more than one thread, because then the child could deadlock on a lock held by
/// a thread that does not exist in it. See [`crate::raw::fork_unchecked`] for the unchecked call.
pub fn fork() -> io::Result<Fork> {
    crate::sys::fork::fork_checked()
}

/// Waits for a forked child and returns how it ended (`waitpid(2)`).
pub fn wait_pid(pid: Pid) -> io::Result<crate::WaitStatus> {
    crate::sys::wait::waitpid_raw(pid.as_raw()).map(crate::WaitStatus::from_raw)
}

/// Ends the calling process at once with `code` (`_exit(2)`): no destructors, no `atexit`
/// handlers, no flushing of buffers that belong to the parent's copy of them.
pub fn exit_now(code: i32) -> ! {
    crate::sys::fork::exit_now(code)
}

/// The number of threads of the calling process, from `/proc/self/task`.
pub fn thread_count() -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    let links = std::fs::metadata("/proc/self/task")?.nlink();
    Ok(links.saturating_sub(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_is_refused_in_a_multi_threaded_process() {
        // The test harness runs this on its own thread, beside the main thread.
        let other = std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_secs(1)));
        let err = fork().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("fork refused: this process has"),
            "{err}"
        );
        other.join().unwrap();
    }
}
