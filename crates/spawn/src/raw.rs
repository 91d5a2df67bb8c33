//! Low-level primitives for experiments that study process creation itself, not for
//! spawning programs: an unchecked `fork`, a `clone` child running a function of yours, and
//! the small system calls around them. [`crate::Command`] needs none of these.
//!
//! Each one hands the caller a responsibility the rest of the crate carries for them (a child
//! that must stay async-signal-safe, a pid that must be reaped), which is why they live here
//! and not at the crate root.

pub use crate::fork::{exit_now, thread_count, wait_pid};
pub use crate::sys::clone::{CloneMemory, clone_run};
pub use crate::sys::fd::is_cloexec;
pub use crate::sys::fork::fork_unchecked;
