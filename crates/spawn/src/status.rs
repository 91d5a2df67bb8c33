//! How a child ended.

use crate::Signal;
use std::fmt;

/// The end of a child process, as `waitid(2)` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitStatus {
    /// It called `_exit(code)` (only the low 8 bits reach the parent).
    Exited(i32),
    /// A signal killed it.
    Signaled {
        /// The signal.
        signal: Signal,
        /// Whether it left a core dump.
        core_dumped: bool,
    },
}

impl WaitStatus {
    /// From the `si_code` and `si_status` of a `waitid` result.
    pub(crate) fn from_siginfo(code: i32, status: i32) -> WaitStatus {
        match code {
            libc::CLD_EXITED => WaitStatus::Exited(status),
            _ => WaitStatus::Signaled {
                signal: Signal::new(status).unwrap_or(Signal::KILL),
                core_dumped: code == libc::CLD_DUMPED,
            },
        }
    }

    /// From a `waitpid(2)` status word.
    pub fn from_raw(raw: i32) -> WaitStatus {
        if libc::WIFEXITED(raw) {
            WaitStatus::Exited(libc::WEXITSTATUS(raw))
        } else {
            WaitStatus::Signaled {
                signal: Signal::new(libc::WTERMSIG(raw)).unwrap_or(Signal::KILL),
                core_dumped: libc::WCOREDUMP(raw),
            }
        }
    }

    /// Exited with code 0.
    pub fn success(&self) -> bool {
        *self == WaitStatus::Exited(0)
    }

    /// The exit code, if it exited.
    pub fn code(&self) -> Option<i32> {
        match self {
            WaitStatus::Exited(code) => Some(*code),
            WaitStatus::Signaled { .. } => None,
        }
    }

    /// The signal that killed it, if one did.
    pub fn signal(&self) -> Option<Signal> {
        match self {
            WaitStatus::Signaled { signal, .. } => Some(*signal),
            WaitStatus::Exited(_) => None,
        }
    }
}

/// `exit 0`, `signal 9 (SIGKILL)`, `signal 11 (SIGSEGV), core dumped`.
impl fmt::Display for WaitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitStatus::Exited(code) => write!(f, "exit {code}"),
            WaitStatus::Signaled {
                signal,
                core_dumped,
            } => {
                write!(f, "signal {signal}")?;
                if *core_dumped {
                    f.write_str(", core dumped")?;
                }
                Ok(())
            }
        }
    }
}
