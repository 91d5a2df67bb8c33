//! The only place in `forklab-guard` with `unsafe` code: thin wrappers over the system calls
//! no crate wraps safely, one file per syscall family. Every block has a `// SAFETY:` comment.
//!
//! - `netlink`: `recvmmsg(2)` on the process-connector socket, with each datagram's sender.

pub(crate) mod netlink;
