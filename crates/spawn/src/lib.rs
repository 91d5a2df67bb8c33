//! Process creation for Linux with explicit strategies, measured and safe.
//!
//! `forklab-spawn` creates processes the way the classic texts describe, and says which way
//! it used: [`Strategy::ForkExec`] (`fork` then `execve`), [`Strategy::VforkExec`] (a
//! `clone(CLONE_VM|CLONE_VFORK)` child on its own stack), [`Strategy::PosixSpawn`] (glibc),
//! [`Strategy::Clone3`] (`clone3` with a pidfd from birth), and [`Strategy::Auto`], the fastest
//! that can honour the request. The cost of the vfork-style strategies does not grow with the
//! parent's memory; fork's does.
//!
//! ```no_run
//! use forklab_spawn::{Command, Signal, Stdio, Strategy};
//!
//! let mut child = Command::new("sleep")
//!     .arg("10")
//!     .stdin(Stdio::null())
//!     .strategy(Strategy::Auto)
//!     .spawn()?;
//! println!("pid {} created by {}", child.id(), child.strategy());
//! child.kill(Signal::KILL)?;
//! println!("{}", child.wait()?); // "signal 9 (SIGKILL)"
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! A failure between process creation and exec (no such program, a bad working directory, a
//! refused `setuid`) comes back from `spawn` as a [`SpawnError`] that names the [`Step`] (and
//! converts into the `io::Error` std would give). Between creation and exec the child
//! allocates nothing, takes no lock and cannot unwind.
//!
//! Also here: the exec family ([`exec`]), a checked [`fork()`], [`WaitStatus`], an owned
//! [`PidFd`], and, for experiments on process creation itself, the primitives in [`raw`].
//!
//! Coming from `std::process`: a spawn failure converts into the `io::Error` std would give
//! (same `raw_os_error()`), [`Command::pre_exec`], [`Command::fd`], [`Child::pidfd`] and
//! [`Child::into_pidfd`] behave as std's Unix extensions do, and [`WaitStatus`] converts to and
//! from `std::process::ExitStatus`. What differs is said where it differs.
//!
//! Supported targets: Linux on x86-64 and AArch64 (the child's raw `setuid`/`setgroups` take
//! 32-bit ids and its `rt_sigaction` uses the 64-signal layout with `sa_restorer`; other
//! targets fail to compile rather than run with the wrong layout). `Clone3` needs x86-64;
//! elsewhere it reports `Unsupported` and `Auto` uses `VforkExec`.
//!
//! All `unsafe` code is in the private `sys` module, one file per system-call family.
#![deny(missing_docs)]

mod child;
mod command;
mod env;
mod error;
pub mod exec;
mod fork;
mod pid;
mod pidfd;
mod prepare;
pub mod raw;
mod refusal;
mod rlimit;
mod signal;
mod spawn;
mod status;
mod stdio;
mod strategy;
#[allow(unsafe_code)]
mod sys;

pub use child::{Child, Output};
pub use command::Command;
pub use error::{SpawnError, Step};
pub use fork::{Fork, fork};
pub use pid::{Identity, Pid};
pub use pidfd::PidFd;
pub use rlimit::{Resource, Rlimit};
pub use signal::Signal;
pub use status::{ExitStatusError, WaitStatus};
pub use stdio::Stdio;
pub use strategy::{Strategy, UnknownStrategy};
