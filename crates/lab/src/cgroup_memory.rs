//! How much more memory the cgroups of this process allow it: the memory limit of its own
//! cgroup and of every ancestor (a limit binds everything below it), less what each has in
//! use. `MemAvailable` says what the machine has; in a container or a limited cgroup the
//! limit binds first, and going past it gets the process OOM-killed, without a word.
//!
//! cgroup v1: the `memory` controller's line of `/proc/self/cgroup` (`4:memory:/a/b`),
//! its hierarchy's mount from `/proc/self/mountinfo`, `memory.limit_in_bytes`,
//! `memory.usage_in_bytes` and `total_inactive_file` of `memory.stat`. cgroup v2: the
//! `0::/a/b` line, the `cgroup2` mount, `memory.max` (`max`: no limit), `memory.current`
//! and `inactive_file`. Inactive file cache is counted as free: the kernel reclaims it
//! before it kills anything, and counting it would refuse sizes that fit.
//!
//! Everything here is a function of text and paths (the mount points come from the
//! mountinfo text), so it is tested on fixture directories. Only [`current`] reads `/proc`.
//! Deliberately not here: swap limits (`memory.memsw.*`, `memory.swap.max`: the ballast is
//! dirty anonymous memory, which swap could hold, so the limit without swap is the safe
//! one), and ancestors above a cgroup namespace's root, which the process cannot see.

use std::path::{Path, PathBuf};

/// Which cgroup hierarchy a limit comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// cgroup v1, the `memory` controller's own hierarchy.
    V1,
    /// cgroup v2, the unified hierarchy.
    V2,
}

impl Version {
    /// The file that holds the limit.
    pub fn limit_file(self) -> &'static str {
        match self {
            Version::V1 => "memory.limit_in_bytes",
            Version::V2 => "memory.max",
        }
    }

    fn usage_file(self) -> &'static str {
        match self {
            Version::V1 => "memory.usage_in_bytes",
            Version::V2 => "memory.current",
        }
    }

    /// The `memory.stat` key of inactive file cache (v1 counts the whole subtree in
    /// `total_*`, as its usage does).
    fn inactive_file_key(self) -> &'static str {
        match self {
            Version::V1 => "total_inactive_file",
            Version::V2 => "inactive_file",
        }
    }
}

/// One cgroup's memory limit and what it has in use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupLimit {
    /// The cgroup, as `/proc/self/cgroup` names it (`/` is the hierarchy's root).
    pub cgroup: String,
    /// The hierarchy.
    pub version: Version,
    /// The limit, bytes.
    pub limit: u64,
    /// Charged to it and not reclaimable at once: usage less inactive file cache, bytes.
    pub in_use: u64,
}

impl CgroupLimit {
    /// How many more bytes the cgroup allows.
    pub fn room(&self) -> u64 {
        self.limit.saturating_sub(self.in_use)
    }
}

/// A v1 limit this large is no limit: "unlimited" reads as `PAGE_COUNTER_MAX` pages, about
/// 2^63 bytes, and no machine has 2^62.
const V1_UNLIMITED: u64 = 1 << 62;

/// The memory cgroups of a process, from the text of its `/proc/PID/cgroup`: the v1 line
/// whose controllers include `memory`, and the v2 line (`0::`).
pub fn memory_cgroups(proc_cgroup: &str) -> Vec<(Version, String)> {
    proc_cgroup
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let (id, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
            let version = if id == "0" && controllers.is_empty() {
                Version::V2
            } else if controllers.split(',').any(|c| c == "memory") {
                Version::V1
            } else {
                return None;
            };
            Some((version, path.to_string()))
        })
        .collect()
}

/// A mounted cgroup hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// v1 (with the memory controller) or v2.
    pub version: Version,
    /// The cgroup the mount shows at its mount point (`/` unless a subtree is mounted).
    pub root: String,
    /// Where it is mounted.
    pub point: PathBuf,
}

/// The mounts of memory cgroup hierarchies, from the text of `/proc/PID/mountinfo`: `cgroup`
/// mounts whose super options include `memory`, and `cgroup2` mounts.
pub fn memory_mounts(mountinfo: &str) -> Vec<Mount> {
    mountinfo.lines().filter_map(mount_of).collect()
}

/// One mountinfo line: `id parent major:minor root point options [optional…] - fstype source
/// super-options`.
fn mount_of(line: &str) -> Option<Mount> {
    let (left, right) = line.split_once(" - ")?;
    let left: Vec<&str> = left.split(' ').collect();
    let right: Vec<&str> = right.split(' ').collect();
    let (root, point) = (left.get(3)?, left.get(4)?);
    let (fstype, options) = (right.first()?, right.get(2).copied().unwrap_or(""));
    let version = match *fstype {
        "cgroup2" => Version::V2,
        "cgroup" if options.split(',').any(|o| o == "memory") => Version::V1,
        _ => return None,
    };
    Some(Mount {
        version,
        root: unescape(root),
        point: PathBuf::from(unescape(point)),
    })
}

/// mountinfo's octal escapes (`\040` for a space) undone.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            let d = std::str::from_utf8(d).ok()?;
            u8::from_str_radix(d, 8).ok()
        });
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The cgroup and each ancestor the mount shows, innermost first: (the cgroup's name, its
/// directory). Empty when the cgroup is not inside the mount's root.
pub fn hierarchy(mount: &Mount, cgroup: &str) -> Vec<(String, PathBuf)> {
    let root = mount.root.trim_end_matches('/');
    let Some(below) = cgroup.strip_prefix(root) else {
        return Vec::new();
    };
    if !(below.is_empty() || below.starts_with('/')) {
        return Vec::new(); // `/ab` is not inside `/a`
    }
    let parts: Vec<&str> = below.split('/').filter(|p| !p.is_empty()).collect();
    (0..=parts.len())
        .rev()
        .map(|depth| {
            let name = format!("{root}/{}", parts[..depth].join("/"));
            let name = match name.trim_end_matches('/') {
                "" => "/".to_string(),
                trimmed => trimmed.to_string(),
            };
            (name, mount.point.join(parts[..depth].join("/")))
        })
        .collect()
}

/// The limit of the cgroup in `dir`; `None` when it has none (or no memory controller there).
pub fn read_limit(version: Version, cgroup: &str, dir: &Path) -> Option<CgroupLimit> {
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).ok();
    let limit = read(version.limit_file())?;
    let limit: u64 = limit.trim().parse().ok()?; // v2's "max" does not parse: no limit
    if version == Version::V1 && limit >= V1_UNLIMITED {
        return None;
    }
    let usage: u64 = read(version.usage_file())?.trim().parse().ok()?;
    let inactive = read("memory.stat")
        .and_then(|stat| stat_value(&stat, version.inactive_file_key()))
        .unwrap_or(0);
    Some(CgroupLimit {
        cgroup: cgroup.to_string(),
        version,
        limit,
        in_use: usage.saturating_sub(inactive),
    })
}

/// The value of `key` in a `memory.stat` text (`key value` lines).
fn stat_value(stat: &str, key: &str) -> Option<u64> {
    stat.lines().find_map(|line| {
        let (k, v) = line.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// The limit with the least room over every memory cgroup of the process and its ancestors,
/// in both hierarchies, given the text of its `/proc/PID/cgroup` and `/proc/PID/mountinfo`.
pub fn tightest(proc_cgroup: &str, mountinfo: &str) -> Option<CgroupLimit> {
    let mounts = memory_mounts(mountinfo);
    memory_cgroups(proc_cgroup)
        .into_iter()
        .filter_map(|(version, cgroup)| {
            // The mount that shows the most of the hierarchy (the shortest root): a subtree
            // bind-mounted elsewhere and listed first must not hide an ancestor's limit.
            let dirs = mounts
                .iter()
                .filter(|m| m.version == version)
                .map(|m| hierarchy(m, &cgroup))
                .filter(|dirs| !dirs.is_empty())
                .max_by_key(Vec::len)?;
            let limits = dirs
                .iter()
                .filter_map(|(name, dir)| read_limit(version, name, dir));
            limits.min_by_key(CgroupLimit::room)
        })
        .min_by_key(CgroupLimit::room)
}

/// [`tightest`] for this process; `None` when no cgroup limits it (or `/proc` is not there).
pub fn current() -> Option<CgroupLimit> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    tightest(&cgroup, &mountinfo)
}

#[cfg(test)]
mod tests;
