//! Spawn failures that name the step that failed.
//!
//! A child that cannot exec tells its parent which step of its set-up failed and the `errno`,
//! so the caller gets `ENOENT while execve of "/nope"` instead of a child that silently exits
//! with 127. [`SpawnError`] travels inside the `io::Error` that spawning returns; its
//! [`io::ErrorKind`] is the one of the underlying `errno`.

use std::fmt;
use std::io;

/// A step between process creation and `execve(2)`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Creating the process itself (`fork`, `clone`, `clone3`).
    Create = 1,
    /// Writing the child into the requested cgroup's `cgroup.procs`.
    Cgroup,
    /// `setsid(2)`.
    Setsid,
    /// `setpgid(2)`.
    Setpgid,
    /// Installing a descriptor (`dup2(2)` or clearing `FD_CLOEXEC`).
    Fd,
    /// `setrlimit(2)`.
    Rlimit,
    /// `setgroups(2)`.
    Setgroups,
    /// `setgid(2)`.
    Setgid,
    /// `setuid(2)`.
    Setuid,
    /// `chdir(2)` to the requested working directory.
    Chdir,
    /// Resetting signal dispositions.
    Signals,
    /// Installing the signal mask.
    SignalMask,
    /// `execve(2)` itself.
    Exec,
    /// glibc's `posix_spawn(3)`, which does not say which of its steps failed.
    PosixSpawn,
    /// Preparing the spawn in the parent (pipes, `/dev/null`, the cgroup file).
    Prepare,
}

impl Step {
    const ALL: [Step; 15] = [
        Step::Create,
        Step::Cgroup,
        Step::Setsid,
        Step::Setpgid,
        Step::Fd,
        Step::Rlimit,
        Step::Setgroups,
        Step::Setgid,
        Step::Setuid,
        Step::Chdir,
        Step::Signals,
        Step::SignalMask,
        Step::Exec,
        Step::PosixSpawn,
        Step::Prepare,
    ];

    pub(crate) fn from_u32(n: u32) -> Option<Step> {
        Step::ALL.into_iter().find(|s| *s as u32 == n)
    }

    /// A short name, as used in messages: `execve`, `chdir`, `setuid`…
    pub fn name(self) -> &'static str {
        match self {
            Step::Create => "process creation",
            Step::Cgroup => "cgroup placement",
            Step::Setsid => "setsid",
            Step::Setpgid => "setpgid",
            Step::Fd => "dup2",
            Step::Rlimit => "setrlimit",
            Step::Setgroups => "setgroups",
            Step::Setgid => "setgid",
            Step::Setuid => "setuid",
            Step::Chdir => "chdir",
            Step::Signals => "signal reset",
            Step::SignalMask => "signal mask",
            Step::Exec => "execve",
            Step::PosixSpawn => "posix_spawn",
            Step::Prepare => "preparation",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a spawn failed: the step, the program, and the operating-system error.
#[derive(Debug)]
pub struct SpawnError {
    step: Step,
    program: String,
    source: io::Error,
}

impl SpawnError {
    pub(crate) fn new(step: Step, program: &[u8], source: io::Error) -> SpawnError {
        let program = String::from_utf8_lossy(program).into_owned();
        SpawnError {
            step,
            program,
            source,
        }
    }

    /// The step that failed.
    pub fn step(&self) -> Step {
        self.step
    }

    /// The program that was to be run, as given.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The `errno` of the failed call, when there is one.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.source.raw_os_error()
    }

    /// Wraps this error in an `io::Error` of the same kind as the underlying `errno`.
    pub fn into_io(self) -> io::Error {
        io::Error::new(self.source.kind(), self)
    }

    /// Finds the `SpawnError` inside an `io::Error` returned by this crate.
    pub fn from_io(error: &io::Error) -> Option<&SpawnError> {
        error.get_ref()?.downcast_ref::<SpawnError>()
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot run {:?}: {} failed: {}",
            self.program, self.step, self.source
        )
    }
}

/// The OS error is part of the message, so it is not also returned as `source()` (which would
/// make error reporters print it twice); [`SpawnError::raw_os_error`] gives the number.
impl std::error::Error for SpawnError {}
