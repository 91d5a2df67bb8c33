//! Spawn failures that name the step that failed.
//!
//! A child that cannot exec tells its parent which step of its set-up failed and the `errno`,
//! so the caller gets `cannot run "/nope": execve failed: No such file or directory` instead
//! of a child that silently exits with 127. `spawn` returns a [`SpawnError`]; converted into
//! an `io::Error` it is what `std::process::Command` would have returned.

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
    /// A hook given to [`crate::Command::pre_exec`].
    PreExec,
}

impl Step {
    const ALL: [Step; 16] = [
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
        Step::PreExec,
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
            Step::PreExec => "pre_exec hook",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a spawn failed: the step, the program, and the operating-system error.
///
/// `spawn` returns it directly, so the step is always at hand; it converts into an
/// `io::Error` the way `std::process::Command` reports the same failure (for an OS error,
/// [`io::Error::raw_os_error`] is the `errno`: `Some(2)` for a missing program), so `?` in
/// a function returning `io::Result` works as with std. `Display` names the program and the
/// step; [`std::error::Error::source`] is the cause (the OS error, or why the command was
/// refused), so error reporters print `cannot run "/nope": execve failed: No such file or
/// directory (os error 2)` without repeating anything (`{:#}` prints the same line).
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

    /// The same failure, attributed to another step.
    pub(crate) fn at_step(self, step: Step) -> SpawnError {
        SpawnError { step, ..self }
    }

    /// The step that failed.
    pub fn step(&self) -> Step {
        self.step
    }

    /// The program that was to be run, as given.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The `errno` of the failed call, when there is one (as [`io::Error::raw_os_error`]).
    pub fn raw_os_error(&self) -> Option<i32> {
        self.source.raw_os_error()
    }

    /// The kind of the underlying error (as [`io::Error::kind`]): `NotFound` for a missing
    /// program, `InvalidInput` for a command that cannot be spawned as built, `Unsupported`
    /// for a request the strategy cannot honour.
    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// The cause: the OS error, or the reason the command was refused.
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }

    /// The same failure as `std::process::Command` reports it: for an OS error an
    /// `io::Error` holding just the `errno`; otherwise an `io::Error` of the same kind that
    /// carries this `SpawnError` (found again with [`SpawnError::from_io`]).
    pub fn into_io(self) -> io::Error {
        match self.source.raw_os_error() {
            Some(errno) => io::Error::from_raw_os_error(errno),
            None => io::Error::new(self.source.kind(), self),
        }
    }

    /// Finds the `SpawnError` inside an `io::Error` made by [`SpawnError::into_io`] (one
    /// without an `errno`).
    pub fn from_io(error: &io::Error) -> Option<&SpawnError> {
        error.get_ref()?.downcast_ref::<SpawnError>()
    }
}

/// `cannot run "/nope": execve failed`; with `{:#}`, the cause follows: `…: No such file or
/// directory (os error 2)` (error reporters that walk [`std::error::Error::source`] get it
/// from there).
impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot run {:?}: {} failed", self.program, self.step)?;
        if f.alternate() {
            write!(f, ": {}", self.source)?;
        }
        Ok(())
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl From<SpawnError> for io::Error {
    fn from(error: SpawnError) -> io::Error {
        error.into_io()
    }
}
