//! Resident, dirty memory that makes a parent process "large", as in the fork-cost plots.
//!
//! Every page is written, so fork has that many page-table entries to copy. A size that does
//! not fit is refused up front, instead of letting the OOM killer end the measurement without
//! a word: it must fit in `MemAvailable` and in what the cgroups of this process still allow
//! (see [`crate::cgroup_memory`]), each less some headroom.

use crate::cgroup_memory::{self, CgroupLimit};
use thiserror::Error;

const MIB: usize = 1 << 20;
/// Memory left for everything else when checking a request against `MemAvailable`.
const HEADROOM_MIB: u64 = 256;
/// Memory kept free under a cgroup's limit for the programs the measurement spawns (a fork
/// child's copy of the page tables, the program itself) and this process's own growth. Less
/// than for the whole machine: what else runs in the cgroup is already in its usage.
pub const CGROUP_HEADROOM_MIB: u64 = 64;

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
    /// More than a cgroup of this process allows: past its limit the OOM killer ends the
    /// process.
    #[error(
        "cannot make the parent {mib} MiB: the cgroup {cgroup} allows {room_mib} MiB more \
         ({file} {limit_mib} MiB, {in_use_mib} MiB in use) and {CGROUP_HEADROOM_MIB} MiB must \
         stay free for the programs spawned"
    )]
    OverCgroupLimit {
        /// Requested size.
        mib: u64,
        /// The cgroup whose limit binds, as `/proc/self/cgroup` names it.
        cgroup: String,
        /// The file of its limit: `memory.limit_in_bytes` (v1) or `memory.max` (v2).
        file: &'static str,
        /// The limit, MiB.
        limit_mib: u64,
        /// Charged to it, less reclaimable file cache, MiB.
        in_use_mib: u64,
        /// The limit less what is in use, MiB.
        room_mib: u64,
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

/// Whether `mib` MiB more fit in this process's memory: in `MemAvailable` less
/// 256 MiB, and in every cgroup limit above it less [`CGROUP_HEADROOM_MIB`]. The error
/// names whichever leaves the least.
pub fn check(mib: u64) -> Result<(), BallastError> {
    check_against(mib, available_mib(), cgroup_memory::current())
}

/// [`check`] against given figures: `MemAvailable` in MiB, the tightest cgroup limit.
pub fn check_against(
    mib: u64,
    available_mib: Option<u64>,
    cgroup: Option<CgroupLimit>,
) -> Result<(), BallastError> {
    let machine = available_mib.map(|a| a.saturating_sub(HEADROOM_MIB));
    let room_mib = |c: &CgroupLimit| c.room() / MIB as u64;
    let in_cgroup = cgroup
        .as_ref()
        .map(|c| room_mib(c).saturating_sub(CGROUP_HEADROOM_MIB));
    let usable = machine.into_iter().chain(in_cgroup).min();
    if usable.is_none_or(|usable| mib <= usable) {
        return Ok(());
    }
    match cgroup {
        Some(c) if in_cgroup == usable => Err(BallastError::OverCgroupLimit {
            mib,
            room_mib: room_mib(&c),
            file: c.version.limit_file(),
            limit_mib: c.limit / MIB as u64,
            in_use_mib: c.in_use / MIB as u64,
            cgroup: c.cgroup,
        }),
        _ => Err(BallastError::TooLarge {
            mib,
            available_mib: machine.unwrap_or(0),
        }),
    }
}

impl Ballast {
    /// Allocates `mib` MiB and writes every page, once [`check`] says they fit.
    pub fn new(mib: u64) -> Result<Ballast, BallastError> {
        if mib > 0 {
            check(mib)?;
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

    fn limit(cgroup: &str, limit_mib: u64, in_use_mib: u64) -> Option<CgroupLimit> {
        Some(CgroupLimit {
            cgroup: cgroup.into(),
            version: cgroup_memory::Version::V2,
            limit: limit_mib << 20,
            in_use: in_use_mib << 20,
        })
    }

    #[test]
    fn the_tighter_of_the_machine_and_the_cgroups_binds_and_is_named() {
        assert!(check_against(700, Some(1000), None).is_ok());
        assert!(check_against(700, None, limit("/a", 1000, 200)).is_ok());
        assert!(check_against(1 << 40, None, None).is_ok());
        let err = check_against(800, Some(1000), limit("/a", 10_000, 0)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot make the parent 800 MiB: only 744 MiB of memory is available"
        );
        let err = check_against(1024, Some(100_000), limit("/foo", 1024, 512)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot make the parent 1024 MiB: the cgroup /foo allows 512 MiB more (memory.max \
             1024 MiB, 512 MiB in use) and 64 MiB must stay free for the programs spawned"
        );
        // The headroom counts: 512 MiB more is not room for 500.
        assert!(check_against(500, None, limit("/foo", 1024, 512)).is_err());
        assert!(check_against(448, None, limit("/foo", 1024, 512)).is_ok());
        let err = check_against(256, Some(100), limit("/b", 64, 80)).unwrap_err();
        assert!(
            err.to_string().contains("the cgroup /b allows 0 MiB more"),
            "{err}"
        );
    }

    #[test]
    fn holds_the_requested_size() {
        assert_eq!(Ballast::new(3).unwrap().mib(), 3);
        assert_eq!(Ballast::new(0).unwrap().mib(), 0);
    }
}
