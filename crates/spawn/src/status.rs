//! How a child ended (or stopped, or continued), decoded from what the kernel reports.

use crate::Signal;
use std::fmt;

/// A child's state change, as `waitid(2)` or a `waitpid(2)` status word reports it.
///
/// The spawn library waits only for children that ended, so its own results are `Exited` or
/// `Signaled`; the other variants come from decoding status words of other origins
/// ([`WaitStatus::from_raw`], a `std::process::ExitStatus`). Nothing is guessed: a word that
/// decodes to none of them is kept as `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    /// A signal stopped it (`WIFSTOPPED`): it can still be continued.
    Stopped(Signal),
    /// `SIGCONT` resumed it (`WIFCONTINUED`).
    Continued,
    /// A status word that is none of the above (never produced by the kernel): the word.
    Unknown(i32),
}

impl WaitStatus {
    /// From the `si_code` and `si_status` of a `waitid` result.
    pub(crate) fn from_siginfo(code: i32, status: i32) -> WaitStatus {
        let signal = Signal::new(status);
        match (code, signal) {
            (libc::CLD_EXITED, _) => WaitStatus::Exited(status),
            (libc::CLD_KILLED | libc::CLD_DUMPED, Some(signal)) => WaitStatus::Signaled {
                signal,
                core_dumped: code == libc::CLD_DUMPED,
            },
            (libc::CLD_STOPPED | libc::CLD_TRAPPED, Some(signal)) => WaitStatus::Stopped(signal),
            (libc::CLD_CONTINUED, _) => WaitStatus::Continued,
            _ => WaitStatus::Unknown(status),
        }
    }

    /// From a `waitpid(2)` status word (as `std::os::unix::process::ExitStatusExt::from_raw`
    /// takes it).
    pub fn from_raw(raw: i32) -> WaitStatus {
        let low = raw & 0x7f;
        let decoded = if low == 0 {
            Some(WaitStatus::Exited((raw >> 8) & 0xff))
        } else if raw == 0xffff {
            Some(WaitStatus::Continued)
        } else if raw & 0xff == 0x7f {
            Signal::new((raw >> 8) & 0xff).map(WaitStatus::Stopped)
        } else {
            Signal::new(low).map(|signal| WaitStatus::Signaled {
                signal,
                core_dumped: raw & 0x80 != 0,
            })
        };
        match decoded {
            Some(status) if status.into_raw() == raw => status,
            _ => WaitStatus::Unknown(raw),
        }
    }

    /// The `waitpid(2)` status word for this status; `from_raw(s.into_raw()) == s`.
    pub fn into_raw(self) -> i32 {
        match self {
            WaitStatus::Exited(code) => (code & 0xff) << 8,
            WaitStatus::Signaled {
                signal,
                core_dumped,
            } => signal.as_raw() | if core_dumped { 0x80 } else { 0 },
            WaitStatus::Stopped(signal) => (signal.as_raw() << 8) | 0x7f,
            WaitStatus::Continued => 0xffff,
            WaitStatus::Unknown(raw) => raw,
        }
    }

    /// Exited with code 0.
    pub fn success(&self) -> bool {
        *self == WaitStatus::Exited(0)
    }

    /// `Ok(())` if it exited with code 0, else an error that says how it ended (as
    /// `std::process::ExitStatus::exit_ok`).
    pub fn exit_ok(&self) -> Result<(), ExitStatusError> {
        if self.success() {
            Ok(())
        } else {
            Err(ExitStatusError(*self))
        }
    }

    /// The exit code, if it exited.
    pub fn code(&self) -> Option<i32> {
        match self {
            WaitStatus::Exited(code) => Some(*code),
            _ => None,
        }
    }

    /// The signal that killed it, if one did.
    pub fn signal(&self) -> Option<Signal> {
        match self {
            WaitStatus::Signaled { signal, .. } => Some(*signal),
            _ => None,
        }
    }

    /// The signal that stopped it, if it is stopped.
    pub fn stopped_signal(&self) -> Option<Signal> {
        match self {
            WaitStatus::Stopped(signal) => Some(*signal),
            _ => None,
        }
    }

    /// Whether it was continued by `SIGCONT`.
    pub fn continued(&self) -> bool {
        *self == WaitStatus::Continued
    }

    /// Whether a signal killed it and it left a core dump.
    pub fn core_dumped(&self) -> bool {
        matches!(
            self,
            WaitStatus::Signaled {
                core_dumped: true,
                ..
            }
        )
    }
}

/// `exit 0`, `signal 9 (SIGKILL)`, `signal 11 (SIGSEGV), core dumped`, `stopped by signal 19
/// (SIGSTOP)`, `continued`, `unknown wait status 0x7e`.
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
            WaitStatus::Stopped(signal) => write!(f, "stopped by signal {signal}"),
            WaitStatus::Continued => f.write_str("continued"),
            WaitStatus::Unknown(raw) => write!(f, "unknown wait status {raw:#x}"),
        }
    }
}

impl From<WaitStatus> for std::process::ExitStatus {
    fn from(status: WaitStatus) -> std::process::ExitStatus {
        std::os::unix::process::ExitStatusExt::from_raw(status.into_raw())
    }
}

impl From<std::process::ExitStatus> for WaitStatus {
    fn from(status: std::process::ExitStatus) -> WaitStatus {
        WaitStatus::from_raw(std::os::unix::process::ExitStatusExt::into_raw(status))
    }
}

/// A status that is not "exited with code 0", from [`WaitStatus::exit_ok`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitStatusError(WaitStatus);

impl ExitStatusError {
    /// How the child ended.
    pub fn status(&self) -> WaitStatus {
        self.0
    }

    /// The exit code, if it exited (non-zero, then).
    pub fn code(&self) -> Option<i32> {
        self.0.code()
    }
}

impl fmt::Display for ExitStatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process ended unsuccessfully: {}", self.0)
    }
}

impl std::error::Error for ExitStatusError {}

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

    #[test]
    fn stopped_continued_and_odd_words_are_never_a_kill() {
        assert_eq!(
            WaitStatus::from_raw(0x137f),
            WaitStatus::Stopped(Signal::STOP)
        );
        assert_eq!(
            WaitStatus::from_raw(0x137f).to_string(),
            "stopped by signal 19 (SIGSTOP)"
        );
        assert_eq!(WaitStatus::from_raw(0xffff), WaitStatus::Continued);
        assert_eq!(WaitStatus::from_raw(0xffff).signal(), None);
        // A termination signal past the last one, and a stop by signal 0: no such thing.
        for odd in [0x7e, 0x007f, 0x10000] {
            assert_eq!(
                WaitStatus::from_raw(odd),
                WaitStatus::Unknown(odd),
                "{odd:#x}"
            );
        }
        assert_eq!(
            WaitStatus::from_raw(0x7e).to_string(),
            "unknown wait status 0x7e"
        );
    }

    #[test]
    fn raw_words_and_std_exit_statuses_round_trip() {
        use std::os::unix::process::ExitStatusExt;
        for raw in [
            0,
            3 << 8,
            255 << 8,
            9,
            11 | 0x80,
            0x137f,
            0x057f,
            0xffff,
            0x7e,
        ] {
            let status = WaitStatus::from_raw(raw);
            assert_eq!(status.into_raw(), raw, "{raw:#x}");
            let std_status = std::process::ExitStatus::from(status);
            assert_eq!(std_status.into_raw(), raw);
            assert_eq!(WaitStatus::from(std_status), status);
            assert_eq!(std_status.code(), status.code());
            if let WaitStatus::Unknown(_) = status {
                continue; // std decodes any number as a signal; we claim none
            }
            assert_eq!(std_status.signal(), status.signal().map(Signal::as_raw));
            assert_eq!(
                std_status.stopped_signal(),
                status.stopped_signal().map(Signal::as_raw)
            );
            assert_eq!(std_status.continued(), status.continued());
            assert_eq!(std_status.core_dumped(), status.core_dumped());
        }
    }

    #[test]
    fn exit_ok_is_ok_only_for_exit_0() {
        assert_eq!(WaitStatus::Exited(0).exit_ok(), Ok(()));
        let failed = WaitStatus::Exited(3).exit_ok().unwrap_err();
        assert_eq!(failed.code(), Some(3));
        assert_eq!(failed.to_string(), "process ended unsuccessfully: exit 3");
        let killed = WaitStatus::from_raw(9).exit_ok().unwrap_err();
        assert_eq!(killed.code(), None);
        assert_eq!(killed.status().signal(), Some(Signal::KILL));
    }
}
