//! Fork-bomb prevention and detection.
//!
//! - [`cgroup`]: a cgroup (v2, or v1 pids with its freezer twin) that caps a command's tasks
//!   and ends every one of them without ever signalling a recycled pid.
//! - [`jail`]: `forklab jail`, a command run in such a group and cleaned up after.
//! - [`bomb`]: the article's fork bombs, which refuse to start unconfined.
//! - [`connector`]: every fork, exec, uid change and exit, read from the kernel's netlink
//!   process connector.
//! - [`detect`]: per-uid fork scores and live process counts, and when they say "bomb".
//! - [`respond`]: stop, then kill, every process of a uid, race-free.
//! - [`guard`]: the daemon's loop: events to detector to responder, incidents out.
//! - [`drill`]: `forklab guard drill`, the guard proven against the bombs.
//! - [`procfs`]: what `/proc` says about processes, read without stalling on a bomb.

pub mod bomb;
pub mod cgroup;
pub mod config;
pub mod connector;
pub mod detect;
pub mod drill;
pub mod guard;
pub mod jail;
pub mod metrics;
pub mod procfs;
mod reap;
pub mod respond;

#[allow(unsafe_code)]
mod sys;
#[cfg(test)]
mod testing;
