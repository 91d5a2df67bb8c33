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
//! - `signals`: dispositions, the mask, pending signals, the alternate signal stack.
//! - `timers`: `alarm(2)`, `setitimer(2)`, POSIX timers (`timer_create(2)`).
//! - `locks`: `fcntl(2)` record locks and `flock(2)` on descriptors named by number.
//! - `fds`: descriptors named by number (open?, offset, close-on-exec), adopting one.
//! - `attrs`: credentials, supplementary groups, scheduling policy, the environment.
//! - `memory`: anonymous mappings with `madvise(2)` advice, `mlock(2)`, reading them in place.
//! - `vfork`: a `clone(CLONE_VM|CLONE_VFORK)` child on a private stack that runs a function.
//! - `process`: `fork(2)` in a multi-threaded process (thread count only), `atexit(3)`.
//! - `limits`: `sysconf(_SC_ARG_MAX)`, and the C library's version.
//! - `errno`: the C convention "-1 and errno" as an `io::Result`.
//!
//! Deliberately not here: anything `rustix` wraps safely (CPU affinity, `memfd_create`,
//! `getrlimit`) and process creation for running programs (that is `forklab-spawn`).
//!
//! Every `unsafe` block carries a `// SAFETY:` comment saying why it holds. Code that runs in
//! a forked or `CLONE_VM` child calls only async-signal-safe functions or raw system calls: no
//! allocation, no lock, no panic. This module decides nothing: it reads and sets, the
//! experiments interpret.

pub(crate) mod attrs;
pub(crate) mod errno;
pub(crate) mod fds;
pub(crate) mod limits;
pub(crate) mod locks;
pub(crate) mod memory;
pub(crate) mod process;
pub(crate) mod race;
pub(crate) mod sched;
pub(crate) mod shm;
pub(crate) mod signals;
pub(crate) mod timers;
pub(crate) mod vfork;

use std::io;

/// Turns the C convention "-1 and errno" of an `int`-returning call into an `io::Result`.
fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    errno::cvt(ret.into()).map(|_| ret)
}
