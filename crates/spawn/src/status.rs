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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_the_shell_reports_it() {
        assert_eq!(WaitStatus::Exited(0).to_string(), "exit 0");
        assert_eq!(WaitStatus::Exited(127).to_string(), "exit 127");
        let killed = WaitStatus::Signaled {
            signal: Signal::KILL,
            core_dumped: false,
        };
        assert_eq!(killed.to_string(), "signal 9 (SIGKILL)");
        let dumped = WaitStatus::Signaled {
            signal: Signal::SEGV,
            core_dumped: true,
        };
        assert_eq!(dumped.to_string(), "signal 11 (SIGSEGV), core dumped");
        assert_eq!(Signal::new(35).unwrap().name(), "SIGRTMIN+1");
    }

    #[test]
    fn decodes_waitpid_status_words() {
        assert_eq!(WaitStatus::from_raw(3 << 8), WaitStatus::Exited(3));
        let raw = libc::SIGSEGV | 0x80;
        assert_eq!(
            WaitStatus::from_raw(raw),
            WaitStatus::Signaled {
                signal: Signal::SEGV,
                core_dumped: true
            }
        );
        assert!(WaitStatus::Exited(0).success() && !WaitStatus::Exited(1).success());
        assert_eq!(WaitStatus::Exited(1).code(), Some(1));
    }
}
