//! How a child is created. Each strategy is a different system interface with a different
//! cost; `Auto` takes the fastest one this kernel and this request allow.

use std::fmt;
use std::str::FromStr;

/// The system interface used to create a child.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// The fastest available one that honours the request: `clone3` as `Clone3` does it but
    /// without a pidfd at spawn (unless [`crate::Command::pidfd`] asks), else `VforkExec`;
    /// `ForkExec` for a command with a [`crate::Command::pre_exec`] hook, which must run in a
    /// copy of this process.
    #[default]
    Auto,
    /// `fork(2)` then `execve(2)`: copies the parent's page tables, so it slows down as the
    /// parent grows. A fork through `clone3` when a pidfd or a cgroup v2 placement is asked
    /// for, to have them from the child's birth.
    ForkExec,
    /// `clone(CLONE_VM|CLONE_VFORK)` on a private stack: no copy, the parent waits for exec.
    VforkExec,
    /// glibc's `posix_spawn(3)`. Cannot change credentials, rlimits or cgroups, nor run hooks;
    /// does not run a file without `#!` with `/bin/sh` (glibc dropped that), and a failure does
    /// not say which step failed. A bare program name is found in `PATH` by this process
    /// before the call (see [`crate::Command::new`]).
    PosixSpawn,
    /// `clone3(CLONE_VM|CLONE_VFORK|CLONE_PIDFD|CLONE_CLEAR_SIGHAND)`: like `VforkExec`, with a
    /// pidfd from birth and the signal handlers reset by the kernel, so the parent blocks no
    /// signals and the child makes one `sigaction` call (`SIGPIPE`, which the Rust runtime
    /// ignores, back to its default) instead of one per caught signal (Linux 5.5, x86-64).
    Clone3,
}

impl Strategy {
    /// Every strategy, `Auto` first.
    pub const ALL: [Strategy; 5] = [
        Strategy::Auto,
        Strategy::ForkExec,
        Strategy::VforkExec,
        Strategy::PosixSpawn,
        Strategy::Clone3,
    ];

    /// The name used on the command line and in JSON: `auto`, `fork-exec`, `vfork-exec`,
    /// `posix-spawn`, `clone3`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Auto => "auto",
            Strategy::ForkExec => "fork-exec",
            Strategy::VforkExec => "vfork-exec",
            Strategy::PosixSpawn => "posix-spawn",
            Strategy::Clone3 => "clone3",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown strategy name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStrategy(pub String);

impl fmt::Display for UnknownStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = Strategy::ALL.iter().map(|s| s.name()).collect();
        write!(
            f,
            "unknown strategy {:?} (expected one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownStrategy {}

impl FromStr for Strategy {
    type Err = UnknownStrategy;

    fn from_str(s: &str) -> Result<Strategy, UnknownStrategy> {
        Strategy::ALL
            .into_iter()
            .find(|strategy| strategy.name() == s)
            .ok_or_else(|| UnknownStrategy(s.to_string()))
    }
}
