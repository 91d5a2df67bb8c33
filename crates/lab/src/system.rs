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
