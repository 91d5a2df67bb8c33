//! The only place in `forklab-lab` with `unsafe` code: thin wrappers over the system calls the
//! inheritance and exec-limit experiments need and that neither `rustix` nor `forklab-spawn`
//! offers safely. One file per syscall family:
//!
//! - `signals`: dispositions, the mask, pending signals, the alternate signal stack.
//! - `timers`: `alarm(2)`, `setitimer(2)`, POSIX timers (`timer_create(2)`).
//! - `locks`: `fcntl(2)` record locks and `flock(2)` on descriptors named by number.
//! - `fds`: descriptors named by number (open?, offset, close-on-exec), adopting one.
//! - `attrs`: credentials, supplementary groups, scheduling policy, the environment.
//! - `memory`: anonymous mappings with `madvise(2)` advice, `mlock(2)`, reading them in place.
//! - `vfork`: a `clone(CLONE_VM|CLONE_VFORK)` child on a private stack that runs a function.
//! - `process`: `fork(2)` in a multi-threaded process (thread count only), `atexit(3)`.
//! - `limits`: `sysconf(_SC_ARG_MAX)`.
//! - `errno`: the C convention "-1 and errno" as an `io::Result`.
//!
//! Every reader that a `CLONE_VM` child may call is a raw system call (`libc::syscall` or
//! `rustix`, which issues system calls itself): no allocation, no lock, no panic. Every
//! `unsafe` block carries a `// SAFETY:` comment saying why it holds. This module deliberately
//! does not decide anything: it reads and sets, the experiments interpret.

pub(crate) mod attrs;
pub(crate) mod errno;
pub(crate) mod fds;
pub(crate) mod limits;
pub(crate) mod locks;
pub(crate) mod memory;
pub(crate) mod process;
pub(crate) mod signals;
pub(crate) mod timers;
pub(crate) mod vfork;
