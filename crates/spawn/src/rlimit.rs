//! Resource limits to set in a child (`setrlimit(2)`).

/// A resource that `setrlimit(2)` limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `RLIMIT_AS`: address-space size.
    As,
    /// `RLIMIT_CORE`: core file size.
    Core,
    /// `RLIMIT_CPU`: CPU seconds.
    Cpu,
    /// `RLIMIT_DATA`: data segment size.
    Data,
    /// `RLIMIT_FSIZE`: file size.
    Fsize,
    /// `RLIMIT_MEMLOCK`: locked memory.
    Memlock,
    /// `RLIMIT_NOFILE`: open descriptors.
    Nofile,
    /// `RLIMIT_NPROC`: processes of the real user ID (`ulimit -u`).
    Nproc,
    /// `RLIMIT_STACK`: main-thread stack size; also bounds execve's argument space.
    Stack,
}

impl Resource {
    /// The `RLIMIT_*` number.
    pub fn as_raw(self) -> i32 {
        (match self {
            Resource::As => libc::RLIMIT_AS,
            Resource::Core => libc::RLIMIT_CORE,
            Resource::Cpu => libc::RLIMIT_CPU,
            Resource::Data => libc::RLIMIT_DATA,
            Resource::Fsize => libc::RLIMIT_FSIZE,
            Resource::Memlock => libc::RLIMIT_MEMLOCK,
            Resource::Nofile => libc::RLIMIT_NOFILE,
            Resource::Nproc => libc::RLIMIT_NPROC,
            Resource::Stack => libc::RLIMIT_STACK,
        }) as i32
    }
}

/// A soft and a hard limit; `None` is unlimited (`RLIM_INFINITY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rlimit {
    /// The limit the kernel enforces.
    pub soft: Option<u64>,
    /// The ceiling up to which an unprivileged process may raise `soft`.
    pub hard: Option<u64>,
}

impl Rlimit {
    /// The same soft and hard limit.
    pub fn both(limit: Option<u64>) -> Rlimit {
        Rlimit {
            soft: limit,
            hard: limit,
        }
    }

    pub(crate) fn to_raw(self) -> libc::rlimit64 {
        libc::rlimit64 {
            rlim_cur: self.soft.unwrap_or(libc::RLIM64_INFINITY),
            rlim_max: self.hard.unwrap_or(libc::RLIM64_INFINITY),
        }
    }
}
