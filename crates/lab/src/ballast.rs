//! Resident, dirty memory that makes a parent process "large", as in the fork-cost plots.
//!
//! Every page is written, so fork has that many page-table entries to copy. A size the machine
//! cannot hold is refused up front (from `MemAvailable`), instead of letting the OOM killer
//! end the measurement.

use thiserror::Error;

const MIB: usize = 1 << 20;
/// Memory left for everything else when checking a request against `MemAvailable`.
const HEADROOM_MIB: u64 = 256;

/// The largest size asked for in MiB whose bytes a `u64` can count.
pub const MAX_MIB: u64 = u64::MAX >> 20;

/// Memory held and dirtied for as long as this value lives.
pub struct Ballast {
    bytes: Vec<u8>,
}

/// Why ballast could not be allocated.
#[derive(Debug, Error)]
pub enum BallastError {
    /// More than the machine has available.
    #[error("cannot make the parent {mib} MiB: only {available_mib} MiB of memory is available")]
    TooLarge {
        /// Requested size.
        mib: u64,
        /// `MemAvailable` minus headroom.
        available_mib: u64,
    },
    /// The allocator refused.
    #[error(
        "cannot allocate {mib} MiB: the allocator refused (out of memory, or an address-space limit such as ulimit -v)"
    )]
    Alloc {
        /// Requested size.
        mib: u64,
    },
}

impl Ballast {
    /// Allocates `mib` MiB and writes every page.
    pub fn new(mib: u64) -> Result<Ballast, BallastError> {
        if let Some(available) = available_mib() {
            let usable = available.saturating_sub(HEADROOM_MIB);
            if mib > usable {
                return Err(BallastError::TooLarge {
                    mib,
                    available_mib: usable,
                });
            }
        }
        let len = usize::try_from(mib).ok().and_then(|m| m.checked_mul(MIB));
        let len = len.ok_or(BallastError::Alloc { mib })?;
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(len)
            .map_err(|_| BallastError::Alloc { mib })?;
        bytes.resize(len, 1);
        Ok(Ballast { bytes })
    }

    /// Size in MiB.
    pub fn mib(&self) -> u64 {
        (self.bytes.len() / MIB) as u64
    }
}

/// `MemAvailable` from `/proc/meminfo`, in MiB.
pub fn available_mib() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_more_than_the_machine_has() {
        let err = Ballast::new(u64::MAX / MIB as u64).err().unwrap();
        assert!(
            err.to_string().starts_with("cannot make the parent"),
            "{err}"
        );
    }

    #[test]
    fn holds_the_requested_size() {
        assert_eq!(Ballast::new(3).unwrap().mib(), 3);
        assert_eq!(Ballast::new(0).unwrap().mib(), 0);
    }
}
