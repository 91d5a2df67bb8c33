//! The only place in `forklab-guard` with `unsafe` code: thin wrappers over the system calls
//! no crate wraps safely, one file per syscall family. Every block has a `// SAFETY:` comment.
//!
//! - `netlink`: `recvmmsg(2)` on the process-connector socket, with each datagram's sender.
//! - `sched`: real-time priority and locked memory for whatever must outrun a bomb.
//! - `uid_signal`: `kill(-1)` with one user's credentials, on one thread.
//! - `bomb`: the body of `for (;;) fork();`.

pub(crate) mod bomb;
pub(crate) mod netlink;
pub(crate) mod sched;
pub(crate) mod uid_signal;
