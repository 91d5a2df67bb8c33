//! The only place in `forklab-lab` with `unsafe` code: what the experiments need from the
//! kernel that neither `rustix` nor `forklab-spawn` offers safely, one file per syscall family.
//!
//! What each file provides:
//! - `race`: the three ways a race trial creates its child (`fork(2)`, `clone(2)`, and
//!   `clone(CLONE_VM|CLONE_VFORK)` on a stack of its own) and the async-signal-safe first
//!   action each side takes after it.
//! - `shm`: a `MAP_SHARED|MAP_ANONYMOUS` mapping seen as atomic words, shared by a parent and
//!   the children it forks.
//! - `sched`: `sched_getscheduler(2)`, `sched_getparam(2)`, `sched_setscheduler(2)`.
//! - `stack`: the guarded stack a cloned child runs on.
//!
//! Deliberately not here: anything `rustix` wraps safely (CPU affinity, `memfd_create`,
//! `getrlimit`) and process creation for running programs (that is `forklab-spawn`).
//!
//! Every `unsafe` block carries a `// SAFETY:` comment saying why it holds. Code that runs in
//! a forked child calls only async-signal-safe functions: no allocation, no locks, no panics.

pub(crate) mod race;
pub(crate) mod sched;
pub(crate) mod shm;
pub(crate) mod stack;

use std::io;

/// Turns the C convention "-1 and errno" into an `io::Result`.
fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}
