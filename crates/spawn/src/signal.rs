//! Signal numbers with their names, for killing children and describing how they died.

use std::fmt;

/// A signal number (`SIGKILL` is `Signal::KILL`, `Signal::new(9)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(i32);

macro_rules! signals {
    ($($konst:ident = $libc:ident),* $(,)?) => {
        impl Signal {
            $(
                #[doc = concat!("`", stringify!($libc), "`")]
                pub const $konst: Signal = Signal(libc::$libc);
            )*
        }
        const NAMES: &[(i32, &str)] = &[$((libc::$libc, stringify!($libc))),*];
    };
}

signals! {
    HUP = SIGHUP, INT = SIGINT, QUIT = SIGQUIT, ILL = SIGILL, TRAP = SIGTRAP, ABRT = SIGABRT,
    BUS = SIGBUS, FPE = SIGFPE, KILL = SIGKILL, USR1 = SIGUSR1, SEGV = SIGSEGV, USR2 = SIGUSR2,
    PIPE = SIGPIPE, ALRM = SIGALRM, TERM = SIGTERM, STKFLT = SIGSTKFLT, CHLD = SIGCHLD,
    CONT = SIGCONT, STOP = SIGSTOP, TSTP = SIGTSTP, TTIN = SIGTTIN, TTOU = SIGTTOU, URG = SIGURG,
    XCPU = SIGXCPU, XFSZ = SIGXFSZ, VTALRM = SIGVTALRM, PROF = SIGPROF, WINCH = SIGWINCH,
    IO = SIGIO, PWR = SIGPWR, SYS = SIGSYS,
}

impl Signal {
    /// A signal by number; `None` outside 1..=64.
    pub fn new(number: i32) -> Option<Signal> {
        (1..=64).contains(&number).then_some(Signal(number))
    }

    /// The number, as the kernel sees it.
    pub fn as_raw(self) -> i32 {
        self.0
    }

    /// `SIGKILL`, `SIGRTMIN+3`, or `SIG42` for a number with no name.
    pub fn name(self) -> String {
        if let Some((_, name)) = NAMES.iter().find(|(n, _)| *n == self.0) {
            return (*name).to_string();
        }
        let rtmin = libc::SIGRTMIN();
        if self.0 >= rtmin && self.0 <= libc::SIGRTMAX() {
            return format!("SIGRTMIN+{}", self.0 - rtmin);
        }
        format!("SIG{}", self.0)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.name())
    }
}
