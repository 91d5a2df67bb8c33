//! `getrusage(RUSAGE_CHILDREN)`: the CPU time of every child this process has reaped, and
//! of the children they reaped in turn. `forklab echo compare` reads it before starting a
//! server and after reaping it: the difference is the server's own CPU time plus that of the
//! workers it forked and reaped, which is what the book's table counts.

use std::time::Duration;

/// User plus system CPU time of the reaped children so far.
pub(crate) fn children_cpu() -> Duration {
    // SAFETY: rusage is plain data that getrusage fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a valid pointer; getrusage cannot fail with those.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
}
