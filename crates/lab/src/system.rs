//! What machine a measurement was taken on: kernel release and CPU count, recorded with every
//! result because the answers depend on them.

use serde::{Deserialize, Serialize};

/// The kernel and CPUs a result was measured on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemInfo {
    /// `uname -r`.
    pub kernel: String,
    /// CPUs this process may run on.
    pub cpus: usize,
}

impl SystemInfo {
    /// Reads them now.
    pub fn current() -> SystemInfo {
        let uname = rustix::system::uname();
        SystemInfo {
            kernel: uname.release().to_string_lossy().into_owned(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// The machine a whole run of experiments was made on: the head of `forklab lab`'s report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// `uname -r`.
    pub kernel: String,
    /// `uname -m`.
    pub arch: String,
    /// `uname -n`.
    pub hostname: String,
    /// CPUs this process may run on.
    pub cpus: usize,
    /// Physical memory, bytes.
    pub memory_bytes: u64,
    /// The C library's version.
    pub glibc: String,
}

impl Machine {
    /// Reads them now.
    pub fn current() -> Machine {
        let uname = rustix::system::uname();
        let info = rustix::system::sysinfo();
        Machine {
            kernel: uname.release().to_string_lossy().into_owned(),
            arch: uname.machine().to_string_lossy().into_owned(),
            hostname: uname.nodename().to_string_lossy().into_owned(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes: (info.totalram as u64).saturating_mul(u64::from(info.mem_unit)),
            glibc: crate::sys::limits::libc_version(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_machine() {
        let m = super::Machine::current();
        assert!(m.cpus >= 1 && m.memory_bytes > 1 << 20, "{m:?}");
        assert!(m.glibc.starts_with("2."), "{m:?}");
        assert!(!m.kernel.is_empty() && !m.arch.is_empty());
    }
}
